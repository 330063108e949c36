"""``HybridRouterCallbackHandler``: counts routed calls, tokens and estimated cost per route.

It reads what ``ChatHybridRouter`` puts on every answer (the decision in ``response_metadata``,
the child's ``usage_metadata``), so it works with any tracing set-up: pass it in
``config={"callbacks": [handler]}`` or on the model. The saving is measured against sending
every call, with the same tokens, to the large model.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from hybrid_router import HybridRouter, ModelSpec
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult

Prices = tuple[float, float]
"""USD per 1M (input, output) tokens."""


@dataclass
class RouteStats:
    """Totals for one route ("small" or "large")."""

    model_name: str = ""
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    fallbacks: int = 0
    """Calls answered by this route after the other route's model failed."""


@dataclass
class _Totals:
    routes: dict[str, RouteStats] = field(default_factory=lambda: {"small": RouteStats(), "large": RouteStats()})
    large_only_cost: float = 0.0


class HybridRouterCallbackHandler(BaseCallbackHandler):
    """Counts calls, tokens and estimated cost per route, and the saving against large-only.

    Prices come from the router's ``ModelSpec`` (``input_cost_per_1m``/``output_cost_per_1m``)
    via ``from_router``, or are given per route: ``small_prices=(0.15, 0.6)`` USD per 1M
    input/output tokens. Only answers that carry a routing decision are counted (the children's
    own nested runs are not counted twice). Thread-safe; ``reset()`` starts over.

    .. code-block:: python

        handler = HybridRouterCallbackHandler.from_router(router)
        chain.batch(questions, config={"callbacks": [handler]})
        print(handler.summary())
    """

    raise_error = False

    def __init__(self, small_prices: Prices = (0.0, 0.0), large_prices: Prices = (0.0, 0.0)) -> None:
        super().__init__()
        for name, prices in (("small_prices", small_prices), ("large_prices", large_prices)):
            if len(prices) != 2 or any(float(p) < 0 for p in prices):
                raise ValueError(f"{name} must be (input, output) USD per 1M tokens, both >= 0; got {prices!r}.")
        self._specs = {
            route: ModelSpec(name=route, input_cost_per_1m=float(p[0]), output_cost_per_1m=float(p[1]))
            for route, p in (("small", small_prices), ("large", large_prices))
        }
        self._lock = threading.Lock()
        self._totals = _Totals()

    @classmethod
    def from_router(cls, router: HybridRouter) -> HybridRouterCallbackHandler:
        """Prices from the router's model specs (zero where a spec gives none)."""

        def prices(spec: ModelSpec) -> Prices:
            return (spec.input_cost_per_1m, spec.output_cost_per_1m)

        return cls(small_prices=prices(router.small_spec), large_prices=prices(router.large_spec))

    @property
    def prices(self) -> dict[str, Prices]:
        """(input, output) USD per 1M tokens for each route."""
        return {route: (s.input_cost_per_1m, s.output_cost_per_1m) for route, s in self._specs.items()}

    def reset(self) -> None:
        with self._lock:
            self._totals = _Totals()

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        for generations in response.generations:
            for generation in generations:
                message = getattr(generation, "message", None)
                meta = getattr(message, "response_metadata", None) or generation.generation_info or {}
                route = meta.get("route")
                if route not in ("small", "large") or "router_score" not in meta:
                    continue  # not a routed answer (e.g. the child's own nested run)
                usage = getattr(message, "usage_metadata", None) or {}
                tokens_in, tokens_out = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
                with self._lock:
                    stats = self._totals.routes[route]
                    stats.model_name = str(meta.get("model_name", stats.model_name))
                    stats.calls += 1
                    stats.input_tokens += tokens_in
                    stats.output_tokens += tokens_out
                    stats.cost += self._specs[route].cost(tokens_in, tokens_out)
                    stats.fallbacks += int("fallback_from" in meta)
                    self._totals.large_only_cost += self._specs["large"].cost(tokens_in, tokens_out)

    def report(self) -> dict[str, Any]:
        """Calls, tokens and cost per route; total cost, large-only cost, saving and its share."""
        with self._lock:
            routes = {name: dict(vars(stats)) for name, stats in self._totals.routes.items()}
            large_only = self._totals.large_only_cost
        calls = sum(r["calls"] for r in routes.values())
        cost = sum(r["cost"] for r in routes.values())
        saving = large_only - cost
        return {
            "calls": calls,
            "routes": routes,
            "large_share": routes["large"]["calls"] / calls if calls else 0.0,
            "cost": cost,
            "large_only_cost": large_only,
            "saving": saving,
            "saving_share": saving / large_only if large_only > 0 else 0.0,
        }

    def summary(self) -> str:
        """The report as a few lines of text."""
        r = self.report()
        lines = [f"{r['calls']} routed calls, {r['large_share']:.0%} to the large model"]
        for name, s in r["routes"].items():
            label = f"{name} ({s['model_name']})" if s["model_name"] else name
            fallback = f", {s['fallbacks']} after fallback" if s["fallbacks"] else ""
            lines.append(
                f"  {label:<28} {s['calls']:>5} calls {s['input_tokens']:>8} in {s['output_tokens']:>8} out"
                f"  ${s['cost']:.6f}{fallback}"
            )
        lines.append(
            f"  cost ${r['cost']:.6f} vs ${r['large_only_cost']:.6f} large-only: "
            f"saving ${r['saving']:.6f} ({r['saving_share']:.0%})"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        r = self.report()
        return f"HybridRouterCallbackHandler(calls={r['calls']}, cost={r['cost']:.6f}, saving={r['saving']:.6f})"
