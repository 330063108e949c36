"""A LangGraph ReAct agent on ChatHybridRouter: every step of the tool loop is routed on its own input."""

from __future__ import annotations

import warnings

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool

from langchain_hybrid_router import ChatHybridRouter, HybridRouterCallbackHandler

QUESTION = "prove the lemma and derive the integral: Paris weather?"


@tool
def get_weather(city: str) -> str:
    """Weather report for a city."""
    return "hello thanks the weather is sunny"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def _agent(kind: str, model: ChatHybridRouter):
    if kind == "create_agent":
        from langchain.agents import create_agent

        return create_agent(model, tools=[get_weather, add])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # create_react_agent is deprecated in favour of create_agent
        from langgraph.prebuilt import create_react_agent

        return create_react_agent(model, tools=[get_weather, add])


@pytest.fixture
def chat(router, small, large) -> ChatHybridRouter:
    # "last_input" scores each step's new input: the question first, then the tool result.
    return ChatHybridRouter(router=router, small=small, large=large, routed_text="last_input")


@pytest.mark.parametrize("kind", ["create_agent", "create_react_agent"])
def test_each_agent_step_is_routed_on_its_own_input(kind, chat, router, small, large):
    handler = HybridRouterCallbackHandler(small_prices=(1, 1), large_prices=(10, 10))
    result = _agent(kind, chat).invoke({"messages": [("user", QUESTION)]}, config={"callbacks": [handler]})
    ai = [m for m in result["messages"] if isinstance(m, AIMessage)]
    tool_results = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert ai[0].tool_calls[0]["name"] == "get_weather"  # step 1: call the tool
    assert tool_results[0].content == get_weather.invoke({"city": "Paris"})
    assert not ai[-1].tool_calls and ai[-1].text.startswith("small-echo says")  # step 2: answer
    routes = [m.response_metadata["route"] for m in ai]
    assert routes == [router.decide(QUESTION).route, router.decide(tool_results[0].text).route]
    assert routes == ["large", "small"]  # the two steps took different routes
    assert large.calls == [QUESTION] and small.calls == [tool_results[0].text]
    assert handler.report()["calls"] == 2


async def test_agent_async_and_streamed_steps(chat):
    from langchain.agents import create_agent

    agent = create_agent(chat, tools=[get_weather, add])
    routes = []
    async for update in agent.astream({"messages": [("user", QUESTION)]}, stream_mode="updates"):
        for step in update.values():
            for m in (step or {}).get("messages", []):
                if isinstance(m, AIMessage):
                    routes.append(m.response_metadata["route"])
    assert routes == ["large", "small"]


def test_agent_message_stream_is_not_duplicated(chat):
    from langchain.agents import create_agent

    agent = create_agent(chat, tools=[get_weather, add])
    tokens = [
        chunk.text
        for chunk, meta in agent.stream({"messages": [("user", QUESTION)]}, stream_mode="messages")
        if isinstance(chunk, AIMessage) or chunk.type == "AIMessageChunk"
    ]
    answer = "".join(tokens)
    assert answer.count("small-echo says") == 1  # the child's tokens are not streamed twice
