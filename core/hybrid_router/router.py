"""The router: a scorer, a threshold and a model pair -> a decision per query.

RouteLLM's one small idea: a score per prompt and a threshold. ``score >= threshold`` means the
small model is predicted to be good enough, so the call goes to the small model.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from .config import ModelSpec, RouterConfig
from .scorer import QualityGapScorer

if TYPE_CHECKING:
    from .data import RoutingDataset

logger = logging.getLogger(__name__)


class RoutingDecision(BaseModel):
    """Where one query goes, and the evidence: the score and the threshold it was compared with."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    route: Literal["small", "large"]
    model_name: str
    """The chosen model's name."""
    score: float
    """Predicted probability that the small model is good enough."""
    threshold: float
    small_model: str
    large_model: str
    query: str | None = None

    def as_metadata(self) -> dict[str, Any]:
        """Flat keys for response metadata and traces (names match the seed's ``router_score``)."""
        return {
            "route": self.route,
            "model_name": self.model_name,
            "router_score": self.score,
            "router_threshold": self.threshold,
            "small_model": self.small_model,
            "large_model": self.large_model,
        }


class HybridRouter:
    """Scores queries and sends each to the small or the large model.

    Build one by training (``HybridRouter.fit(dataset)``, ``from_config``, ``from_yaml``) or
    by loading (``HybridRouter.load(path)``); or wrap a fitted ``QualityGapScorer`` yourself.
    """

    def __init__(
        self,
        scorer: QualityGapScorer,
        small_model: str | ModelSpec = "small",
        large_model: str | ModelSpec = "large",
        threshold: float = 0.5,
        info: dict[str, Any] | None = None,
    ) -> None:
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}.")
        self.scorer = scorer
        self.small_spec = small_model if isinstance(small_model, ModelSpec) else ModelSpec(name=str(small_model))
        self.large_spec = large_model if isinstance(large_model, ModelSpec) else ModelSpec(name=str(large_model))
        if self.small_spec.name == self.large_spec.name:
            raise ValueError(f"small_model and large_model are both '{self.small_spec.name}'.")
        self.threshold = float(threshold)
        self.info: dict[str, Any] = dict(info or {})
        """Provenance recorded at training time and saved with the model (data hash, sizes...)."""

    @property
    def small_model(self) -> str:
        return self.small_spec.name

    @property
    def large_model(self) -> str:
        return self.large_spec.name

    def __repr__(self) -> str:
        return f"HybridRouter(small={self.small_model!r}, large={self.large_model!r}, threshold={self.threshold:g})"

    # -- deciding ------------------------------------------------------------------------
    def score(self, queries: Sequence[str] | str) -> np.ndarray:
        """Raw scores (P(small is good enough)) for the queries."""
        return self.scorer.score(queries)

    def _decision(self, query: str, score: float) -> RoutingDecision:
        small = score >= self.threshold
        return RoutingDecision(
            route="small" if small else "large",
            model_name=self.small_model if small else self.large_model,
            score=float(score),
            threshold=self.threshold,
            small_model=self.small_model,
            large_model=self.large_model,
            query=query,
        )

    def decide(self, query: str) -> RoutingDecision:
        """The decision for one query."""
        if not isinstance(query, str):
            raise TypeError(f"decide() takes a query string, got {type(query).__name__}.")
        return self._decision(query, float(self.scorer.score([query])[0]))

    def decide_batch(self, queries: Sequence[str]) -> list[RoutingDecision]:
        """Decisions for many queries, encoded in one batch."""
        queries = list(queries)
        if not queries:
            return []
        return [self._decision(q, float(s)) for q, s in zip(queries, self.scorer.score(queries))]

    async def adecide(self, query: str) -> RoutingDecision:
        """``decide`` without blocking the event loop: encoding runs in a worker thread."""
        return await asyncio.to_thread(self.decide, query)

    async def adecide_batch(self, queries: Sequence[str]) -> list[RoutingDecision]:
        return await asyncio.to_thread(self.decide_batch, list(queries))

    def route_single(self, query: dict[str, Any] | str) -> dict[str, Any]:
        """The seed's interface: a copy of the row with ``model_name`` and ``router_score`` added."""
        return self.route_batch([query])[0]

    def route_batch(self, batch: Sequence[dict[str, Any] | str]) -> list[dict[str, Any]]:
        """``route_single`` for many rows, scored in one batch."""
        rows = [copy.copy(r) if isinstance(r, dict) else {"query": str(r)} for r in batch]
        for i, row in enumerate(rows):
            if not isinstance(row.get("query"), str):
                raise ValueError(f"row {i} has no 'query' string: {row!r}")
        decisions = self.decide_batch([r["query"] for r in rows])
        for row, d in zip(rows, decisions):
            row.update(model_name=d.model_name, router_score=d.score, route=d.route, router_threshold=d.threshold)
        return rows

    # -- training ------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        dataset: RoutingDataset,
        scorer: QualityGapScorer | None = None,
        threshold: float = 0.5,
        small_spec: ModelSpec | None = None,
        large_spec: ModelSpec | None = None,
    ) -> HybridRouter:
        """Train a router on a ``RoutingDataset``; records the data's hash and size."""
        scorer = scorer if scorer is not None else QualityGapScorer()
        source = dataset.source or "<data>"
        try:
            scorer.fit(dataset.queries, dataset.q_small, dataset.q_large)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from exc
        small = small_spec or ModelSpec(name=dataset.small_model)
        large = large_spec or ModelSpec(name=dataset.large_model)
        info = {"data_fingerprint": dataset.fingerprint(), "n_train": len(dataset), "data_source": str(source)}
        return cls(scorer, small, large, threshold, info=info)

    @classmethod
    def from_config(
        cls, config: RouterConfig, train: bool | None = None, show_progress: bool = False, trust_pickle: bool = False
    ) -> HybridRouter:
        """Load the model at ``model_path.load_model_path`` if it exists, else train per the config.

        ``train=True`` always trains (and saves to ``save_model_path`` when set).
        """
        from .training import train_from_config

        load_path = config.resolve(config.model_path.load_model_path)
        if train is not True and load_path is not None and load_path.exists():
            router = cls.load(load_path, trust_pickle=trust_pickle)
            # A threshold written in the config wins; otherwise keep the saved (perhaps calibrated) one.
            if "router_threshold" in config.model_fields_set:
                router.threshold = config.router_threshold
            return router
        if train is False:
            raise FileNotFoundError(f"No trained model at {load_path}; train one first (hybrid-router train --config ...).")
        return train_from_config(config, show_progress=show_progress).router

    @classmethod
    def from_yaml(cls, path: str | Path, train: bool | None = None, trust_pickle: bool = False) -> HybridRouter:
        """``from_config(RouterConfig.from_yaml(path))``."""
        return cls.from_config(RouterConfig.from_yaml(path), train=train, trust_pickle=trust_pickle)

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the router atomically: a failure leaves any previous file at ``path`` intact.

        The default format (any suffix but ``.pkl``) is a skops file that runs no code when
        loaded; ``.pkl`` uses joblib for LLMRouter compatibility.
        """
        from .persistence import save_router

        return save_router(self, Path(path))

    @classmethod
    def load(
        cls, path: str | Path, trust_pickle: bool = False, encoder: Any = None, trusted: Sequence[str] = ()
    ) -> HybridRouter:
        """Read a router written by ``save``.

        A ``.pkl`` file runs code when unpickled, so it needs ``trust_pickle=True``. ``encoder``
        overrides the saved encoder (it must give vectors of the same dimension).
        """
        from .persistence import load_router

        return load_router(Path(path), trust_pickle=trust_pickle, encoder=encoder, trusted=trusted)

    # -- calibration ---------------------------------------------------------------------
    def calibrate(
        self,
        dataset: RoutingDataset,
        target_large_share: float | None = None,
        max_quality_drop: float | None = None,
        save_to: str | Path | None = None,
    ) -> dict[str, Any]:
        """Set the threshold on held-out data for a large-call budget or a quality floor.

        Exactly one of ``target_large_share`` (e.g. 0.3: at most 30% of calls go large) and
        ``max_quality_drop`` (e.g. 0.01: quality within 1% of large-only) is given. Returns the
        resulting operating point; ``save_to`` writes the updated model atomically.
        """
        from .evaluation import threshold_for

        start = time.perf_counter()
        scores = self.scorer.score(dataset.queries)
        point = threshold_for(
            scores, dataset.q_small, dataset.q_large,
            target_large_share=target_large_share, max_quality_drop=max_quality_drop, max_threshold=1.0,
        )
        self.threshold = float(point["threshold"])
        self.info["calibration"] = {k: v for k, v in point.items()} | {"n": len(dataset), "data_source": dataset.source}
        if save_to is not None:
            self.save(save_to)
        logger.info("calibrated threshold %.4f in %.1fs", self.threshold, time.perf_counter() - start)
        return point

