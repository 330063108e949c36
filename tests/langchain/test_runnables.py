"""HybridRouterRunnable: routes whole Runnables; sync, async, batch, stream; the decision is visible."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableGenerator, RunnableLambda

from langchain_hybrid_router import DECISION_EVENT, HybridRouterRunnable, text_to_route

EASY = "hello what is the weather"
HARD = "prove the theorem about the integral"


def _chain(tag: str):
    def run(x: dict[str, Any]) -> str:
        return f"{tag}:{x['question']}"

    async def arun(x: dict[str, Any]) -> str:
        return f"{tag}:{x['question']}"

    return RunnableLambda(run, afunc=arun)


def _streaming_chain(tag: str):
    def gen(inputs):
        for x in inputs:
            yield from (tag, ":", x["question"])

    async def agen(inputs):
        async for x in inputs:
            for word in (tag, ":", x["question"]):
                yield word

    return RunnableLambda(lambda x: x) | RunnableGenerator(gen, agen)


@pytest.fixture
def routed(router) -> HybridRouterRunnable:
    return HybridRouterRunnable(router=router, small=_chain("cheap"), large=_chain("dear"))


def _expected(router, q: str) -> str:
    return f"{'cheap' if router.decide(q).route == 'small' else 'dear'}:{q}"


def test_invoke_and_batch_follow_the_router(routed, router):
    assert routed.invoke({"question": EASY}) == _expected(router, EASY)
    assert routed.batch([{"question": q} for q in (EASY, HARD)]) == [_expected(router, q) for q in (EASY, HARD)]


async def test_async_and_abatch(routed, router):
    assert await routed.ainvoke({"question": HARD}) == _expected(router, HARD)
    assert await routed.abatch([{"question": EASY}]) == [_expected(router, EASY)]


def test_stream_passes_the_chosen_chains_chunks(router):
    routed = HybridRouterRunnable(router=router, small=_streaming_chain("cheap"), large=_streaming_chain("dear"))
    assert list(routed.stream({"question": HARD})) == ["dear", ":", HARD]


async def test_astream(router):
    routed = HybridRouterRunnable(router=router, small=_streaming_chain("cheap"), large=_streaming_chain("dear"))
    assert [c async for c in routed.astream({"question": EASY})] == ["cheap", ":", EASY]


def test_return_decision_and_custom_event(router):
    events: list[tuple[str, Any]] = []

    class Handler(BaseCallbackHandler):
        def on_custom_event(self, name, data, **kw):
            events.append((name, data))

    routed = HybridRouterRunnable(router=router, small=_chain("cheap"), large=_chain("dear"), return_decision=True)
    out = routed.invoke({"question": HARD}, config={"callbacks": [Handler()]})
    assert out["output"] == _expected(router, HARD)
    assert out["decision"] == router.decide(HARD).as_metadata()
    assert events == [(DECISION_EVENT, router.decide(HARD).as_metadata())]


async def test_decision_in_astream_events(routed, router):
    events = [e async for e in routed.astream_events({"question": EASY}, version="v2")]
    custom = [e for e in events if e["event"] == "on_custom_event"]
    assert [e["data"]["route"] for e in custom] == [router.decide(EASY).route]


def test_on_key_scores_the_chosen_key(router):
    routed = HybridRouterRunnable.on_key("topic", router, small=RunnableLambda(lambda x: "s"), large=RunnableLambda(lambda x: "l"))
    # "question" is easy but the routed key is the hard "topic".
    assert routed.invoke({"question": EASY, "topic": HARD}) == ("s" if router.decide(HARD).route == "small" else "l")
    with pytest.raises(KeyError, match="input_key 'topic'"):
        routed.invoke({"question": EASY})


def test_text_to_route_understands_common_inputs():
    assert text_to_route("plain") == "plain"
    assert text_to_route({"query": "q", "other": "x"}) == "q"
    assert text_to_route({"only": "text", "n": 3}) == "text"
    assert text_to_route([HumanMessage("a"), AIMessage("b"), HumanMessage("c")]) == "c"
    assert text_to_route(ChatPromptTemplate.from_messages([("human", "{x}")]).invoke({"x": "hi"})) == "hi"
    with pytest.raises(ValueError, match="input_key"):
        text_to_route({"a": "x", "b": "y"})
    with pytest.raises(TypeError, match="routed_text"):
        text_to_route(42)


def test_routed_text_callable_and_composition(router):
    routed = HybridRouterRunnable(
        router=router, small=_chain("cheap"), large=_chain("dear"), routed_text=lambda x: x["question"].upper().lower()
    )
    chain = RunnableLambda(lambda q: {"question": q}) | routed | RunnableLambda(str.upper)
    assert chain.invoke(HARD) == _expected(router, HARD).upper()


def test_bad_router_is_rejected():
    with pytest.raises(TypeError, match="HybridRouter or the path"):
        HybridRouterRunnable(router=42, small=_chain("a"), large=_chain("b"))
