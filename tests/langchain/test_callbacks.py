"""HybridRouterCallbackHandler (calls, tokens, cost per route, saving) and the LangChain Embeddings encoder."""

from __future__ import annotations

import numpy as np
import pytest
from hybrid_router import HybridRouter, ModelSpec, QualityGapScorer
from langchain_core.embeddings import DeterministicFakeEmbedding
from sklearn.linear_model import LogisticRegression

from langchain_hybrid_router import ChatHybridRouter, HybridRouterCallbackHandler, LangChainEncoder
from tests.fakes import synthetic_data

QUERIES = ["hello what is the weather", "prove the theorem about the integral", "thanks hi", "derive the lemma"]


def test_counts_calls_tokens_and_cost_per_route(router, small, large):
    chat = ChatHybridRouter(router=router, small=small, large=large)
    handler = HybridRouterCallbackHandler(small_prices=(1.0, 2.0), large_prices=(10.0, 30.0))
    messages = chat.batch(QUERIES, config={"callbacks": [handler]})
    streamed = list(chat.stream(QUERIES[0], config={"callbacks": [handler]}))
    report = handler.report()

    expected = {"small": [0, 0, 0], "large": [0, 0, 0]}
    final_stream = streamed[0]
    for c in streamed[1:]:
        final_stream += c
    for m in [*messages, final_stream]:
        route = m.response_metadata["route"]
        expected[route][0] += 1
        expected[route][1] += m.usage_metadata["input_tokens"]
        expected[route][2] += m.usage_metadata["output_tokens"]
    for route, (calls, tin, tout) in expected.items():
        stats = report["routes"][route]
        assert (stats["calls"], stats["input_tokens"], stats["output_tokens"]) == (calls, tin, tout)
    cost = sum((p[0] * e[1] + p[1] * e[2]) / 1e6 for p, e in (((1, 2), expected["small"]), ((10, 30), expected["large"])))
    large_only = sum((10 * e[1] + 30 * e[2]) / 1e6 for e in expected.values())
    assert report["calls"] == len(QUERIES) + 1  # the children's nested runs are not counted
    assert report["cost"] == pytest.approx(cost)
    assert report["large_only_cost"] == pytest.approx(large_only)
    assert report["saving"] == pytest.approx(large_only - cost) and report["saving"] > 0
    assert "saving" in handler.summary() and "small (small-llm)" in handler.summary()
    handler.reset()
    assert handler.report()["calls"] == 0


def test_prices_from_the_routers_model_specs(router):
    router.small_spec = ModelSpec(name="small-llm", input_cost_per_1m=0.5, output_cost_per_1m=1.5)
    router.large_spec = ModelSpec(name="large-llm", input_cost_per_1m=5.0, output_cost_per_1m=15.0)
    handler = HybridRouterCallbackHandler.from_router(router)
    assert handler.prices == {"small": (0.5, 1.5), "large": (5.0, 15.0)}
    with pytest.raises(ValueError, match="USD per 1M"):
        HybridRouterCallbackHandler(small_prices=(-1.0, 0.0))


def test_fallbacks_are_counted(router, large):
    from tests.langchain.conftest import ToolEchoChat

    chat = ChatHybridRouter(router=router, small=ToolEchoChat(model="s", fail=True), large=large, fallback_to_other=True)
    handler = HybridRouterCallbackHandler()
    chat.invoke(QUERIES[0], config={"callbacks": [handler]})
    assert handler.report()["routes"]["large"]["fallbacks"] == 1


def test_langchain_embeddings_as_the_routers_encoder():
    encoder = LangChainEncoder(DeterministicFakeEmbedding(size=16), name="fake-16")
    vectors = encoder.encode(["a", "b"])
    assert vectors.shape == (2, 16) and vectors.dtype == np.float32
    queries, q_small, q_large = synthetic_data(40)
    scorer = QualityGapScorer(encoder=encoder, head=LogisticRegression(), cache_dir=False).fit(queries, q_small, q_large)
    router = HybridRouter(scorer, "s", "l")
    assert router.decide("hello").route in ("small", "l", "large")
    assert 0.0 <= router.decide("hello").score <= 1.0
    assert LangChainEncoder(DeterministicFakeEmbedding(size=8)).name.startswith("langchain:DeterministicFakeEmbedding")
    with pytest.raises(TypeError, match="LangChain Embeddings"):
        LangChainEncoder(object())  # type: ignore[arg-type]
