"""``HybridRouterLLM``: a LlamaIndex ``FunctionCallingLLM`` that sends each call to a small or a large LLM.

Every call (a chat turn, a completion, one step of an agent's tool loop) is scored by the
router and dispatched to the chosen child. The decision travels with the response: in
``response.additional_kwargs["hybrid_router"]`` and, when the child's ``raw`` is a dict or
empty, in ``response.raw["hybrid_router"]`` (so a ``FunctionAgent``'s ``AgentOutput.raw``
shows it per step).

Tool calling: ``chat_with_tools`` calls ``_prepare_chat_with_tools`` before ``chat``. The
decision is made once, in ``_prepare_chat_with_tools`` (or, for the async variants, awaited
off the event loop before it), carried to ``chat`` in the prepared kwargs, so the child that
formats the tools is the child that answers; ``get_tool_calls_from_response`` reads the route
back from the response and asks the same child to parse it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, field_serializer, field_validator
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import LLM, ToolSelection

if TYPE_CHECKING:
    from hybrid_router import RoutingDecision
    from llama_index.core.tools.types import BaseTool

logger = logging.getLogger(__name__)

DECISION_KEY = "hybrid_router"
"""Key of the decision in ``additional_kwargs``/``raw`` of every response."""
_DECISION_KWARG = "hybrid_router_decision"
"""Internal kwarg that carries a step's decision from ``_prepare_chat_with_tools`` to ``chat``."""

RouteOn = (
    Literal["last_user", "last_message", "conversation"] | Callable[[Sequence[ChatMessage]], str]
)


def routed_text(messages: Sequence[ChatMessage], route_on: RouteOn = "last_user") -> str:
    """The text the router scores for a list of chat messages.

    ``last_user``: the last user message (the task; an agent's steps share it). ``last_message``:
    the last message with text, whatever its role (e.g. the latest tool result, so an agent's steps
    are scored on what they see). ``conversation``: every message with text, one per line. A
    callable gets the messages and returns the text.
    """
    if callable(route_on):
        return str(route_on(messages))
    texts = [(m.role, m.content) for m in messages if m.content]
    if route_on == "conversation":
        return "\n".join(f"{role.value}: {text}" for role, text in texts)
    if route_on == "last_user":
        users = [text for role, text in texts if role == MessageRole.USER]
        if users:
            return users[-1]
    # last_message, or no user message at all: the latest text there is.
    return texts[-1][1] if texts else ""


def _step_messages(
    user_msg: str | ChatMessage | None, chat_history: list[ChatMessage] | None
) -> list[ChatMessage]:
    """The messages of one tool-calling step, as ``FunctionCallingLLM.chat_with_tools`` receives them."""
    messages = list(chat_history or [])
    if isinstance(user_msg, str):
        messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
    elif user_msg is not None:
        messages.append(user_msg)
    return messages


