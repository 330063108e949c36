"""LlamaIndexEncoder: a LlamaIndex BaseEmbedding as the core's encoder."""

from __future__ import annotations

import numpy as np
import pytest
from hybrid_router import HybridRouter, QualityGapScorer
from hybrid_router.encoders import encoder_name
from llama_index.core.embeddings import MockEmbedding
from sklearn.linear_model import LogisticRegression

from llamaindex_hybrid_router import LlamaIndexEncoder
from tests.fakes import synthetic_data
from tests.llamaindex.conftest import EASY, HARD, HashingEmbedding


def test_encode_shape_and_dtype() -> None:
    vectors = LlamaIndexEncoder(MockEmbedding(embed_dim=8)).encode(["a", "b", "c"])
    assert vectors.shape == (3, 8) and vectors.dtype == np.float32
    assert LlamaIndexEncoder(MockEmbedding(embed_dim=8)).encode([]).shape[0] == 0


def test_trains_a_scorer_with_mock_embedding() -> None:
    queries, q_small, q_large = synthetic_data(40)
    scorer = QualityGapScorer(
        encoder=LlamaIndexEncoder(MockEmbedding(embed_dim=8)),
        head=LogisticRegression(),
        cache_dir=False,
    ).fit(queries, q_small, q_large)
    scores = scorer.score([EASY, HARD])
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    # MockEmbedding gives every text the same vector: the scorer can only learn the base rate.
    assert scores[0] == pytest.approx(scores[1])


def test_router_learns_through_a_real_embedding_model() -> None:
    embed_model = HashingEmbedding(embed_batch_size=16)
    queries, q_small, q_large = synthetic_data(60)
    scorer = QualityGapScorer(
        encoder=LlamaIndexEncoder(embed_model), head=LogisticRegression(C=10.0), cache_dir=False
    )
    router = HybridRouter(scorer.fit(queries, q_small, q_large), small_model="s", large_model="l")
    assert embed_model.batches >= 60 // 16  # went through the batch API
    assert router.decide(EASY).route == "small" and router.decide(HARD).route == "large"


def test_name_controls_caching(tmp_path) -> None:
    assert (
        encoder_name(LlamaIndexEncoder(MockEmbedding(embed_dim=4))) is None
    )  # unnamed: never cached
    embed_model = HashingEmbedding()
    named = LlamaIndexEncoder(embed_model, name="test/hashing-embedding")
    assert encoder_name(named) == "test/hashing-embedding"
    queries, q_small, q_large = synthetic_data(20)
    batches = []
    for _ in range(2):
        QualityGapScorer(encoder=named, head=LogisticRegression(), cache_dir=tmp_path).fit(
            queries, q_small, q_large
        )
        batches.append(embed_model.batches)
    assert (
        batches[0] > 0 and batches[1] == batches[0]
    )  # the second fit read every vector from the cache


def test_rejects_other_objects() -> None:
    with pytest.raises(TypeError, match="BaseEmbedding"):
        LlamaIndexEncoder("all-MiniLM-L6-v2")  # type: ignore[arg-type]
