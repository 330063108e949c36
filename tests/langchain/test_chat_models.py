"""ChatHybridRouter: routing, metadata, nesting, async, streaming, tools, structured output, errors."""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_hybrid_router import DECISION_EVENT, ChatHybridRouter, routed_text
from tests.langchain.conftest import ToolEchoChat

EASY = "hello what is the weather"
HARD = "prove the theorem about the integral"


class Recorder(BaseCallbackHandler):
    """Records chat-model starts (run ids, parents, tags, metadata, options) and custom events."""

    def __init__(self) -> None:
        self.starts: list[dict[str, Any]] = []
        self.events: list[tuple[str, Any, UUID]] = []

    def on_chat_model_start(self, serialized, messages, *, run_id, parent_run_id=None, tags=None, metadata=None, **kw):
        self.starts.append(
            {"run_id": run_id, "parent": parent_run_id, "tags": tags or [], "metadata": metadata or {}, "options": kw.get("options")}
        )

    def on_custom_event(self, name, data, *, run_id, **kw):
        self.events.append((name, data, run_id))


@pytest.fixture
def chat(router, small, large) -> ChatHybridRouter:
    return ChatHybridRouter(router=router, small=small, large=large)


def test_each_call_goes_to_the_child_the_router_picks(chat, router, small, large):
    for text in (EASY, HARD):
        decision = router.decide(text)
        msg = chat.invoke(text)
        child = small if decision.route == "small" else large
        assert msg.content == f"{child.model_name} says: {text}"
        assert msg.response_metadata["route"] == decision.route
        assert msg.response_metadata["router_score"] == pytest.approx(decision.score)
        assert msg.response_metadata["model_name"] == decision.model_name
        assert msg.response_metadata["child_model_name"] == child.model_name
        assert msg.usage_metadata["total_tokens"] > 0
    assert small.calls == [EASY] and large.calls == [HARD]


def test_decision_metadata_matches_contract_keys(chat, router):
    meta = chat.invoke(EASY).response_metadata
    assert set(router.decide(EASY).as_metadata()) <= set(meta)
    assert meta["router_threshold"] == router.threshold
    assert (meta["small_model"], meta["large_model"]) == (router.small_model, router.large_model)


def test_routed_text_modes(router, small, large):
    history = [SystemMessage("be brief"), HumanMessage(HARD), AIMessage("ok"), HumanMessage(EASY)]
    assert routed_text(history) == EASY
    assert routed_text(history, "conversation").startswith("system: be brief")
    tool_step = [HumanMessage(HARD), AIMessage("", tool_calls=[{"name": "t", "args": {}, "id": "1"}]), ToolMessage("hello", tool_call_id="1")]
    assert routed_text(tool_step, "last_input") == "hello"
    assert routed_text(tool_step, "last_human") == HARD
    chat = ChatHybridRouter(router=router, small=small, large=large, routed_text=lambda msgs: msgs[0].text)
    assert chat.invoke(history).response_metadata["route"] == router.decide("be brief").route
    with pytest.raises(ValueError, match="routed_text must be"):
        routed_text(history, "first")  # type: ignore[arg-type]


def test_lcel_chain_batch_and_parser(chat, router):
    chain = ChatPromptTemplate.from_messages([("system", "Answer."), ("human", "{q}")]) | chat | StrOutputParser()
    outputs = chain.batch([{"q": EASY}, {"q": HARD}])
    expected = ["small-echo" if router.decide(q).route == "small" else "large-echo" for q in (EASY, HARD)]
    assert [o.split(" says")[0] for o in outputs] == expected


def test_child_run_is_nested_and_decision_event_emitted(chat, router):
    rec = Recorder()
    chat.invoke(HARD, config={"callbacks": [rec]})
    parent, child = rec.starts
    assert parent["parent"] is None and child["parent"] == parent["run_id"]
    assert "hybrid_router:large" in child["tags"]
    assert child["metadata"]["router_score"] == pytest.approx(router.decide(HARD).score)
    [(name, data, run_id)] = rec.events
    assert name == DECISION_EVENT and data["route"] == "large" and run_id == parent["run_id"]


