"""``ChatHybridRouter``: a LangChain chat model that sends each call to a small or a large chat model.

The one-way flow, per call: messages -> routed text -> ``HybridRouter.decide`` -> the chosen child
chat model (its run nested under this one's) -> the child's message, with the decision added to
its ``response_metadata``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, NamedTuple
from uuid import UUID

from hybrid_router import HybridRouter, RoutingDecision
from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.chat_models import LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import ensure_config, set_config_context
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.uuid import uuid7
from pydantic import ConfigDict, Field, model_validator

logger = logging.getLogger(__name__)

RoutedText = Literal["last_human", "last_input", "conversation"] | Callable[[list[BaseMessage]], str]
"""What the router scores: the last human message (default), the newest input (the messages
after the last AI message: the human turn, or the tool results of an agent step), the whole
conversation, or a callable ``messages -> str``."""

DECISION_EVENT = "hybrid_router_decision"
"""Name of the custom callback event carrying ``RoutingDecision.as_metadata()`` for each call."""

_TOOL_KWARGS = ("tool_choice", "strict", "parallel_tool_calls")
# Keys of a child's response_metadata that the decision overrides; the child's value is kept
# under "child_<key>" (e.g. the provider's own model id under "child_model_name").
_DECISION_KEYS = ("route", "model_name", "router_score", "router_threshold", "small_model", "large_model")


def routed_text(messages: Sequence[BaseMessage], how: RoutedText = "last_human") -> str:
    """The text of ``messages`` the router scores, per ``how`` (see ``RoutedText``)."""
    if callable(how):
        text = how(list(messages))
        if not isinstance(text, str):
            raise TypeError(f"routed_text callable must return a str, got {type(text).__name__}.")
        return text
    if not messages:
        return ""
    if how == "conversation":
        return "\n".join(f"{m.type}: {m.text}" for m in messages if m.text)
    if how == "last_input":
        tail: list[BaseMessage] = []
        for message in reversed(messages):
            if message.type == "ai":
                break
            tail.append(message)
        tail.reverse()
        text = "\n".join(m.text for m in tail if m.type != "system" and m.text)
        return text or messages[-1].text
    if how == "last_human":
        for message in reversed(messages):
            if message.type == "human":
                return message.text
        return messages[-1].text
    raise ValueError(
        f"routed_text must be 'last_human', 'last_input', 'conversation' or a callable, got {how!r}."
    )


class _Parent(NamedTuple):
    """This model's run, as the child's callback manager needs it."""

    run_id: UUID
    handlers: list[Any]
    tags: list[str]
    metadata: dict[str, Any]


# BaseChatModel.stream() does not hand its run manager to _stream, so stream()/astream() below
# pre-assign the run id and leave (run id, config) here; _stream reads it before its first yield.
_STREAM_PARENT: ContextVar[tuple[UUID, RunnableConfig] | None] = ContextVar("hybrid_router_stream_parent", default=None)


def _parent_of(run_manager: Any) -> _Parent | None:
    """The parent for the child's run: from the run manager, or from what stream() left."""
    pending = _STREAM_PARENT.get()
    _STREAM_PARENT.set(None)
    if run_manager is not None:
        return _Parent(
            run_manager.run_id,
            list(run_manager.inheritable_handlers),
            list(run_manager.inheritable_tags or []),
            dict(run_manager.inheritable_metadata or {}),
        )
    if pending is None:
        return None
    run_id, config = pending
    manager = CallbackManager.configure(
        inheritable_callbacks=config.get("callbacks"),
        inheritable_tags=config.get("tags"),
        inheritable_metadata=config.get("metadata"),
    )
    return _Parent(run_id, list(manager.inheritable_handlers), list(manager.inheritable_tags), dict(manager.inheritable_metadata))


