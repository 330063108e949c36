"""The scorer's head choices: the default head per feature set, the seed's MLP on request, persistence."""

import numpy as np
import pytest
from hybrid_router import HybridRouter, QualityGapScorer, RouterConfig
from hybrid_router.scorer import (
    EMBEDDING_COLUMNS,
    FEATURES,
    TEXT_COLUMN,
    default_head,
    seed_mlp_head,
)
from hybrid_router.training import scorer_for
from sklearn.base import BaseEstimator, is_classifier
from sklearn.neural_network import MLPRegressor

from tests.fakes import HashingEncoder, synthetic_data

HARD, EASY = "prove the integral theorem", "hello weather thanks"


def _fit(features: str, router_mode: str = "deterministic", random_state: int = 0, n: int = 120) -> QualityGapScorer:
    queries, qs, ql = synthetic_data(n)
    scorer = QualityGapScorer(encoder=HashingEncoder(), features=features, router_mode=router_mode,
                              cache_dir=False, random_state=random_state)
    return scorer.fit(queries, qs, ql)


def _estimator_types(est: object) -> set[str]:
    """Module-qualified types of an estimator and of every estimator nested in its parameters."""
    found = {type(est).__module__}
    if isinstance(est, BaseEstimator):
        for value in est.get_params(deep=True).values():
            if isinstance(value, BaseEstimator):
                found.add(type(value).__module__)
            elif isinstance(value, list):  # Pipeline steps, FeatureUnion / ColumnTransformer members
                for item in value:
                    if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], BaseEstimator):
                        found.add(type(item[1]).__module__)
    return found


@pytest.mark.parametrize("features", FEATURES)
def test_default_head_is_a_plain_sklearn_classifier(features):
    head = default_head(features)
    assert is_classifier(head)
    assert all(m.startswith("sklearn.") for m in _estimator_types(head)), _estimator_types(head)


@pytest.mark.parametrize("features", FEATURES)
@pytest.mark.parametrize("router_mode", ["deterministic", "probabilistic"])
def test_default_head_learns_which_queries_need_the_large_model(features, router_mode):
    scorer = _fit(features, router_mode)
    hard, easy = scorer.score([HARD, EASY])
    assert 0.0 <= hard < easy <= 1.0


@pytest.mark.parametrize("features", FEATURES)
def test_default_head_is_reproducible_given_random_state(features):
    queries, _, _ = synthetic_data(40, seed=1)
    a = _fit(features, "probabilistic", random_state=3).score(queries)
    b = _fit(features, "probabilistic", random_state=3).score(queries)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("features", FEATURES)
def test_default_head_round_trips_through_the_safe_format(features, tmp_path):
    router = HybridRouter(_fit(features), "small-llm", "large-llm")
    path = router.save(tmp_path / "router.skops")
    loaded = HybridRouter.load(path, encoder=HashingEncoder())
    queries, _, _ = synthetic_data(30, seed=2)
    np.testing.assert_allclose(loaded.score(queries), router.score(queries))
    assert loaded.decide(HARD).route == router.decide(HARD).route == "large"


def test_text_features_carry_text_and_embedding_in_one_array():
    scorer = _fit("text+embedding")
    X = scorer.features_for(["a b", "c"])
    assert X.shape == (2, 1 + scorer.n_embedding_dims_)
    assert list(X[:, TEXT_COLUMN]) == ["a b", "c"]
    np.testing.assert_allclose(X[:, EMBEDDING_COLUMNS].astype(float), HashingEncoder().encode(["a b", "c"]), rtol=1e-6)
    assert list(_fit("text").features_for(["x", "y"])) == ["x", "y"]


def test_seed_mlp_stays_selectable_from_config():
    mlp = scorer_for(RouterConfig.from_dict({"head": "mlp"}))
    assert isinstance(mlp.head, MLPRegressor) and mlp.head.hidden_layer_sizes == (128, 64)
    tuned = scorer_for(RouterConfig.from_dict({"hparam": {"hidden_layer_sizes": [16, 8], "max_iter": 50}}))
    assert isinstance(tuned.head, MLPRegressor) and tuned.head.hidden_layer_sizes == (16, 8)
    assert tuned.head.max_iter == 50
    default = scorer_for(RouterConfig.from_dict({}))
    assert default.head is None  # QualityGapScorer falls back to default_head(features)


def test_seed_mlp_head_keeps_llmrouter_defaults():
    head = seed_mlp_head(random_state=5)
    assert (head.hidden_layer_sizes, head.activation, head.solver, head.max_iter, head.random_state) == (
        (128, 64), "relu", "adam", 300, 5)


def test_unknown_features_name_the_choices():
    with pytest.raises(ValueError, match="text\\+embedding"):
        default_head("tfidf")


def test_features_default_to_text_and_embedding_only_for_the_default_head(tmp_path):
    from hybrid_router.persistence import read_manifest
    from sklearn.linear_model import LogisticRegression

    queries, qs, ql = synthetic_data()
    default = QualityGapScorer(encoder=HashingEncoder(), cache_dir=False).fit(queries, qs, ql)
    custom = QualityGapScorer(encoder=HashingEncoder(), head=LogisticRegression(), cache_dir=False).fit(queries, qs, ql)
    assert (default.features_, custom.features_) == ("text+embedding", "embedding")
    assert default.features is None  # parameters stay as given (scikit-learn's contract)
    path = HybridRouter(default, "small-llm", "large-llm").save(tmp_path / "r.skops")
    assert read_manifest(path)["features"] == "text+embedding"


@pytest.mark.parametrize("features", [None, *FEATURES])
def test_config_features_reach_the_scorer(features):
    raw = {} if features is None else {"features": features}
    scorer = scorer_for(RouterConfig.from_dict(raw))
    assert scorer.features == features
    assert scorer.resolved_features() == (features or "text+embedding")


def test_text_only_scorer_never_calls_the_encoder():
    encoder = HashingEncoder()
    queries, qs, ql = synthetic_data()
    scorer = QualityGapScorer(encoder=encoder, features="text", cache_dir=False).fit(queries, qs, ql)
    scorer.score([HARD, EASY])
    assert encoder.calls == 0 and scorer.encoder_name_ is None


def test_non_finite_features_are_a_clear_error():
    scorer = _fit("embedding")
    X = scorer.features_for([HARD])
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        scorer.score_features(X)