async def test_async_decides_off_the_event_loop_and_nests(chat, router, monkeypatch):
    threads: list[int] = []
    decide = router.decide

    def spy(text: str):
        threads.append(threading.get_ident())
        return decide(text)

    monkeypatch.setattr(router, "decide", spy)
    rec = Recorder()
    msg = await chat.ainvoke(EASY, config={"callbacks": [rec]})
    assert msg.response_metadata["route"] == "small"
    assert threads and threading.get_ident() not in threads
    assert rec.starts[1]["parent"] == rec.starts[0]["run_id"]
    results = await asyncio.gather(*(chat.ainvoke(q) for q in (EASY, HARD)))
    assert [m.response_metadata["route"] for m in results] == ["small", "large"]


def test_stream_yields_child_chunks_and_one_decision(chat, router):
    chunks = list(chat.stream(HARD))
    assert len(chunks) > 2
    full = chunks[0]
    for c in chunks[1:]:
        full += c
    assert full.content == f"large-echo says: {HARD}"
    assert full.response_metadata["route"] == "large"  # merged once, not concatenated
    assert full.response_metadata["model_name"] == "large-llm"
    assert full.usage_metadata["output_tokens"] > 0
    assert chunks[-1].chunk_position == "last"


async def test_astream(chat):
    chunks = [c async for c in chat.astream(EASY)]
    full = chunks[0]
    for c in chunks[1:]:
        full += c
    assert full.text.startswith("small-echo says") and full.response_metadata["route"] == "small"


@tool
def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"sunny in {city}"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def test_bound_tools_are_applied_to_the_chosen_child(chat):
    bound = chat.bind_tools([get_weather, add], tool_choice="add")
    msg = bound.invoke(HARD + " 3 and 4")
    assert msg.response_metadata["route"] == "large"
    assert msg.tool_calls[0]["name"] == "add" and msg.tool_calls[0]["args"] == {"a": 3, "b": 4}
    streamed = list(chat.bind_tools([add]).stream(EASY + " 5 6"))
    full = streamed[0]
    for c in streamed[1:]:
        full += c
    assert full.tool_calls[0]["args"] == {"a": 5, "b": 6} and full.response_metadata["route"] == "small"


def test_bind_tools_on_a_child_without_tool_support_names_the_route(router, large):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    chat = ChatHybridRouter(router=router, small=FakeListChatModel(responses=["x"]), large=large)
    with pytest.raises(NotImplementedError, match="small model"):
        chat.bind_tools([add]).invoke(EASY)


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def test_structured_output_through_the_router(chat):
    rec = Recorder()
    person = chat.with_structured_output(Person).invoke("hello my name 42", config={"callbacks": [rec]})
    assert isinstance(person, Person) and person.age == 42
    router_start, child_start = rec.starts
    assert router_start["options"]["ls_structured_output_format"]["schema"]["title"] == "Person"
    assert child_start["parent"] == router_start["run_id"]
    raw = chat.with_structured_output(Person, include_raw=True).invoke(HARD + " 7")
    assert raw["parsed"].age == 7 and raw["raw"].response_metadata["route"] == "large"


def test_child_error_names_the_route(router, large):
    chat = ChatHybridRouter(router=router, small=ToolEchoChat(model="small-echo", fail=True), large=large)
    with pytest.raises(RuntimeError, match="small-echo is down") as info:
        chat.invoke(EASY)
    assert any("small model 'small-llm'" in note for note in info.value.__notes__)
    assert large.calls == []


