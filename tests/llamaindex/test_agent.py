"""A FunctionAgent's multi-step tool loop on HybridRouterLLM: every step routed on its own, offline."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.agent.workflow import AgentOutput, FunctionAgent
from llama_index.core.tools import FunctionTool

from llamaindex_hybrid_router import HybridRouterLLM
from tests.llamaindex.conftest import EASY, ScriptedToolLLM, SpyRouter

NOTES = {
    "hard": "prove the theorem with a lemma on the eigenvalue",
    "easy": "hello, the weather is nice",
}


def lookup(topic: str) -> str:
    """Look up notes on a topic ("hard" or "easy")."""
    return NOTES[topic]


async def _run(router: Any, streaming: bool, **llm_kwargs: Any) -> tuple[list, list, Any]:
    """Run the agent: the scripted children call lookup("hard"), then lookup("easy"), then answer."""
    spy, log = SpyRouter(router), []
    llm = HybridRouterLLM(
        router=spy,
        small=ScriptedToolLLM(log=log, label="small"),
        large=ScriptedToolLLM(log=log, label="large"),
        **llm_kwargs,
    )
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(fn=lookup)], llm=llm, streaming=streaming
    )
    handler = agent.run(user_msg=EASY)
    outputs = [ev async for ev in handler.stream_events() if isinstance(ev, AgentOutput)]
    result = await handler
    return spy.calls, [(kind, label) for kind, label in log], (outputs, result)


@pytest.mark.parametrize("streaming", [False, True])
async def test_each_agent_step_is_routed_on_its_own(router: Any, streaming: bool) -> None:
    calls, log, (outputs, result) = await _run(router, streaming, route_on="last_message")
    # three steps, each scored on what it sees last: the task, then each tool result
    texts = [EASY, NOTES["hard"], NOTES["easy"]]
    expected = [router.decide(t).route for t in texts]
    assert len(set(expected)) == 2, "the script must send steps both ways"
    assert calls == [("adecide", t) for t in texts]  # one decision per step, off the event loop
    assert log == [entry for route in expected for entry in (("prepare", route), ("chat", route))]
    assert [o.raw["hybrid_router"]["route"] for o in outputs] == expected
    assert [[c.tool_kwargs for c in o.tool_calls] for o in outputs[:2]] == [
        [{"topic": "hard"}],
        [{"topic": "easy"}],
    ]
    assert str(result).startswith(f"[{expected[-1]}] done")


async def test_default_routes_every_step_on_the_task(router: Any) -> None:
    calls, log, (outputs, _) = await _run(router, streaming=False)
    route = router.decide(EASY).route
    assert calls == [("adecide", EASY)] * 3  # still one decision per step
    assert log == [("prepare", route), ("chat", route)] * 3
    assert [o.raw["hybrid_router"]["route"] for o in outputs] == [route] * 3
