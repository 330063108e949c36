"""Routing metrics against hand-computed small cases (4-5 queries), including ties in score."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hybrid_router.config import ModelSpec
from hybrid_router.evaluation import (
    CostModel,
    apgr,
    cost_advantage,
    cpt,
    estimated_cost_per_1k,
    evaluate,
    operating_point,
    oracle_curve,
    references,
    routing_curve,
    threshold_for,
)

# Four queries, scores ascending. Gains q_large - q_small: +1, 0, +1, -1.
# Lowest score goes large first: quality 0.5 -> 0.75 -> 0.75 -> 1.0 -> 0.75.
S = [0.1, 0.4, 0.6, 0.9]
QS = [0.0, 1.0, 0.0, 1.0]
QL = [1.0, 1.0, 1.0, 0.0]


def test_curve_hand_computed() -> None:
    c = routing_curve(S, QS, QL)
    np.testing.assert_allclose(c.large_share, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(c.quality, [0.5, 0.75, 0.75, 1.0, 0.75])
    assert (c.small_only, c.large_only) == (0.5, 0.75)
    # Each threshold reproduces its point: small iff score >= threshold.
    for t, x, y in zip(*c):
        point = operating_point(S, QS, QL, t)
        assert point["large_share"] == pytest.approx(x)
        assert point["quality"] == pytest.approx(y)


def test_curve_order_of_input_does_not_matter() -> None:
    perm = [2, 0, 3, 1]
    c1, c2 = routing_curve(S, QS, QL), routing_curve(*(np.asarray(a)[perm] for a in (S, QS, QL)))
    np.testing.assert_allclose(c1.quality, c2.quality)


def test_ties_move_together() -> None:
    # The two middle queries share a score: no threshold separates them.
    s = [0.1, 0.5, 0.5, 0.9]
    c = routing_curve(s, QS, QL)
    np.testing.assert_allclose(c.large_share, [0, 0.25, 0.75, 1])
    np.testing.assert_allclose(c.quality, [0.5, 0.75, 1.0, 0.75])
    for t, x, _ in zip(*c):
        assert operating_point(s, QS, QL, t)["large_share"] == pytest.approx(x)


def test_apgr_hand_computed() -> None:
    # trapezoid: 0.25 * (0.625 + 0.75 + 0.875 + 0.875) = 0.78125; (0.78125 - 0.5) / 0.25 = 1.125
    assert apgr(S, QS, QL) == pytest.approx(1.125)
    # Reversed scores: quality 0.5 -> 0.25 -> 0.5 -> 0.5 -> 0.75, area 0.46875, APGR -0.125.
    assert apgr([-v for v in S], QS, QL) == pytest.approx(-0.125)


def test_apgr_all_tied_is_random() -> None:
    # One tie group: a straight line from small-only to large-only, the random router's curve.
    assert apgr([0.3] * 4, QS, QL) == pytest.approx(0.5)


def test_apgr_random_scores_average_half() -> None:
    rng = np.random.default_rng(0)
    qs, ql = (rng.random(500) < 0.6).astype(float), (rng.random(500) < 0.85).astype(float)
    values = [apgr(rng.random(500), qs, ql) for _ in range(100)]
    assert np.mean(values) == pytest.approx(0.5, abs=0.02)


def test_no_gap_gives_nan(caplog: pytest.LogCaptureFixture) -> None:
    assert math.isnan(apgr(S, [1, 1, 1, 1], [1, 0, 1, 0]))
    assert math.isnan(cpt(S, [1, 1, 1, 1], [1, 0, 1, 0], 0.5))
    assert "no gap" in caplog.text


def test_cpt_hand_computed() -> None:
    # Target for p = 0.5 is 0.625, reached halfway between (0, 0.5) and (0.25, 0.75).
    assert cpt(S, QS, QL, 0.5) == pytest.approx(0.125)
    assert cpt(S, QS, QL, 0.8) == pytest.approx(0.2)
    assert cpt(S, QS, QL, 0.0) == 0.0
    # p = 1 needs quality 0.75: first reached at x = 0.25.
    assert cpt(S, QS, QL, 1.0) == pytest.approx(0.25)
    # Reversed scores reach 0.625 only on the last segment: (0.75, 0.5) -> (1.0, 0.75).
    assert cpt([-v for v in S], QS, QL, 0.5) == pytest.approx(0.875)
    with pytest.raises(ValueError, match="p must be"):
        cpt(S, QS, QL, 50)


def test_cost_advantage_hand_computed() -> None:
    # Within 1% of 0.75 (>= 0.7425): first reached at 25% large -> 75% kept small.
    assert cost_advantage(S, QS, QL, 0.01) == pytest.approx(0.75)
    # Relative, not absolute: a 40% drop allows 0.45, so all-small (0.5) qualifies.
    assert cost_advantage(S, QS, QL, 0.4) == pytest.approx(1.0)
    assert cost_advantage(S, QS, QL, 0.3) == pytest.approx(0.75)  # floor 0.525
    assert cost_advantage([-v for v in S], QS, QL, 0.0) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="d must be >= 0"):
        cost_advantage(S, QS, QL, -0.1)


def test_cost_advantage_relative_to_negative_quality() -> None:
    # Quality on a negative scale (e.g. log-likelihood scores): the floor is large - d * |large|.
    qs, ql = [-2.0, -1.0], [-1.0, -1.0]
    # large-only = -1; d = 0.6 allows -1.6; all-small is -1.5 -> 100% small.
    assert cost_advantage([0.2, 0.8], qs, ql, 0.6) == pytest.approx(1.0)
    assert cost_advantage([0.2, 0.8], qs, ql, 0.4) == pytest.approx(0.5)


def test_references_hand_computed() -> None:
    refs = references(QS, QL)
    assert refs["small_only"]["quality"] == 0.5
    assert refs["large_only"]["quality"] == 0.75
    assert refs["random"]["apgr"] == 0.5
    assert refs["random"]["cpt"][0.5] == 0.5
    # Random line 0.5 + 0.25 x reaches 0.7425 at x = 0.97: 3% kept small.
    assert refs["random"]["cost_advantage"][0.01] == pytest.approx(0.03)
    oracle = refs["oracle"]
    # Large only where it is better (queries 0 and 2): 50% large, quality 1.0.
    assert oracle["large_share"] == 0.5 and oracle["quality"] == 1.0
    # Oracle curve (0, .5), (.25, .75), (.5, 1), (1, 1): area 0.875 -> APGR 1.5.
    assert oracle["apgr"] == pytest.approx(1.5)
    assert oracle["cpt"][0.5] == pytest.approx(0.125)
    assert oracle["cost_advantage"][0.01] == pytest.approx(0.75)


def test_oracle_curve_biggest_gains_first_then_flat() -> None:
    x, y = oracle_curve([0.0, 0.5, 1.0, 0.2], [1.0, 0.6, 1.0, 0.2])
    np.testing.assert_allclose(x, [0, 0.25, 0.5, 1.0])
    np.testing.assert_allclose(y, [0.425, 0.675, 0.7, 0.7])


def test_threshold_for_budget() -> None:
    point = threshold_for(S, QS, QL, target_large_share=0.3)
    assert point["large_share"] == pytest.approx(0.25)
    assert point["quality"] == pytest.approx(0.75)
    assert operating_point(S, QS, QL, point["threshold"])["large_share"] == pytest.approx(0.25)
    for key in ("threshold", "large_share", "quality", "small_only", "large_only"):
        assert key in point
    assert point["gap_recovered"] == pytest.approx(1.0)


def test_threshold_for_budget_with_ties_stays_under_target() -> None:
    point = threshold_for([0.1, 0.5, 0.5, 0.9], QS, QL, target_large_share=0.5)
    assert point["large_share"] == pytest.approx(0.25)  # the tie would take it to 75%
    assert threshold_for(S, QS, QL, target_large_share=1.0)["large_share"] == 1.0
    assert threshold_for(S, QS, QL, target_large_share=0.0)["large_share"] == 0.0


def test_threshold_for_quality_drop() -> None:
    point = threshold_for(S, QS, QL, max_quality_drop=0.01)
    assert point["large_share"] == pytest.approx(0.25)
    assert point["quality"] >= 0.75 * 0.99
    assert threshold_for(S, QS, QL, max_quality_drop=0.5)["large_share"] == 0.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "exactly one"),
        ({"target_large_share": 0.3, "max_quality_drop": 0.01}, "exactly one"),
        ({"target_large_share": 30}, r"in \[0, 1\]"),
    ],
)
def test_threshold_for_rejects_bad_targets(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        threshold_for(S, QS, QL, **kwargs)


def test_input_validation() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        apgr([0.1, 0.2], QS, QL)
    with pytest.raises(ValueError, match="empty"):
        apgr([], [], [])
    with pytest.raises(ValueError, match="missing"):
        apgr([0.1, float("nan"), 0.3, 0.4], QS, QL)


def test_cost_per_1k() -> None:
    small = ModelSpec(name="s", input_cost_per_1m=1.0, output_cost_per_1m=2.0)
    large = ModelSpec(name="l", input_cost_per_1m=10.0, output_cost_per_1m=30.0)
    # per query: small (1000*1 + 500*2)/1e6 = 0.002; large (10000 + 15000)/1e6 = 0.025
    assert estimated_cost_per_1k(0.0, small, large, 1000, 500) == pytest.approx(2.0)
    assert estimated_cost_per_1k(1.0, small, large, 1000, 500) == pytest.approx(25.0)
    assert estimated_cost_per_1k(0.3, small, large, 1000, 500) == pytest.approx(0.7 * 2 + 0.3 * 25)
    np.testing.assert_allclose(estimated_cost_per_1k(np.array([0.0, 1.0]), small, large, 1000, 500), [2.0, 25.0])
    with pytest.raises(ValueError, match="large_share"):
        estimated_cost_per_1k(1.5, small, large)


def test_evaluate_report(tmp_path) -> None:
    small = ModelSpec(name="s", input_cost_per_1m=1.0, output_cost_per_1m=2.0)
    large = ModelSpec(name="l", input_cost_per_1m=10.0, output_cost_per_1m=30.0)
    report = evaluate(S, QS, QL, costs=CostModel(small, large, 1000, 500), threshold=0.5, small_model="s", large_model="l")
    assert report.apgr == pytest.approx(1.125)
    assert report.cpt[0.5] == pytest.approx(0.125)
    assert report.cost_advantage[0.01] == pytest.approx(0.75)
    assert report.at_threshold == {"threshold": 0.5, "large_share": 0.5, "quality": 0.75}
    np.testing.assert_allclose(report.cost_per_1k, [2.0 + 23.0 * x for x in (0, 0.25, 0.5, 0.75, 1)])

    data = json.loads(report.to_json(tmp_path / "r.json"))
    assert json.loads((tmp_path / "r.json").read_text()) == data
    assert data["apgr"] == pytest.approx(1.125)
    assert data["cpt"]["0.5"] == pytest.approx(0.125)
    assert data["cost_advantage"]["0.01"] == pytest.approx(0.75)
    assert data["oracle"]["apgr"] == pytest.approx(1.5)
    assert len(data["curve"]["quality"]) == 5 and "cost_per_1k" in data["curve"]

    text = report.table()
    assert "APGR" in text and "1.125" in text and "USD/1k" in text

    png = report.plot(tmp_path / "sub" / "curve.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_without_prices_has_no_costs() -> None:
    report = evaluate(S, QS, QL, costs=(ModelSpec(name="s"), ModelSpec(name="l")))
    assert report.cost_per_1k is None and "cost_per_1k" not in report.to_dict()["curve"]


def test_to_dict_thins_long_curves_and_keeps_ends() -> None:
    rng = np.random.default_rng(1)
    qs, ql = (rng.random(3000) < 0.6).astype(float), np.ones(3000)
    data = evaluate(rng.random(3000), qs, ql).to_dict(max_curve_points=101)
    assert len(data["curve"]["large_share"]) == 101
    assert data["curve"]["large_share"][0] == 0.0 and data["curve"]["large_share"][-1] == 1.0
    assert data["curve_points_total"] == 3001


def test_threshold_for_max_threshold_keeps_top_scores_small() -> None:
    # Scores clipped at 1.0: no threshold <= 1 sends the top query large.
    s = [0.1, 0.4, 0.6, 1.0]
    assert threshold_for(s, QS, QL, target_large_share=1.0)["threshold"] > 1.0
    point = threshold_for(s, QS, QL, target_large_share=1.0, max_threshold=1.0)
    assert point["threshold"] <= 1.0 and point["large_share"] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="No threshold <= 1"):
        threshold_for(s, [0, 0, 0, 0], [1, 1, 1, 1], max_quality_drop=0.0, max_threshold=1.0)
