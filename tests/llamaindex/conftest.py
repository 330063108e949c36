"""Offline fakes for the LlamaIndex adapter tests: labelled LLMs, a scripted tool-calling LLM, a spy router."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

pytest.importorskip("llama_index.core")

from llama_index.core import Settings
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import (
    ChatMessage,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.llms.mock import MockFunctionCallingLLM, MockLLM

from tests.fakes import HashingEncoder, make_router

EASY = "hello, what is the weather and the time"
HARD = "prove the theorem with a lemma on the eigenvalue"


class SpyRouter:
    """Wraps a router and records every ``decide``/``adecide`` call (text and kind)."""

    def __init__(self, router: Any) -> None:
        self.router = router
        self.small_model = router.small_model
        self.large_model = router.large_model
        self.calls: list[tuple[str, str]] = []

    def decide(self, query: str) -> Any:
        self.calls.append(("decide", query))
        return self.router.decide(query)

    async def adecide(self, query: str) -> Any:
        self.calls.append(("adecide", query))
        return await self.router.adecide(query)


class LabelledLLM(CustomLLM):
    """A plain (not function-calling) LLM whose every answer starts with ``[label]``."""

    label: str = "llm"
    context_window: int = 4096
    chat_model: bool = True

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=64,
            is_chat_model=self.chat_model,
            model_name=self.label,
        )

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=f"[{self.label}] {prompt}")

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            text = ""
            for token in [f"[{self.label}]", " ", prompt]:
                text += token
                yield CompletionResponse(text=text, delta=token)

        return gen()


class ScriptedToolLLM(MockFunctionCallingLLM):
    """A tool-calling mock that logs which of its methods ran, for checking per-step dispatch.

    With tools: calls ``tool_name`` once per entry of ``topics`` (one call per step, the topic
    chosen by how many tool results the conversation holds), then answers ``[label] done``.
    Without tools: answers ``[label] <last message>``.
    """

    label: str = "llm"
    tool_name: str = "lookup"
    topics: list[str] = Field(default_factory=lambda: ["hard", "easy"])
    _log: list = PrivateAttr(default_factory=list)

    def __init__(self, log: list | None = None, **kwargs: Any) -> None:
        super().__init__(response_generator=self._respond, is_chat_model=True, **kwargs)
        self._log = log if log is not None else []

    @property
    def log(self) -> list:
        """(event, label) pairs: ``("prepare", ...)`` and ``("chat", ...)``, shared between children."""
        return self._log

    def _respond(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        self._log.append(("chat", self.label))
        if not kwargs.get("tools"):
            return ChatMessage(
                role="assistant",
                content=f"[{self.label}] {messages[-1].content if messages else ''}",
            )
        done = sum(m.role == MessageRole.TOOL for m in messages)
        if done < len(self.topics):
            call = ToolCallBlock(
                tool_call_id=f"call-{done}",
                tool_name=self.tool_name,
                tool_kwargs={"topic": self.topics[done]},
            )
            return ChatMessage(role="assistant", blocks=[call])
        return ChatMessage(role="assistant", content=f"[{self.label}] done")

    def _prepare_chat_with_tools(self, tools: Sequence[Any], **kwargs: Any) -> dict:
        self._log.append(("prepare", self.label))
        return super()._prepare_chat_with_tools(tools, **kwargs)


class HashingEmbedding(BaseEmbedding):
    """A LlamaIndex embedding model over the tests' ``HashingEncoder`` (deterministic, offline)."""

    dim: int = 64
    _encoder: Any = PrivateAttr(default=None)
    _batches: int = PrivateAttr(default=0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._encoder = HashingEncoder(self.dim)

    @property
    def batches(self) -> int:
        """How many times ``_get_text_embeddings`` (the batch method) ran."""
        return self._batches

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self._batches += 1
        return np.asarray(self._encoder.encode(texts)).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


@pytest.fixture(autouse=True)
def _offline_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mock LLM and embeddings as LlamaIndex's defaults, so nothing looks for OpenAI."""
    monkeypatch.setattr(Settings, "_llm", MockLLM())
    monkeypatch.setattr(Settings, "_embed_model", MockEmbedding(embed_dim=8))


@pytest.fixture(scope="session")
def router() -> Any:
    """``tests.fakes.make_router()``: "prove"/"theorem" words go large, "hello"/"weather" small."""
    return make_router()


@pytest.fixture
def spy(router: Any) -> SpyRouter:
    return SpyRouter(router)