def test_fallback_to_other_retries_and_records_it(router, large):
    failing = ToolEchoChat(model="small-echo", fail=True)
    chat = ChatHybridRouter(router=router, small=failing, large=large, fallback_to_other=True)
    msg = chat.invoke(EASY)
    assert msg.content.startswith("large-echo says")
    meta = msg.response_metadata
    assert meta["route"] == "large" and meta["fallback_from"] == "small" and "down" in meta["fallback_error"]
    assert failing.calls == [EASY] and large.calls == [EASY]
    chunks = list(chat.stream(EASY))
    full = chunks[0]
    for c in chunks[1:]:
        full += c
    assert full.response_metadata["fallback_from"] == "small"


async def test_async_fallback_and_both_failing(router):
    chat = ChatHybridRouter(
        router=router, small=ToolEchoChat(model="s", fail=True), large=ToolEchoChat(model="l", fail=True), fallback_to_other=True
    )
    with pytest.raises(RuntimeError, match="l is down") as info:
        await chat.ainvoke(EASY)
    assert any("large model" in note for note in info.value.__notes__)


def test_model_kwarg_forces_a_route_and_rejects_unknown_names(chat):
    assert chat.invoke(EASY, model="large-llm").response_metadata["route"] == "large"
    with pytest.raises(ValueError, match="neither the small model"):
        chat.invoke(EASY, model="gpt-9")


def test_router_argument_is_checked(small, large, tmp_path):
    with pytest.raises(FileNotFoundError, match="No saved router"):
        ChatHybridRouter(router=tmp_path / "missing.skops", small=small, large=large)
    with pytest.raises(TypeError, match="HybridRouter or the path"):
        ChatHybridRouter(router=object(), small=small, large=large)


def test_standard_params_are_reported(router, small, large):
    chat = ChatHybridRouter(router=router, small=small, large=large, model="my-router", temperature=0.2, max_tokens=50, stop=["x"])
    params = chat._get_ls_params()
    assert params["ls_model_name"] == "my-router" and params["ls_provider"] == "hybrid_router"
    assert params["ls_temperature"] == 0.2 and params["ls_max_tokens"] == 50 and params["ls_stop"] == ["x"]


@pytest.mark.parametrize("mode", ["invoke", "stream", "ainvoke", "astream"])
async def test_child_nests_under_the_router_inside_a_chain_with_bound_tools(chat, mode):
    # A bound child is a RunnableBinding, which merges the ambient config: inside a sequence the
    # child would otherwise be re-parented under the sequence instead of the router.
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | chat.bind_tools([add])
    rec = Recorder()
    config = {"callbacks": [rec]}
    if mode == "invoke":
        chain.invoke({"q": EASY}, config=config)
    elif mode == "stream":
        list(chain.stream({"q": EASY}, config=config))
    elif mode == "ainvoke":
        await chain.ainvoke({"q": EASY}, config=config)
    else:
        [c async for c in chain.astream({"q": EASY}, config=config)]
    router_start, child_start = rec.starts
    assert child_start["parent"] == router_start["run_id"]
    assert "hybrid_router:small" in child_start["tags"]


def test_a_decision_made_beforehand_is_used_as_is(router, small, large, monkeypatch):
    chat = ChatHybridRouter(router=router, small=small, large=large)
    decisions = router.decide_batch(["hello weather", "prove the theorem"])
    monkeypatch.setattr(type(router), "decide", lambda self, q: pytest.fail("the router was asked again"))
    for text, decision in zip(["hello weather", "prove the theorem"], decisions):
        message = chat.invoke(text, routing_decision=decision)
        assert message.response_metadata["route"] == decision.route
        assert message.response_metadata["router_score"] == pytest.approx(decision.score)


def test_a_decision_for_another_pair_or_of_another_type_is_refused(router, small, large):
    from tests.fakes import make_router

    chat = ChatHybridRouter(router=router, small=small, large=large)
    other = make_router(small_model="a", large_model="b").decide("hello")
    with pytest.raises(ValueError, match="decide with this router"):
        chat.invoke("hello", routing_decision=other)
    with pytest.raises(TypeError, match="RoutingDecision"):
        chat.invoke("hello", routing_decision={"route": "small"})
