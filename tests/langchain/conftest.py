"""Shared LangChain test doubles: an offline chat model that echoes, calls tools and reports usage.

LangChain's own fakes (``langchain_core.language_models.fake_chat_models``) do not implement
``bind_tools``, so ``ToolEchoChat`` is a small ``BaseChatModel`` of our own: deterministic,
instant, with tool calls, streaming, stop sequences and usage metadata, which is what
``ChatHybridRouter`` must pass through.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from tests.fakes import make_router


def _args_for(schema: dict[str, Any], text: str) -> dict[str, Any]:
    """Arguments for a tool's JSON schema, taken from the text: integers in order, else the text."""
    numbers = [int(n) for n in re.findall(r"-?\d+", text)]
    args: dict[str, Any] = {}
    properties = schema.get("properties", {})
    for name in schema.get("required", list(properties)):
        kind = properties.get(name, {}).get("type")
        if kind in ("integer", "number"):
            args[name] = numbers.pop(0) if numbers else 1
        elif kind == "boolean":
            args[name] = True
        elif kind == "array":
            args[name] = []
        elif kind == "object":
            args[name] = {}
        else:
            args[name] = text[:40] or name
    return args


class ToolEchoChat(BaseChatModel):
    """Answers ``"<model_name> says: <last message>"``; with tools bound, calls one when the turn asks.

    A tool is called when the last message is a human turn and ``tool_choice`` is not ``"none"``:
    the forced tool, or the first tool whose name is in the text, or the first tool. After a
    tool result it answers in text. Usage counts words. ``fail=True`` makes every call raise.
    """

    model_name: str = Field(default="echo", alias="model")
    """Name put in the answer, so a test can see which child answered."""
    fail: bool = False
    """Raise ``RuntimeError`` on every call (for error and fallback tests)."""
    calls: list[str] = Field(default_factory=list)
    """The last message text of every call this model received."""

    @property
    def _llm_type(self) -> str:
        return "tool-echo"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable | BaseTool],
        *,
        tool_choice: str | dict | bool | None = None,
        **kwargs: Any,
    ) -> Any:
        formatted = [convert_to_openai_tool(t) for t in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=formatted, **kwargs)

    def _reply(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> AIMessage:
        last = messages[-1]
        self.calls.append(last.text)
        if self.fail:
            raise RuntimeError(f"{self.model_name} is down")
        usage_in = sum(len(m.text.split()) for m in messages) or 1
        tools = kwargs.get("tools") or []
        choice = kwargs.get("tool_choice")
        if tools and last.type == "human" and choice != "none":
            names = [t["function"]["name"] for t in tools]
            if isinstance(choice, dict):
                chosen = choice.get("function", {}).get("name") or choice.get("name")
            elif isinstance(choice, str) and choice in names:
                chosen = choice
            else:
                chosen = next((n for n in names if n in last.text), names[0])
            schema = next(t for t in tools if t["function"]["name"] == chosen)["function"].get("parameters", {})
            call = {"name": chosen, "args": _args_for(schema, last.text), "id": f"call_{uuid.uuid4().hex[:8]}", "type": "tool_call"}
            return AIMessage(
                content="",
                tool_calls=[call],
                usage_metadata={"input_tokens": usage_in, "output_tokens": 1, "total_tokens": usage_in + 1},
                response_metadata={"model_name": self.model_name, "model_provider": "tool-echo"},
            )
        text = f"{self.model_name} says: {last.text or 'ok'}"
        for s in stop or []:
            if s and s in text:
                text = text[: text.index(s)]
        text = text or self.model_name
        usage_out = len(text.split())
        return AIMessage(
            content=text,
            usage_metadata={"input_tokens": usage_in, "output_tokens": usage_out, "total_tokens": usage_in + usage_out},
            response_metadata={"model_name": self.model_name, "model_provider": "tool-echo", "finish_reason": "stop"},
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages, stop, kwargs))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply = self._reply(messages, stop, kwargs)
        words = reply.text.split(" ") if reply.text else []
        for i, word in enumerate(words):
            yield ChatGenerationChunk(message=AIMessageChunk(content=word if i == 0 else " " + word))
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                tool_call_chunks=[
                    tool_call_chunk(name=c["name"], args=__import__("json").dumps(c["args"]), id=c["id"], index=i)
                    for i, c in enumerate(reply.tool_calls)
                ],
                usage_metadata=reply.usage_metadata,
                response_metadata=reply.response_metadata,
                chunk_position="last",
            )
        )


@pytest.fixture
def router():
    """A trained router on the hashing encoder: "prove"/"theorem"/... go large, "hello"/"weather"/... small."""
    return make_router()


@pytest.fixture
def small() -> ToolEchoChat:
    return ToolEchoChat(model="small-echo")


@pytest.fixture
def large() -> ToolEchoChat:
    return ToolEchoChat(model="large-echo")
