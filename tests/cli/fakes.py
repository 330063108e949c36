"""Fake chat models for the CLI tests and the infer benchmark; no provider package or network.

The CLI builds models through ``$HYBRID_ROUTER_MODEL_FACTORY`` (see langchain_hybrid_router.models);
point it at ``tests.cli.fakes:fake_chat_model`` and name models like
``fake:small?sleep=0.05&fail_on=FAIL&interrupt_after=3``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qsl

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult

FACTORY = "tests.cli.fakes:fake_chat_model"

_CALLS = {"n": 0}
"""Calls started by any FakeChatModel in this process (for ``interrupt_after``)."""


def reset_calls() -> None:
    _CALLS["n"] = 0


class FakeChatModel(BaseChatModel):
    """Answers ``"<label> #<turn>: <last user message>"``, with word-count token usage.

    ``turn`` is the number of user messages it was given, so a test can see the history arrive.
    """

    label: str = "fake"
    """Shown at the start of every answer."""
    sleep: float = 0.0
    """Seconds each call waits (``asyncio.sleep`` in async calls)."""
    fail_on: str | None = None
    """A call whose last user message contains this text raises RuntimeError."""
    interrupt_after: int | None = None
    """The call after this many calls in the process raises KeyboardInterrupt (a Ctrl-C midway)."""

    @property
    def _llm_type(self) -> str:
        return "fake-cli-test"

    def _start(self, messages: list[BaseMessage]) -> str:
        _CALLS["n"] += 1
        if self.interrupt_after is not None and _CALLS["n"] > self.interrupt_after:
            raise KeyboardInterrupt
        last = next((m.text for m in reversed(messages) if isinstance(m, HumanMessage)), "")
        if self.fail_on and self.fail_on in last:
            raise RuntimeError(f"provider refused: {self.fail_on}")
        return last

    def _result(self, messages: list[BaseMessage], last: str) -> ChatResult:
        turn = sum(isinstance(m, HumanMessage) for m in messages)
        text = f"{self.label} #{turn}: {last}"
        n_in = sum(len(m.text.split()) for m in messages)
        n_out = len(text.split())
        usage = {"input_tokens": n_in, "output_tokens": n_out, "total_tokens": n_in + n_out}
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text, usage_metadata=usage))])

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        last = self._start(messages)
        if self.sleep:
            time.sleep(self.sleep)
        return self._result(messages, last)

    async def _agenerate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        last = self._start(messages)
        if self.sleep:
            await asyncio.sleep(self.sleep)
        return self._result(messages, last)


def fake_chat_model(model: str, **kwargs: Any) -> FakeChatModel:
    """The factory: ``fake:<label>?sleep=<s>&fail_on=<text>&interrupt_after=<n>`` -> FakeChatModel."""
    provider, _, rest = model.partition(":")
    if provider != "fake":
        raise ValueError(f"fake factory only builds 'fake:...' models, got {model!r}")
    label, _, query = rest.partition("?")
    params: dict[str, Any] = dict(parse_qsl(query))
    if "sleep" in params:
        params["sleep"] = float(params["sleep"])
    if "interrupt_after" in params:
        params["interrupt_after"] = int(params["interrupt_after"])
    return FakeChatModel(label=label, **params, **kwargs)


def register_hashing_encoder() -> None:
    """Let a router trained with ``tests.fakes.HashingEncoder`` load by its encoder name.

    A saved router records only its encoder's name; the core resolves names through its
    per-process encoder table, so the CLI (in this process, or a subprocess that imports this
    module through the factory variable) gets the same deterministic encoder back."""
    from hybrid_router import encoders

    from tests.fakes import HashingEncoder

    enc = HashingEncoder()
    encoders._ENCODERS.setdefault(enc.name, enc)


register_hashing_encoder()
