import asyncio
import threading

import numpy as np
import pytest
from hybrid_router import HybridRouter, QualityGapScorer, RoutingDataset
from hybrid_router.encoders import embed
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.utils.validation import check_is_fitted

from tests.fakes import HashingEncoder, make_router, make_scorer, synthetic_data


def test_scorer_follows_estimator_contract():
    scorer = QualityGapScorer(encoder=HashingEncoder(), head=LogisticRegression(), cache_dir=False)
    assert set(scorer.get_params()) >= {"encoder", "head", "router_mode", "router_tau", "random_state"}
    assert not hasattr(scorer, "head_")
    queries, qs, ql = synthetic_data()
    assert scorer.fit(queries, qs, ql) is scorer
    check_is_fitted(scorer, "head_")
    clone(scorer)  # params-only init


def test_scorer_learns_and_scores_are_probabilities():
    scorer = make_scorer()
    s = scorer.score(["prove the theorem integral", "hello what is the weather"])
    assert ((0 <= s) & (s <= 1)).all() and s[0] < 0.5 < s[1]


def test_regressor_head_is_clipped_to_unit_interval():
    queries, qs, ql = synthetic_data()
    scorer = QualityGapScorer(encoder=HashingEncoder(), head=LinearRegression(), cache_dir=False).fit(queries, qs, ql)
    s = scorer.score([" ".join(["prove"] * 30), " ".join(["hello"] * 30)])
    assert s.min() >= 0 and s.max() <= 1


def test_default_head_is_deterministic_given_random_state():
    queries, qs, ql = synthetic_data(60)
    a = QualityGapScorer(encoder=HashingEncoder(), cache_dir=False, random_state=3).fit(queries, qs, ql)
    b = QualityGapScorer(encoder=HashingEncoder(), cache_dir=False, random_state=3).fit(queries, qs, ql)
    assert np.array_equal(a.score(queries), b.score(queries))


def test_probabilistic_labels_with_classifier_head_use_soft_weights():
    queries, qs, ql = synthetic_data()
    scorer = QualityGapScorer(encoder=HashingEncoder(), head=LogisticRegression(), router_mode="probabilistic",
                              router_tau=0.5, cache_dir=False).fit(queries, qs * 0.6 + 0.2, ql * 0.5)
    assert scorer.score(["hello weather"])[0] > scorer.score(["prove theorem"])[0]


def test_one_label_only_is_a_clear_error():
    with pytest.raises(ValueError, match="nothing to learn"):
        QualityGapScorer(encoder=HashingEncoder(), cache_dir=False).fit(["a", "b"], [1, 1], [0, 1])


def test_router_decisions_and_seed_dicts():
    router = make_router(threshold=0.5)
    d = router.decide("prove the integral theorem")
    assert d.route == "large" and d.model_name == "large-llm" and d.score < d.threshold == 0.5
    batch = router.decide_batch(["hello weather", "derive the lemma"])
    assert [x.route for x in batch] == ["small", "large"]
    row = router.route_single({"query": "hello weather", "id": 7})
    assert row["id"] == 7 and row["model_name"] == "small-llm" and 0 <= row["router_score"] <= 1
    assert [r["model_name"] for r in router.route_batch(["derive the lemma", {"query": "hi"}])] == ["large-llm", "small-llm"]
    # threshold semantics: small iff score >= threshold
    s = d.score
    assert HybridRouter(router.scorer, "a", "b", threshold=s).decide("prove the integral theorem").route == "small"


async def test_adecide_runs_off_the_event_loop():
    router = make_router()
    loop_thread = threading.get_ident()
    seen = []
    original = router.scorer.score

    def spy(queries):
        seen.append(threading.get_ident())
        return original(queries)

    router.scorer.score = spy
    ticks = 0

    async def ticker():
        nonlocal ticks
        for _ in range(3):
            ticks += 1
            await asyncio.sleep(0)

    decision, _ = await asyncio.gather(router.adecide("hello weather"), ticker())
    assert decision.route == "small" and seen and seen[0] != loop_thread


def test_embedding_cache_avoids_second_encode(tmp_path):
    enc = HashingEncoder()
    first = embed(["a b", "c d", "a b"], enc, cache_dir=tmp_path)
    calls = enc.calls
    again = embed(["c d", "a b"], enc, cache_dir=tmp_path)
    assert enc.calls == calls and np.array_equal(again, first[[1, 0]])


def test_encoder_must_have_encode():
    with pytest.raises(TypeError, match="encode"):
        QualityGapScorer(encoder=object(), cache_dir=False).fit(*synthetic_data())


def test_router_fit_on_dataset_records_provenance():
    queries, qs, ql = synthetic_data()
    ds = RoutingDataset(queries, qs, ql, "s", "l")
    router = HybridRouter.fit(ds, QualityGapScorer(encoder=HashingEncoder(), head=LogisticRegression(), cache_dir=False))
    assert router.small_model == "s" and router.info["n_train"] == len(queries) and len(router.info["data_fingerprint"]) == 16


def test_importing_the_package_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, hybrid_router; from hybrid_router import HybridRouter, QualityGapScorer; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
