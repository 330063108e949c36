import numpy as np
import pytest
from hybrid_router.labels import (
    deterministic_labels,
    find_t_star,
    label_separation,
    make_labels,
    probabilistic_labels,
    transformed_labels,
)


def test_deterministic_counts_ties_as_small_good_enough():
    assert deterministic_labels([1, 0, 0.5, 0.2], [1, 1, 0.4, 0.3]).tolist() == [1, 0, 1, 0]


def test_probabilistic_is_sigmoid_of_gap_over_tau():
    y = probabilistic_labels(np.array([0.5, 0.6, 0.4]), np.array([0.5, 0.5, 0.5]), tau=0.1)
    # sigmoid(0) = 0.5, sigmoid(1) = 0.7310586, sigmoid(-1) = 0.2689414
    assert y == pytest.approx([0.5, 0.7310586, 0.2689414], abs=1e-6)


def test_probabilistic_with_samples_is_pairwise_probability():
    # small samples [1, 0], large samples [1, 1]: pairs (1>=1, 1>=1, 0>=1, 0>=1) -> 2/4
    y = probabilistic_labels(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[1.0, 1.0], [0.0, 1.0]]))
    assert y.tolist() == [0.5, 1.0]


def test_label_separation_matches_definition():
    y = np.array([0.0, 1.0, 1.0, 0.25])
    brute = np.abs(y[:, None] - y[None, :]).sum() / len(y) ** 2
    assert label_separation(y) == pytest.approx(brute)
    assert label_separation(np.array([0, 1, 1, 1.0])) == pytest.approx(2 * 0.75 * 0.25)


def test_t_star_is_zero_on_binary_metrics():
    q_s = np.array([1, 0, 1, 1, 0, 1.0])
    q_l = np.array([1, 1, 0, 1, 1, 1.0])
    assert find_t_star(q_s, q_l) == 0.0
    assert transformed_labels(q_s, q_l).tolist() == deterministic_labels(q_s, q_l).tolist()


def test_t_star_with_continuous_scores_is_not_zero():
    # gaps q_s - q_l = [-0.1, -0.2, -0.3, -0.4]: every query has small worse, labels all 0 at t=0.
    # t=0.1 -> [1,0,0,0] sep 2*.25*.75=.375 ; t=0.2 -> [1,1,0,0] sep .5 ; t=0.3 -> .375 ; t=0.4 -> 0
    q_s = np.array([0.5, 0.4, 0.3, 0.2])
    q_l = np.array([0.6, 0.6, 0.6, 0.6])
    assert find_t_star(q_s, q_l) == pytest.approx(0.2)
    assert transformed_labels(q_s, q_l).tolist() == [1, 1, 0, 0]


def test_unknown_mode_names_the_choices():
    with pytest.raises(ValueError, match="deterministic, probabilistic, transformed"):
        make_labels([1], [1], mode="fuzzy")