class HybridRouterLLM(FunctionCallingLLM):
    """An LLM that routes each call to ``small`` or ``large`` with a learned Hybrid LLM router.

    The router predicts from the text alone whether the small model's answer will be good
    enough; the call goes to ``small`` if so, else to ``large``. All eight endpoints (chat,
    complete, their async and streaming forms) are real and instrumented; an agent built on
    this LLM gets every step routed. Function calling works when both children support it.

    Setup:
        .. code-block:: bash

            pip install "hybrid-llm-router[llamaindex]"

    Instantiate:
        .. code-block:: python

            from llamaindex_hybrid_router import HybridRouterLLM

            llm = HybridRouterLLM(router=router, small=OpenAI(model="gpt-4o-mini"), large=OpenAI(model="gpt-4o"))

    Invoke:
        .. code-block:: python

            response = llm.chat([ChatMessage(role="user", content="Prove that sqrt(2) is irrational.")])
            response.additional_kwargs["hybrid_router"]   # {"route": "large", "router_score": 0.21, ...}

    Stream / Async:
        .. code-block:: python

            for chunk in llm.stream_complete("Hello!"): ...
            response = await llm.achat(messages)          # the router encodes in a worker thread

    Agent (each step routed):
        .. code-block:: python

            from llama_index.core.agent.workflow import FunctionAgent

            agent = FunctionAgent(tools=[...], llm=HybridRouterLLM(router=router, small=a, large=b,
                                                                   route_on="last_message"))
            response = await agent.run("...")
    """

    router: Any = Field(
        exclude=True, description="A trained hybrid_router.HybridRouter (decide/adecide)."
    )
    """The router: scores the routed text, returns a ``RoutingDecision``."""
    small: LLM = Field(
        description="The cheap model: gets a call when the router predicts it is good enough."
    )
    """The small (cheap) LLM."""
    large: LLM = Field(description="The strong model: gets every other call.")
    """The large (expensive) LLM."""
    route_on: RouteOn = Field(
        default="last_user",
        description="Which text is scored: 'last_user', 'last_message', 'conversation' or a callable.",
    )
    """Which text of a chat is scored (see ``routed_text``); a completion's prompt is scored as is."""

    @field_validator("router")
    @classmethod
    def _check_router(cls, router: Any) -> Any:
        if not (
            callable(getattr(router, "decide", None)) and callable(getattr(router, "adecide", None))
        ):
            raise ValueError(  # noqa: TRY004 (pydantic turns ValueError into a ValidationError)
                f"router must be a hybrid_router.HybridRouter (with decide/adecide), got {type(router).__name__}. "
                "Train one (HybridRouter.fit / from_yaml) or load one (HybridRouter.load(path))."
            )
        return router

    @field_validator("route_on")
    @classmethod
    def _check_route_on(cls, route_on: Any) -> Any:
        if not callable(route_on) and route_on not in ("last_user", "last_message", "conversation"):
            raise ValueError(
                f"route_on must be 'last_user', 'last_message', 'conversation' or a callable, got {route_on!r}."
            )
        return route_on

    @field_serializer("route_on")
    def _serialize_route_on(self, route_on: RouteOn) -> str:
        # A callable cannot go to JSON: record its name (to_dict/to_json, instrumentation payloads).
        return (
            route_on
            if isinstance(route_on, str)
            else getattr(route_on, "__qualname__", repr(route_on))
        )

    @classmethod
    def class_name(cls) -> str:
        return "HybridRouterLLM"

    @property
    def metadata(self) -> LLMMetadata:
        """Derived from the children: the smaller context window and output, capabilities both share."""
        small, large = self.small.metadata, self.large.metadata
        return LLMMetadata(
            context_window=min(small.context_window, large.context_window),
            num_output=min(small.num_output, large.num_output),
            is_chat_model=small.is_chat_model and large.is_chat_model,
            is_function_calling_model=small.is_function_calling_model
            and large.is_function_calling_model,
            model_name=f"hybrid-router({small.model_name}|{large.model_name})",
            system_role=small.system_role
            if small.system_role == large.system_role
            else MessageRole.SYSTEM,
        )

    # -- deciding ------------------------------------------------------------------------
    def _child(self, decision: RoutingDecision) -> LLM:
        return self.small if decision.route == "small" else self.large

    def _decision_for(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]
    ) -> RoutingDecision:
        """The step's decision: carried in ``kwargs`` by ``_prepare_chat_with_tools``, else made now."""
        decision = kwargs.pop(_DECISION_KWARG, None)
        return (
            decision
            if decision is not None
            else self.router.decide(routed_text(messages, self.route_on))
        )

    async def _adecision_for(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]
    ) -> RoutingDecision:
        decision = kwargs.pop(_DECISION_KWARG, None)
        if decision is not None:
            return decision
        return await self.router.adecide(routed_text(messages, self.route_on))

    @staticmethod
    def _annotate(response: Any, decision: RoutingDecision) -> Any:
        """Put the decision in the response's ``additional_kwargs`` (and ``raw`` if it is a dict or empty)."""
        meta = decision.as_metadata()
        response.additional_kwargs = {**(response.additional_kwargs or {}), DECISION_KEY: meta}
        if response.raw is None or isinstance(response.raw, Mapping):
            response.raw = {**(response.raw or {}), DECISION_KEY: meta}
        return response

    def _child_for_response(self, response: ChatResponse) -> LLM:
        meta = (response.additional_kwargs or {}).get(DECISION_KEY)
        if not meta or meta.get("route") not in ("small", "large"):
            raise ValueError(
                f"The response carries no '{DECISION_KEY}' decision in additional_kwargs, so HybridRouterLLM "
                "cannot tell which child produced it; pass responses from this LLM's own chat/achat unchanged."
            )
        return self.small if meta["route"] == "small" else self.large

    # -- chat ----------------------------------------------------------------------------
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        decision = self._decision_for(messages, kwargs)
        return self._annotate(self._child(decision).chat(messages, **kwargs), decision)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        decision = await self._adecision_for(messages, kwargs)
        return self._annotate(await self._child(decision).achat(messages, **kwargs), decision)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        decision = self._decision_for(messages, kwargs)
        stream = self._child(decision).stream_chat(messages, **kwargs)

        def gen() -> Generator[ChatResponse, None, None]:
            for chunk in stream:
                yield self._annotate(chunk, decision)

        return gen()

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        decision = await self._adecision_for(messages, kwargs)
        stream = await self._child(decision).astream_chat(messages, **kwargs)

        async def gen() -> AsyncGenerator[ChatResponse, None]:
            async for chunk in stream:
                yield self._annotate(chunk, decision)

        return gen()

    # -- complete ------------------------------------------------------------------------
    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        decision = self.router.decide(prompt)
        return self._annotate(
            self._child(decision).complete(prompt, formatted=formatted, **kwargs), decision
        )

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        decision = await self.router.adecide(prompt)
        response = await self._child(decision).acomplete(prompt, formatted=formatted, **kwargs)
        return self._annotate(response, decision)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        decision = self.router.decide(prompt)
        stream = self._child(decision).stream_complete(prompt, formatted=formatted, **kwargs)

        def gen() -> Generator[CompletionResponse, None, None]:
            for chunk in stream:
                yield self._annotate(chunk, decision)

        return gen()

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        decision = await self.router.adecide(prompt)
        stream = await self._child(decision).astream_complete(prompt, formatted=formatted, **kwargs)

        async def gen() -> AsyncGenerator[CompletionResponse, None]:
            async for chunk in stream:
                yield self._annotate(chunk, decision)

        return gen()

    # -- tool calling --------------------------------------------------------------------
    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Decide this step once, let the chosen child format the tools, carry the decision to ``chat``."""
        decision = kwargs.pop(_DECISION_KWARG, None)
        if decision is None:
            decision = self.router.decide(
                routed_text(_step_messages(user_msg, chat_history), self.route_on)
            )
        child = self._child(decision)
        if not isinstance(child, FunctionCallingLLM):
            raise TypeError(
                f"HybridRouterLLM chose the {decision.route} model ({type(child).__name__}), which does not "
                "support function calling; give FunctionCallingLLM children for tools and agents."
            )
        chat_kwargs = child._prepare_chat_with_tools_compat(
            tools,
            user_msg=user_msg,
            chat_history=chat_history,
            verbose=verbose,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
            **kwargs,
        )
        return {**chat_kwargs, _DECISION_KWARG: decision}

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Delegated to the child that answered (it may, e.g., keep only the first tool call)."""
        kwargs.pop(_DECISION_KWARG, None)
        child = self._child_for_response(response)
        if isinstance(child, FunctionCallingLLM):
            return child._validate_chat_with_tools_response(
                response, tools, allow_parallel_tool_calls=allow_parallel_tool_calls, **kwargs
            )
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """Parsed by the child that produced ``response`` (read from its decision)."""
        child = self._child_for_response(response)
        if not isinstance(child, FunctionCallingLLM):
            raise TypeError(
                f"The {type(child).__name__} child does not support function calling; "
                "give FunctionCallingLLM children for tools and agents."
            )
        return child.get_tool_calls_from_response(
            response, error_on_no_tool_call=error_on_no_tool_call, **kwargs
        )

    async def _adecide_tools_step(
        self, user_msg: str | ChatMessage | None, chat_history: list[ChatMessage] | None
    ) -> RoutingDecision:
        return await self.router.adecide(
            routed_text(_step_messages(user_msg, chat_history), self.route_on)
        )

    async def achat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """``FunctionCallingLLM.achat_with_tools`` with the decision awaited off the event loop first."""
        if _DECISION_KWARG not in kwargs:
            kwargs[_DECISION_KWARG] = await self._adecide_tools_step(user_msg, chat_history)
        return await super().achat_with_tools(
            tools,
            user_msg=user_msg,
            chat_history=chat_history,
            verbose=verbose,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
            **kwargs,
        )

    async def astream_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponseAsyncGen:
        """``FunctionCallingLLM.astream_chat_with_tools`` with the decision awaited off the event loop first."""
        if _DECISION_KWARG not in kwargs:
            kwargs[_DECISION_KWARG] = await self._adecide_tools_step(user_msg, chat_history)
        return await super().astream_chat_with_tools(
            tools,
            user_msg=user_msg,
            chat_history=chat_history,
            verbose=verbose,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
            **kwargs,
        )
