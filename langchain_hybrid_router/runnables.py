"""``HybridRouterRunnable``: route each input between two whole Runnables (a cheap and an expensive chain).

Built from LangChain's own primitives, nothing of our own beyond the scoring step:

    input -> RunnableLambda(decide)  -> {"key": "small"|"large", "input": input, "decision": {...}}
          -> RouterRunnable({"small": small, "large": large})   -> the chosen chain's output

so ``invoke``/``ainvoke``/``batch``/``abatch``/``stream``/``astream`` all come from LangChain.
The decision is dispatched as the custom callback event ``hybrid_router_decision`` (visible to
handlers and in ``astream_events``), is the decide step's output in traces, and, with
``return_decision=True``, is returned next to the output.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from hybrid_router import HybridRouter, RoutingDecision
from langchain_core.callbacks.manager import adispatch_custom_event, dispatch_custom_event
from langchain_core.messages import BaseMessage
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import (
    RouterRunnable,
    Runnable,
    RunnableConfig,
    RunnableLambda,
    RunnableParallel,
    RunnableSerializable,
)
from pydantic import ConfigDict, PrivateAttr, model_validator

from .chat_models import DECISION_EVENT, _load_router, routed_text

DEFAULT_KEYS = ("query", "question", "input")
"""Keys tried, in order, when a dict input is routed and no ``input_key`` is given."""


def text_to_route(value: Any, input_key: str | None = None) -> str:
    """The text a router scores for a Runnable input.

    A string is itself; a dict gives ``value[input_key]`` (or the first of ``DEFAULT_KEYS``
    present, or its only string value); a prompt value or a list of messages gives the last
    human message; a message its text.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, PromptValue):
        return routed_text(value.to_messages())
    if isinstance(value, BaseMessage):
        return value.text
    if isinstance(value, Sequence) and value and all(isinstance(m, BaseMessage) for m in value):
        return routed_text(list(value))
    if isinstance(value, Mapping):
        if input_key is not None:
            if input_key not in value:
                raise KeyError(f"input_key {input_key!r} is not in the input; its keys are {sorted(value)}.")
            return text_to_route(value[input_key])
        for key in DEFAULT_KEYS:
            if key in value:
                return text_to_route(value[key])
        strings = [k for k, v in value.items() if isinstance(v, str)]
        if len(strings) == 1:
            return value[strings[0]]
        raise ValueError(
            f"Cannot tell which key of the input to route on (keys {sorted(value)}); pass input_key=... "
            "or routed_text=callable to HybridRouterRunnable."
        )
    raise TypeError(
        f"Cannot route an input of type {type(value).__name__}; pass routed_text=callable returning the text to score."
    )


class HybridRouterRunnable(RunnableSerializable[Any, Any]):
    """Sends each input to ``small`` or ``large`` (any Runnables) by the router's score on its text.

    .. code-block:: python

        from langchain_hybrid_router import HybridRouterRunnable
        rag = HybridRouterRunnable(router=router, small=cheap_rag_chain, large=expensive_rag_chain,
                                   input_key="question")
        rag.invoke({"question": "What is our refund policy?"})
        rag.batch([...]); await rag.ainvoke(...); for chunk in rag.stream(...): ...

    ``input_key`` picks which key of a dict input is scored (``HybridRouterRunnable.on_key`` is
    the ``RouterChain``-style shortcut); ``routed_text`` (a callable ``input -> str``) overrides
    it. ``return_decision=True`` returns ``{"output": ..., "decision": {...}}``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    router: Any
    """A ``HybridRouter``, or the path of a saved one."""
    small: Runnable
    """Runs the inputs whose score is at least the router's threshold."""
    large: Runnable
    """Runs the other inputs."""
    input_key: str | None = None
    """Key of a dict input to score; default: the first of "query", "question", "input"."""
    routed_text: Callable[[Any], str] | None = None
    """A callable returning the text to score for an input; overrides ``input_key``."""
    return_decision: bool = False
    """Return ``{"output": <chosen runnable's output>, "decision": RoutingDecision.as_metadata()}``."""

    _chain: Runnable = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _load_router_path(cls, values: Any) -> Any:
        if isinstance(values, dict) and isinstance(values.get("router"), (str, Path)):
            values = dict(values)
            values["router"] = _load_router(values["router"], trust_pickle=False)
        elif isinstance(values, dict) and "router" in values:
            _load_router(values["router"], trust_pickle=False)  # type check with a clear message
        return values

    def model_post_init(self, context: Any) -> None:
        decide = RunnableLambda(self._decide, afunc=self._adecide, name="HybridRouterDecide")
        routed: Runnable = RouterRunnable(runnables={"small": self.small, "large": self.large})
        if self.return_decision:
            routed = RunnableParallel(output=routed, decision=RunnableLambda(lambda step: step["decision"], name="decision"))
        self._chain = (decide | routed).with_config(run_name=self.get_name())

    @classmethod
    def on_key(cls, input_key: str, router: HybridRouter | str | Path, small: Runnable, large: Runnable, **kwargs: Any) -> HybridRouterRunnable:
        """Route dict inputs on ``input[input_key]`` (the ``RouterChain``-style convenience)."""
        return cls(router=router, small=small, large=large, input_key=input_key, **kwargs)

    # -- the decide step ------------------------------------------------------------------------------
    def text(self, value: Any) -> str:
        """The text scored for ``value``."""
        if self.routed_text is not None:
            text = self.routed_text(value)
            if not isinstance(text, str):
                raise TypeError(f"routed_text must return a str, got {type(text).__name__}.")
            return text
        return text_to_route(value, self.input_key)

    @staticmethod
    def _step(value: Any, decision: RoutingDecision) -> dict[str, Any]:
        return {"key": decision.route, "input": value, "decision": decision.as_metadata()}

    def _decide(self, value: Any, config: RunnableConfig) -> dict[str, Any]:
        decision = self.router.decide(self.text(value))
        dispatch_custom_event(DECISION_EVENT, decision.as_metadata(), config=config)
        return self._step(value, decision)

    async def _adecide(self, value: Any, config: RunnableConfig) -> dict[str, Any]:
        decision = await self.router.adecide(self.text(value))
        await adispatch_custom_event(DECISION_EVENT, decision.as_metadata(), config=config)
        return self._step(value, decision)

    # -- Runnable interface: all delegated to the composed chain ---------------------------------------
    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return self._chain.invoke(input, config, **kwargs)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return await self._chain.ainvoke(input, config, **kwargs)

    def batch(self, inputs: list[Any], config: Any = None, *, return_exceptions: bool = False, **kwargs: Any) -> list[Any]:
        return self._chain.batch(inputs, config, return_exceptions=return_exceptions, **kwargs)

    async def abatch(
        self, inputs: list[Any], config: Any = None, *, return_exceptions: bool = False, **kwargs: Any
    ) -> list[Any]:
        return await self._chain.abatch(inputs, config, return_exceptions=return_exceptions, **kwargs)

    def stream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Any]:
        yield from self._chain.stream(input, config, **kwargs)

    async def astream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> AsyncIterator[Any]:
        async for chunk in self._chain.astream(input, config, **kwargs):
            yield chunk