# The child is called inside a context whose "current config" is its own: a RunnableBinding child
# (bind_tools) merges the ambient config into the one it is given, and inside a RunnableSequence
# that would re-parent the child's run under the sequence instead of under this model's run.
def _call_in(context_config: RunnableConfig, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with set_config_context(context_config) as ctx:
        return ctx.run(fn, *args, **kwargs)


async def _acall_in(context_config: RunnableConfig, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with set_config_context(context_config) as ctx:
        return await asyncio.create_task(fn(*args, **kwargs), context=ctx)


def _iter_in(context_config: RunnableConfig, fn: Callable[..., Iterator[Any]], *args: Any, **kwargs: Any) -> Iterator[Any]:
    with set_config_context(context_config) as ctx:
        iterator = ctx.run(lambda: iter(fn(*args, **kwargs)))
        done = object()
        while (item := ctx.run(next, iterator, done)) is not done:
            yield item


async def _aiter_in(context_config: RunnableConfig, fn: Callable[..., AsyncIterator[Any]], *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
    with set_config_context(context_config) as ctx:
        iterator = ctx.run(lambda: fn(*args, **kwargs).__aiter__())

        async def step() -> Any:
            try:
                return await iterator.__anext__()
            except StopAsyncIteration:
                return done

        done = object()
        while (item := await asyncio.create_task(step(), context=ctx)) is not done:
            yield item


def _load_router(router: Any, trust_pickle: bool) -> HybridRouter:
    if isinstance(router, (str, Path)):
        path = Path(router)
        if not path.exists():
            raise FileNotFoundError(f"No saved router at {path}; train one (hybrid-router train --config ...).")
        return HybridRouter.load(path, trust_pickle=trust_pickle)
    if not callable(getattr(router, "decide", None)) or not callable(getattr(router, "adecide", None)):
        raise TypeError(
            f"router must be a HybridRouter or the path of a saved one, got {type(router).__name__}."
        )
    return router


class ChatHybridRouter(BaseChatModel):
    """A chat model that routes every call to ``small`` or ``large`` by a learned router's score.

    Setup:
        ``pip install "hybrid-llm-router[langchain]"``; train or load a ``HybridRouter``.

    Instantiate:
        .. code-block:: python

            from langchain_hybrid_router import ChatHybridRouter
            chat = ChatHybridRouter(router="models/gsm8k.skops", small=ChatOpenAI(model="gpt-4o-mini"),
                                    large=ChatOpenAI(model="gpt-4o"))

    Invoke:
        .. code-block:: python

            msg = chat.invoke("What is 2 + 2?")
            msg.response_metadata["route"], msg.response_metadata["router_score"]

    Stream / Async:
        .. code-block:: python

            for chunk in chat.stream("Tell me a joke"): ...
            msg = await chat.ainvoke("Prove that sqrt(2) is irrational")

    Tool calling:
        .. code-block:: python

            agent_model = chat.bind_tools([get_weather])   # applied to whichever child is chosen

    Every answer's ``response_metadata`` (and generation info) carries the decision:
    ``route``, ``model_name`` (the router's name for the chosen model), ``router_score``,
    ``router_threshold``, ``small_model``, ``large_model``; the child's own metadata is kept
    (a colliding key under ``child_<key>``) and so is its ``usage_metadata``. The child's run is
    nested under this model's run, and a ``hybrid_router_decision`` custom callback event
    carries the decision. ``model=<small or large model name>`` as a call kwarg forces a route.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    router: Any
    """A ``HybridRouter``, or the path of a saved one (loaded once, at construction)."""
    small: BaseChatModel
    """The cheap model: gets the calls whose score is at least the router's threshold."""
    large: BaseChatModel
    """The expensive model: gets the other calls."""
    model_name: str = Field(default="hybrid-router", alias="model")
    """Name of this routed model in traces (LangSmith's ``ls_model_name``)."""
    routed_text: RoutedText = "last_human"
    """Which text of the messages is scored: see ``RoutedText``."""
    fallback_to_other: bool = False
    """If the chosen child raises, retry the call on the other child and record it in the metadata."""
    trust_pickle: bool = False
    """Allow loading a ``.pkl`` router path (unpickling runs code)."""
    temperature: float | None = None
    """Sampling temperature passed to the chosen child per call; None leaves the child's own."""
    max_tokens: int | None = None
    """Maximum output tokens passed to the chosen child per call; None leaves the child's own."""
    timeout: float | None = None
    """Accepted for the standard parameters; set timeouts on the children."""
    max_retries: int | None = None
    """Accepted for the standard parameters; set retries on the children."""
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    """Default stop sequences passed to the chosen child when a call gives none."""
    streaming: bool = False
    """Accepted for LangChain's standard flag. ``invoke`` always calls the child's ``invoke`` (a
    child configured to stream still streams to the callbacks, under this run); ``stream`` streams."""

    @model_validator(mode="before")
    @classmethod
    def _load_router_path(cls, values: Any) -> Any:
        if isinstance(values, dict) and "router" in values:
            values = dict(values)
            values["router"] = _load_router(values["router"], bool(values.get("trust_pickle", False)))
        return values

    @classmethod
    def from_config(cls, config: Any, **kwargs: Any) -> ChatHybridRouter:
        """The routed chat model a ``hybrid-router`` config describes, in one line.

        ``config`` is a YAML path or a ``RouterConfig``: its trained router is loaded and its two
        model strings (``openai:gpt-4o-mini`` style) become chat models via ``init_chat_model``,
        after checking provider packages and API keys. ``small=``/``large=`` override either
        model with a chat model or another model string; see ``models.build_chat_router``.
        """
        from .models import build_chat_router

        return build_chat_router(config, **kwargs)

    # -- LangChain's model description ---------------------------------------------------------------
    @property
    def _llm_type(self) -> str:
        return "hybrid-router"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "small_model": self.router.small_model,
            "large_model": self.router.large_model,
            "router_threshold": self.router.threshold,
            "routed_text": self.routed_text if isinstance(self.routed_text, str) else "callable",
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="hybrid_router",
            ls_model_name=kwargs.get("model") if isinstance(kwargs.get("model"), str) else self.model_name,
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if isinstance(temperature, (int, float)):
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if isinstance(max_tokens, int):
            params["ls_max_tokens"] = max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    # -- tools ---------------------------------------------------------------------------------------
    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable | BaseTool],
        *,
        tool_choice: dict | str | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools; at call time they are bound to whichever child the router picks.

        Tools are converted to the OpenAI tool format, which every LangChain chat model's
        ``bind_tools`` accepts; ``tool_choice``, ``strict`` and ``parallel_tool_calls`` are passed on.
        """
        formatted = [convert_to_openai_tool(t) for t in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=formatted, **kwargs)

    # -- deciding ------------------------------------------------------------------------------------
    def _forced(self, kwargs: dict[str, Any], text: str) -> RoutingDecision | None:
        """A decision given with the call: ``routing_decision=`` or a ``model=`` naming one of the two models.

        ``routing_decision`` is a ``RoutingDecision`` made beforehand, typically by
        ``router.decide_batch`` over many queries at once (one vectorised encoding pass instead
        of one per call); it is used as is, score included.
        """
        given = kwargs.pop("routing_decision", None)
        if given is not None:
            if not isinstance(given, RoutingDecision):
                raise TypeError(f"routing_decision must be a RoutingDecision (from router.decide/decide_batch), got {type(given).__name__}.")
            if (given.small_model, given.large_model) != (self.router.small_model, self.router.large_model):
                raise ValueError(
                    f"routing_decision is for the pair {given.small_model!r}/{given.large_model!r}, but this router "
                    f"routes between {self.router.small_model!r} and {self.router.large_model!r}; decide with this router."
                )
            kwargs.pop("model", None)
            return given
        model = kwargs.pop("model", None)
        if model is None or model == self.model_name:
            return None
        router = self.router
        if model not in (router.small_model, router.large_model):
            raise ValueError(
                f"model={model!r} is neither the small model {router.small_model!r} nor the large model "
                f"{router.large_model!r}; pass one of them to force a route, or omit it to let the router decide."
            )
        route = "small" if model == router.small_model else "large"
        return RoutingDecision(
            route=route, model_name=model, score=float("nan"), threshold=router.threshold,
            small_model=router.small_model, large_model=router.large_model, query=text,
        )

    def _decide(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> RoutingDecision:
        text = routed_text(messages, self.routed_text)
        return self._forced(kwargs, text) or self.router.decide(text)

    async def _adecide(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> RoutingDecision:
        text = routed_text(messages, self.routed_text)
        return self._forced(kwargs, text) or await self.router.adecide(text)

    # -- delegating ----------------------------------------------------------------------------------
    def _child(self, route: str, kwargs: dict[str, Any]) -> tuple[Runnable, dict[str, Any]]:
        """The child for ``route`` with bound tools replayed on it, and the remaining call kwargs."""
        kwargs = dict(kwargs)
        child: Runnable = self.small if route == "small" else self.large
        tools = kwargs.pop("tools", None)
        tool_kwargs = {k: kwargs.pop(k) for k in _TOOL_KWARGS if k in kwargs}
        if tools is not None:
            try:
                child = child.bind_tools(tools, **tool_kwargs)  # type: ignore[attr-defined]
            except NotImplementedError as exc:
                raise NotImplementedError(
                    f"The {route} model ({type(child).__name__}) does not implement bind_tools; use "
                    "children that support tool calling to bind tools on ChatHybridRouter."
                ) from exc
        for name in ("temperature", "max_tokens"):
            if getattr(self, name) is not None:
                kwargs.setdefault(name, getattr(self, name))
        return child, kwargs

    def _child_callbacks(self, parent: _Parent | None, decision: RoutingDecision, asynchronous: bool) -> Any:
        """A callback manager that nests the child's run under this run (STYLE.md's recipe)."""
        if parent is None:
            return None
        meta = {f"hybrid_router_{k}" if not k.startswith("router_") else k: v for k, v in decision.as_metadata().items()}
        manager_cls = AsyncCallbackManager if asynchronous else CallbackManager
        manager = manager_cls(
            handlers=list(parent.handlers),
            inheritable_handlers=list(parent.handlers),
            parent_run_id=parent.run_id,
            tags=list(parent.tags),
            inheritable_tags=list(parent.tags),
            metadata=dict(parent.metadata),
            inheritable_metadata=dict(parent.metadata),
        )
        # The child's tokens are re-emitted by this run; "nostream" keeps LangGraph from streaming them twice.
        manager.add_tags([f"hybrid_router:{decision.route}", "nostream"], inherit=False)
        manager.add_metadata(meta, inherit=False)
        return manager

    def _config(self, manager: Any, route: str) -> RunnableConfig:
        config: RunnableConfig = {"run_name": f"{route}:{self._child_name(route)}"}
        if manager is not None:
            config["callbacks"] = manager
        return config

    def _child_name(self, route: str) -> str:
        return self.router.small_model if route == "small" else self.router.large_model

    def _annotate(self, message: BaseMessage, decision: RoutingDecision, extra: dict[str, Any]) -> dict[str, Any]:
        """The response metadata: the child's, plus the decision (colliding child keys renamed)."""
        child_meta = dict(message.response_metadata or {})
        for key in _DECISION_KEYS:
            if key in child_meta:
                child_meta[f"child_{key}"] = child_meta.pop(key)
        return {**child_meta, **decision.as_metadata(), **extra}

    def _answered(self, decision: RoutingDecision, route: str, error: BaseException | None) -> tuple[RoutingDecision, dict]:
        """The decision as recorded: ``route``/``model_name`` name the model that answered."""
        if route == decision.route:
            return decision, {}
        answered = decision.model_copy(update={"route": route, "model_name": self._child_name(route)})
        return answered, {"fallback_from": decision.route, "fallback_error": f"{type(error).__name__}: {error}"}

    def _note(self, exc: BaseException, decision: RoutingDecision, route: str) -> None:
        exc.add_note(
            f"ChatHybridRouter: raised by the {route} model '{self._child_name(route)}' "
            f"(router_score={decision.score:.4f}, threshold={decision.threshold:g}); "
            "set fallback_to_other=True to retry such calls on the other model."
        )

    def _routes(self, decision: RoutingDecision) -> list[str]:
        other = "large" if decision.route == "small" else "small"
        return [decision.route, other] if self.fallback_to_other else [decision.route]

    def _emit(self, manager: Any, parent: _Parent | None, decision: RoutingDecision) -> None:
        if manager is not None and parent is not None:
            manager.on_custom_event(DECISION_EVENT, decision.as_metadata(), run_id=parent.run_id)

    def _result(self, message: BaseMessage, decision: RoutingDecision, extra: dict[str, Any]) -> ChatResult:
        meta = self._annotate(message, decision, extra)
        message = message.model_copy(update={"response_metadata": meta})
        return ChatResult(
            generations=[ChatGeneration(message=message, generation_info=decision.as_metadata() | extra)],
            llm_output={"model_name": decision.model_name, "route": decision.route},
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        parent = _parent_of(run_manager)
        decision = self._decide(messages, kwargs)
        error: BaseException | None = None
        for route in self._routes(decision):
            manager = self._child_callbacks(parent, decision, asynchronous=False)
            if error is None:
                self._emit(manager, parent, decision)
            child, call_kwargs = self._child(route, kwargs)
            try:
                config = self._config(manager, route)
                message = _call_in(config, child.invoke, messages, config=config, stop=stop or self.stop, **call_kwargs)
            except Exception as exc:
                self._note(exc, decision, route)
                if error is not None or not self.fallback_to_other:
                    raise
                logger.warning("%s model failed (%s); falling back to the other model", route, exc)
                error = exc
                continue
            return self._result(message, *self._answered(decision, route, error))
        raise RuntimeError("unreachable")  # pragma: no cover

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        parent = _parent_of(run_manager)
        decision = await self._adecide(messages, kwargs)
        error: BaseException | None = None
        for route in self._routes(decision):
            manager = self._child_callbacks(parent, decision, asynchronous=True)
            if error is None and manager is not None and parent is not None:
                await manager.on_custom_event(DECISION_EVENT, decision.as_metadata(), run_id=parent.run_id)
            child, call_kwargs = self._child(route, kwargs)
            try:
                config = self._config(manager, route)
                message = await _acall_in(config, child.ainvoke, messages, config=config, stop=stop or self.stop, **call_kwargs)
            except Exception as exc:
                self._note(exc, decision, route)
                if error is not None or not self.fallback_to_other:
                    raise
                logger.warning("%s model failed (%s); falling back to the other model", route, exc)
                error = exc
                continue
            return self._result(message, *self._answered(decision, route, error))
        raise RuntimeError("unreachable")  # pragma: no cover

    # -- streaming -----------------------------------------------------------------------------------
    def _should_stream(self, *, async_api: bool, run_manager: Any = None, **kwargs: Any) -> bool:
        # invoke() routes in _generate, which has the run manager to nest the child under (the
        # child streams to streaming handlers itself); stream()/astream() route in _stream/_astream.
        if not kwargs.get("stream"):
            return False
        return super()._should_stream(async_api=async_api, run_manager=run_manager, **kwargs)

    def stream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, *, stop: list[str] | None = None, **kwargs: Any
    ) -> Iterator[AIMessageChunk]:
        config = ensure_config(config)
        config["run_id"] = config.get("run_id") or uuid7()
        _STREAM_PARENT.set((config["run_id"], config))
        try:
            yield from super().stream(input, config, stop=stop, **kwargs)
        finally:
            _STREAM_PARENT.set(None)

    async def astream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, *, stop: list[str] | None = None, **kwargs: Any
    ) -> AsyncIterator[AIMessageChunk]:
        config = ensure_config(config)
        config["run_id"] = config.get("run_id") or uuid7()
        _STREAM_PARENT.set((config["run_id"], config))
        try:
            async for chunk in super().astream(input, config, stop=stop, **kwargs):
                yield chunk
        finally:
            _STREAM_PARENT.set(None)

    def _chunk(self, chunk: BaseMessage) -> ChatGenerationChunk:
        """A child's chunk re-emitted: decision-colliding metadata renamed, position left to us."""
        if not isinstance(chunk, AIMessageChunk):
            chunk = AIMessageChunk(content=chunk.content, response_metadata=chunk.response_metadata)
        meta = dict(chunk.response_metadata or {})
        for key in _DECISION_KEYS:
            if key in meta:
                meta[f"child_{key}"] = meta.pop(key)
        return ChatGenerationChunk(message=chunk.model_copy(update={"response_metadata": meta, "chunk_position": None}))

    def _last_chunk(self, decision: RoutingDecision, extra: dict[str, Any]) -> ChatGenerationChunk:
        meta = decision.as_metadata() | extra
        return ChatGenerationChunk(
            message=AIMessageChunk(content="", response_metadata=meta, chunk_position="last"), generation_info=meta
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        parent = _parent_of(run_manager)
        decision = self._decide(messages, kwargs)
        error: BaseException | None = None
        for route in self._routes(decision):
            manager = self._child_callbacks(parent, decision, asynchronous=False)
            if error is None:
                self._emit(manager, parent, decision)
            child, call_kwargs = self._child(route, kwargs)
            started = False
            try:
                config = self._config(manager, route)
                for chunk in _iter_in(config, child.stream, messages, config=config, stop=stop or self.stop, **call_kwargs):
                    started = True
                    yield self._chunk(chunk)  # the base class reports each chunk to run_manager
            except Exception as exc:
                self._note(exc, decision, route)
                if started or error is not None or not self.fallback_to_other:
                    raise
                logger.warning("%s model failed (%s); falling back to the other model", route, exc)
                error = exc
                continue
            yield self._last_chunk(*self._answered(decision, route, error))
            return

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        parent = _parent_of(run_manager)
        decision = await self._adecide(messages, kwargs)
        error: BaseException | None = None
        for route in self._routes(decision):
            manager = self._child_callbacks(parent, decision, asynchronous=True)
            if error is None and manager is not None and parent is not None:
                await manager.on_custom_event(DECISION_EVENT, decision.as_metadata(), run_id=parent.run_id)
            child, call_kwargs = self._child(route, kwargs)
            started = False
            try:
                config = self._config(manager, route)
                async for chunk in _aiter_in(config, child.astream, messages, config=config, stop=stop or self.stop, **call_kwargs):
                    started = True
                    yield self._chunk(chunk)  # the base class reports each chunk to run_manager
            except Exception as exc:
                self._note(exc, decision, route)
                if started or error is not None or not self.fallback_to_other:
                    raise
                logger.warning("%s model failed (%s); falling back to the other model", route, exc)
                error = exc
                continue
            yield self._last_chunk(*self._answered(decision, route, error))
            return
