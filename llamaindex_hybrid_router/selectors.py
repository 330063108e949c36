"""``HybridLLMSelector``: the learned router as a LlamaIndex selector.

Plugs into ``RouterQueryEngine`` and ``RouterRetriever`` (anything that takes a
``BaseSelector``) when the two choices are a cheap and an expensive option. It follows
``llama_index.core.selectors.EmbeddingSingleSelector``: it stores its dependency (the router),
offers ``from_defaults``, and ``_select``/``_aselect`` are mirrored; the evidence (score and
threshold) is in the selection's ``reason``, so ``response.metadata["selector_result"]`` shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.base.base_selector import BaseSelector, SelectorResult, SingleSelection
from llama_index.core.bridge.pydantic import Field
from llama_index.core.prompts.mixin import PromptDictType
from llama_index.core.schema import QueryBundle
from llama_index.core.tools.types import ToolMetadata

if TYPE_CHECKING:
    from hybrid_router import HybridRouter, RoutingDecision

logger = logging.getLogger(__name__)


class RoutedSelection(SingleSelection):
    """A ``SingleSelection`` that also carries the routing decision as flat metadata."""

    decision: dict[str, Any] = Field(default_factory=dict)
    """``RoutingDecision.as_metadata()``: route, model_name, router_score, router_threshold, ..."""


def _label(choice: ToolMetadata) -> str:
    """The name a choice is matched by: its tool name, else its description (plain-string choices)."""
    return (choice.name or choice.description or "").strip().lower()


class HybridLLMSelector(BaseSelector):
    """Selects the cheap or the expensive one of two choices with a learned Hybrid LLM router.

    The router predicts from the query alone whether the small model's answer will be good
    enough (``score >= threshold``); the selector then picks the choice that stands for the
    small or the large model.

    Which choice is which:

    1. by name: a choice whose tool name (or, for plain-string choices, whose text) is
       ``small_choice``/``large_choice`` (default ``"small"``/``"large"``) or the router's
       ``small_model``/``large_model`` name (case-insensitive). If only one choice is named,
       the other one is the other side.
    2. else by position: **choice 0 is the small model, choice 1 the large model.**

    Exactly two choices are accepted; any other number is a ``ValueError``.

    Setup:
        .. code-block:: bash

            pip install "hybrid-llm-router[llamaindex]"

    Use:
        .. code-block:: python

            from llama_index.core.query_engine import RouterQueryEngine
            from llama_index.core.tools import QueryEngineTool
            from llamaindex_hybrid_router import HybridLLMSelector

            engine = RouterQueryEngine(
                selector=HybridLLMSelector(router=router),
                query_engine_tools=[
                    QueryEngineTool.from_defaults(cheap_engine, name="small", description="cheap"),
                    QueryEngineTool.from_defaults(strong_engine, name="large", description="strong"),
                ],
                llm=llm,
            )
            response = engine.query("Prove that sqrt(2) is irrational.")
            response.metadata["selector_result"].reason   # "Hybrid LLM router: score 0.231 < threshold 0.500 -> large model ..."

    Args:
        router: A trained ``hybrid_router.HybridRouter`` (anything with ``decide``/``adecide``).
        small_choice: Choice name that stands for the small model.
        large_choice: Choice name that stands for the large model.
    """

    def __init__(
        self, router: HybridRouter, small_choice: str = "small", large_choice: str = "large"
    ) -> None:
        if not (
            callable(getattr(router, "decide", None)) and callable(getattr(router, "adecide", None))
        ):
            raise TypeError(
                f"router must be a hybrid_router.HybridRouter (with decide/adecide), got {type(router).__name__}. "
                "Train one (HybridRouter.fit / from_yaml) or load one (HybridRouter.load(path))."
            )
        if small_choice.strip().lower() == large_choice.strip().lower():
            raise ValueError(
                f"small_choice and large_choice are both '{small_choice}'; give two different names."
            )
        self._router = router
        self._small_choice = small_choice
        self._large_choice = large_choice

    @classmethod
    def from_defaults(
        cls,
        router: HybridRouter | None = None,
        path: str | Path | None = None,
        small_choice: str = "small",
        large_choice: str = "large",
        **load_kwargs: Any,
    ) -> HybridLLMSelector:
        """A selector from a router object, or from a saved model or a YAML config at ``path``.

        ``path`` ending in ``.yaml``/``.yml`` goes through ``HybridRouter.from_yaml`` (loads the
        trained model the config names, or trains it); any other path through
        ``HybridRouter.load``. ``load_kwargs`` are passed on (``trust_pickle``, ``encoder``).
        """
        if router is None:
            if path is None:
                raise ValueError(
                    "HybridLLMSelector.from_defaults needs router= (a HybridRouter) or path= "
                    "(a saved model or a YAML config)."
                )
            from hybrid_router import HybridRouter

            path = Path(path)
            if path.suffix in (".yaml", ".yml"):
                router = HybridRouter.from_yaml(path, **load_kwargs)
            else:
                router = HybridRouter.load(path, **load_kwargs)
        return cls(router, small_choice=small_choice, large_choice=large_choice)

    @property
    def router(self) -> HybridRouter:
        """The router that makes the decisions."""
        return self._router

    def _get_prompts(self) -> dict[str, Any]:
        """Get prompts (none: the decision uses no LLM prompt)."""
        return {}

    def _update_prompts(self, prompts: PromptDictType) -> None:
        """Update prompts (nothing to update)."""

    # -- mapping the decision onto the choices -------------------------------------------
    def choice_indices(self, choices: Sequence[ToolMetadata]) -> tuple[int, int]:
        """``(small_index, large_index)`` for the two choices, by name, else by position."""
        if len(choices) != 2:
            names = [c.name or c.description for c in choices]
            raise ValueError(
                f"HybridLLMSelector chooses between exactly two options (a small and a large model), "
                f"got {len(choices)}: {names}. Give two tools, named '{self._small_choice}' and "
                f"'{self._large_choice}' (or small first, large second)."
            )
        small_names = {
            self._small_choice.strip().lower(),
            str(getattr(self._router, "small_model", "")).lower(),
        }
        large_names = {
            self._large_choice.strip().lower(),
            str(getattr(self._router, "large_model", "")).lower(),
        }
        small_names.discard("")
        large_names.discard("")
        labels = [_label(c) for c in choices]
        sides = [
            "small"
            if label in small_names and label not in large_names
            else "large"
            if label in large_names and label not in small_names
            else None
            for label in labels
        ]
        if sides[0] is not None and sides[0] == sides[1]:
            raise ValueError(
                f"Both choices {labels} name the {sides[0]} model; name one '{self._small_choice}' and "
                f"the other '{self._large_choice}', or leave them unnamed (then 0 = small, 1 = large)."
            )
        if sides[0] == "large" or sides[1] == "small":
            return 1, 0
        if sides == [None, None]:
            logger.debug(
                "choices %s are not named %s/%s: by position, 0 = small, 1 = large",
                labels,
                self._small_choice,
                self._large_choice,
            )
        return 0, 1

    def _result(self, choices: Sequence[ToolMetadata], decision: RoutingDecision) -> SelectorResult:
        small_index, large_index = self.choice_indices(choices)
        index = small_index if decision.route == "small" else large_index
        relation = ">=" if decision.route == "small" else "<"
        name = choices[index].name or choices[index].description
        reason = (
            f"Hybrid LLM router: score {decision.score:.3f} {relation} threshold {decision.threshold:.3f} "
            f"-> {decision.route} model '{decision.model_name}' (choice {index}: {name})"
        )
        selection = RoutedSelection(index=index, reason=reason, decision=decision.as_metadata())
        return SelectorResult(selections=[selection])

    def _select(self, choices: Sequence[ToolMetadata], query: QueryBundle) -> SelectorResult:
        self.choice_indices(choices)  # fail on a bad number of choices before scoring
        return self._result(choices, self._router.decide(query.query_str))

    async def _aselect(self, choices: Sequence[ToolMetadata], query: QueryBundle) -> SelectorResult:
        self.choice_indices(choices)
        # adecide encodes in a worker thread, so the event loop stays free.
        return self._result(choices, await self._router.adecide(query.query_str))
