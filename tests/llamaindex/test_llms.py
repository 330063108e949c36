"""HybridRouterLLM: the eight endpoints, decision in the response, metadata, instrumentation, tool calling."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.bridge.pydantic import Field, ValidationError
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.llm import LLMChatStartEvent, LLMCompletionStartEvent
from llama_index.core.llms.mock import MockLLM
from llama_index.core.tools import FunctionTool

from llamaindex_hybrid_router import HybridRouterLLM
from llamaindex_hybrid_router.llms import DECISION_KEY, routed_text
from tests.llamaindex.conftest import EASY, HARD, LabelledLLM, ScriptedToolLLM, SpyRouter


def _llm(router: Any, **kwargs: Any) -> HybridRouterLLM:
    return HybridRouterLLM(
        router=router, small=LabelledLLM(label="small"), large=LabelledLLM(label="large"), **kwargs
    )


def _user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="system", content="be brief"), ChatMessage(role="user", content=text)]


async def _call(llm: HybridRouterLLM, endpoint: str, text: str) -> Any:
    """Call one endpoint; return (final response, its text)."""
    if endpoint in ("chat", "achat", "stream_chat", "astream_chat"):
        arg: Any = _user(text)
    else:
        arg = text
    result = getattr(llm, endpoint)(arg)
    if endpoint.startswith("a"):
        result = await result
    if endpoint.startswith("stream"):
        chunks = list(result)
    elif endpoint.startswith("astream"):
        chunks = [c async for c in result]
    else:
        chunks = [result]
    for chunk in chunks:  # every chunk carries the decision
        assert DECISION_KEY in chunk.additional_kwargs
    last = chunks[-1]
    return last, last.message.content if hasattr(last, "message") else last.text


ENDPOINTS = [
    "chat",
    "achat",
    "stream_chat",
    "astream_chat",
    "complete",
    "acomplete",
    "stream_complete",
    "astream_complete",
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("text", [EASY, HARD])
async def test_every_endpoint_routes_and_reports(router: Any, endpoint: str, text: str) -> None:
    spy = SpyRouter(router)
    response, content = await _call(_llm(spy), endpoint, text)
    decision = router.decide(text)
    assert content.startswith(f"[{decision.route}]")
    assert response.additional_kwargs[DECISION_KEY] == decision.as_metadata()
    assert response.raw[DECISION_KEY] == decision.as_metadata()
    # one decision per call; the async endpoints use adecide (encoding off the event loop)
    assert spy.calls == [("adecide" if endpoint.startswith("a") else "decide", text)]


def test_chat_routes_on_the_last_user_message_by_default(router: Any) -> None:
    messages = [
        ChatMessage(role="user", content=HARD),
        ChatMessage(role="assistant", content="ok"),
        ChatMessage(role="user", content=EASY),
    ]
    assert _llm(router).chat(messages).message.content.startswith("[small]")
    messages.append(ChatMessage(role="assistant", content=HARD))
    assert _llm(router).chat(messages).message.content.startswith("[small]")
    assert (
        _llm(router, route_on="last_message").chat(messages).message.content.startswith("[large]")
    )


def test_routed_text() -> None:
    messages = [
        ChatMessage(role="system", content="sys"),
        ChatMessage(role="user", content="u1"),
        ChatMessage(role="assistant", content="a1"),
        ChatMessage(role="tool", content="t1"),
    ]
    assert routed_text(messages) == "u1"
    assert routed_text(messages, "last_message") == "t1"
    assert routed_text(messages, "conversation") == "system: sys\nuser: u1\nassistant: a1\ntool: t1"
    assert routed_text(messages, lambda ms: ms[0].content + "!") == "sys!"
    assert routed_text([ChatMessage(role="assistant", content="only")]) == "only"
    assert routed_text([]) == ""


def test_metadata_comes_from_the_children(router: Any) -> None:
    llm = HybridRouterLLM(
        router=router,
        small=LabelledLLM(label="a", context_window=1000),
        large=LabelledLLM(label="b", context_window=8000),
    )
    meta = llm.metadata
    assert meta.context_window == 1000 and meta.is_chat_model and not meta.is_function_calling_model
    assert "a" in meta.model_name and "b" in meta.model_name
    llm = HybridRouterLLM(
        router=router, small=LabelledLLM(label="a"), large=LabelledLLM(label="b", chat_model=False)
    )
    assert not llm.metadata.is_chat_model
    tools_llm = HybridRouterLLM(router=router, small=ScriptedToolLLM(), large=ScriptedToolLLM())
    assert tools_llm.metadata.is_function_calling_model


def test_predict_goes_through_the_router(router: Any) -> None:
    llm = _llm(router)
    assert llm.predict(_prompt(HARD)).startswith("[large]")


def _prompt(text: str) -> Any:
    from llama_index.core.prompts import PromptTemplate

    return PromptTemplate(text)


class _Recorder(BaseEventHandler):
    events: list = Field(default_factory=list)

    def handle(self, event: Any, **kwargs: Any) -> None:
        self.events.append(event)


def test_instrumentation_sees_the_router_and_the_child(router: Any) -> None:
    dispatcher = get_dispatcher()  # root
    handler = _Recorder(events=[])
    dispatcher.add_event_handler(handler)
    try:
        _llm(router).chat(_user(HARD))
        _llm(router).complete(EASY)
    finally:
        dispatcher.event_handlers.remove(handler)
    chats = [e.model_dict["class_name"] for e in handler.events if isinstance(e, LLMChatStartEvent)]
    completions = [e.model_dict for e in handler.events if isinstance(e, LLMCompletionStartEvent)]
    assert "HybridRouterLLM" in chats
    assert any(d["class_name"] == "HybridRouterLLM" for d in completions)
    assert any(d.get("model_name") == "small" for d in completions)  # the child's own event, nested


def test_bad_fields(router: Any) -> None:
    with pytest.raises(ValidationError, match="HybridRouter"):
        HybridRouterLLM(router=object(), small=MockLLM(), large=MockLLM())
    with pytest.raises(ValidationError, match="route_on"):
        HybridRouterLLM(router=router, small=MockLLM(), large=MockLLM(), route_on="first_user")


# -- tool calling -----------------------------------------------------------------------
def _lookup(topic: str) -> str:
    """Look a topic up."""
    return f"notes on {topic}"


TOOLS = [FunctionTool.from_defaults(fn=_lookup, name="lookup")]


def _tool_llm(router: Any, log: list, **kwargs: Any) -> HybridRouterLLM:
    return HybridRouterLLM(
        router=router,
        small=ScriptedToolLLM(log=log, label="small"),
        large=ScriptedToolLLM(log=log, label="large"),
        **kwargs,
    )


@pytest.mark.parametrize("text", [EASY, HARD])
def test_chat_with_tools_prepare_and_chat_on_the_same_child_one_decision(
    router: Any, text: str
) -> None:
    spy, log = SpyRouter(router), []
    llm = _tool_llm(spy, log)
    response = llm.chat_with_tools(TOOLS, user_msg=text)
    route = router.decide(text).route
    assert log == [("prepare", route), ("chat", route)]
    assert spy.calls == [("decide", text)]
    assert response.additional_kwargs[DECISION_KEY]["route"] == route
    calls = llm.get_tool_calls_from_response(response)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("lookup", {"topic": "hard"})]
    assert "hybrid_router_decision" not in response.additional_kwargs


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("text", [EASY, HARD])
async def test_async_tools_decide_once_off_the_loop(router: Any, text: str, stream: bool) -> None:
    spy, log = SpyRouter(router), []
    llm = _tool_llm(spy, log)
    if stream:
        chunks = [
            c
            async for c in await llm.astream_chat_with_tools(
                TOOLS, chat_history=[ChatMessage(role="user", content=text)]
            )
        ]
        response = chunks[-1]
    else:
        response = await llm.achat_with_tools(
            TOOLS, chat_history=[ChatMessage(role="user", content=text)]
        )
    route = router.decide(text).route
    assert spy.calls == [("adecide", text)]
    assert log == [("prepare", route), ("chat", route)]
    assert llm.get_tool_calls_from_response(response)[0].tool_name == "lookup"


@pytest.mark.parametrize("text", [EASY, HARD])
def test_sync_stream_chat_with_tools(router: Any, text: str) -> None:
    spy, log = SpyRouter(router), []
    llm = _tool_llm(spy, log)
    chunks = list(llm.stream_chat_with_tools(TOOLS, user_msg=text))
    route = router.decide(text).route
    assert spy.calls == [("decide", text)] and log == [("prepare", route), ("chat", route)]
    assert all(c.additional_kwargs[DECISION_KEY]["route"] == route for c in chunks)
    assert llm.get_tool_calls_from_response(chunks[-1])[0].tool_name == "lookup"


def test_predict_and_call_runs_the_tool(router: Any) -> None:
    log: list = []
    out = _tool_llm(router, log).predict_and_call(TOOLS, user_msg=HARD)
    assert out.response == "notes on hard" and log == [("prepare", "large"), ("chat", "large")]


def test_tool_calls_need_a_routed_response(router: Any) -> None:
    from llama_index.core.base.llms.types import ChatResponse

    foreign = ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content="x"))
    with pytest.raises(ValueError, match="no 'hybrid_router' decision"):
        _tool_llm(router, []).get_tool_calls_from_response(foreign)


def test_tools_with_a_child_that_cannot_call_functions(router: Any) -> None:
    llm = HybridRouterLLM(router=router, small=ScriptedToolLLM(), large=LabelledLLM(label="large"))
    with pytest.raises(TypeError, match="does not support function calling"):
        llm.chat_with_tools(TOOLS, user_msg=HARD)
    assert llm.chat_with_tools(TOOLS, user_msg=EASY).message.blocks  # the small child can


def test_serializes_without_the_router(router: Any) -> None:
    data = _llm(router).to_dict()
    assert data["class_name"] == "HybridRouterLLM" and "router" not in data
    assert "small" in data and "large" in data and data["route_on"] == "last_user"
    assert _llm(router, route_on=routed_text).to_dict()["route_on"] == "routed_text"
