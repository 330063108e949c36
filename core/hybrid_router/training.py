"""Train a router from a config: read data, pick the model pair, fit, measure held-out, save."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import ConfigError, ModelSpec, RouterConfig, load_model_specs
from .data import RoutingDataset
from .evaluation import operating_point
from .router import HybridRouter
from .scorer import QualityGapScorer, seed_mlp_head

logger = logging.getLogger(__name__)


@dataclass
class HeldOutSummary:
    """How the router did on data it was not trained on, at its threshold."""

    n: int
    large_share: float
    routed_quality: float
    small_only_quality: float
    large_only_quality: float

    @classmethod
    def measure(cls, router: HybridRouter, data: RoutingDataset) -> HeldOutSummary:
        point = operating_point(router.score(data.queries), data.q_small, data.q_large, router.threshold)
        return cls(len(data), point["large_share"], point["quality"], float(data.q_small.mean()), float(data.q_large.mean()))

    def as_text(self) -> str:
        return (
            f"held-out queries: {self.n}\n"
            f"share sent to the large model: {self.large_share:.1%}\n"
            f"mean quality  routed: {self.routed_quality:.3f}   small-only: {self.small_only_quality:.3f}"
            f"   large-only: {self.large_only_quality:.3f}"
        )


@dataclass
class TrainingResult:
    router: HybridRouter
    train: RoutingDataset
    test: RoutingDataset | None
    saved_to: Path | None
    timings: dict[str, float] = field(default_factory=dict)
    held_out: HeldOutSummary | None = None
    calibration: RoutingDataset | None = None
    """The slice the threshold was chosen on, when the config sets a target."""


def model_specs_for(config: RouterConfig) -> dict[str, ModelSpec]:
    """Specs from ``data_path.llm_data`` overlaid with the config's own small/large entries."""
    specs: dict[str, ModelSpec] = {}
    llm_data = config.resolve(config.data_path.llm_data)
    if llm_data is not None:
        specs.update(load_model_specs(llm_data))
    for spec in (config.small_model, config.large_model):
        if spec is not None:
            base = specs.get(spec.name)
            explicit = spec.model_dump(exclude_unset=True)
            specs[spec.name] = base.model_copy(update=explicit) if base else spec
    return specs


def load_datasets(config: RouterConfig) -> tuple[RoutingDataset, RoutingDataset | None]:
    """Train and held-out data as the config describes them."""
    dp = config.data_path
    specs = model_specs_for(config)
    small = config.small_model.name if config.small_model else None
    large = config.large_model.name if config.large_model else None
    kwargs: dict[str, Any] = dict(
        small_model=small, large_model=large, model_specs=specs or None, decontaminate=config.decontaminate
    )
    if dp.routing_data_train:
        train_path, test_path = config.resolve(dp.routing_data_train), config.resolve(dp.routing_data_test)
        if test_path is not None and test_path.resolve() == train_path.resolve():
            # One file for both (as in LLMRouter's DC-Router data): its `split` field separates them.
            full = RoutingDataset.from_file(train_path, **kwargs)
            return full.split(config.test_size, config.random_state)
        train = RoutingDataset.from_file(train_path, **kwargs)
        kwargs.update(small_model=train.small_model, large_model=train.large_model)
        test = RoutingDataset.from_file(test_path, **kwargs) if test_path is not None else None
        return train, test
    if dp.routing_data:
        full = RoutingDataset.from_file(config.resolve(dp.routing_data), **kwargs)
        return full.split(config.test_size, config.random_state)
    raise ConfigError(
        "The config names no training data: set data_path.routing_data (one file, split automatically) "
        "or data_path.routing_data_train (and routing_data_test)."
    )


def scorer_for(config: RouterConfig, show_progress: bool = False) -> QualityGapScorer:
    """The scorer the config asks for: the default head, or the seed's MLP with ``hparam``."""
    head = seed_mlp_head(random_state=config.random_state, **(config.hparam or {})) if config.uses_seed_mlp() else None
    return QualityGapScorer(
        encoder=config.encoder,
        head=head,
        features=config.features,
        router_mode=config.router_mode,
        router_tau=config.router_tau,
        cache_dir=config.resolve(config.cache_dir) if config.cache_dir else None,
        show_progress=show_progress,
        random_state=config.random_state,
    )


def train_from_config(config: RouterConfig, show_progress: bool = False, save: bool = True) -> TrainingResult:
    """Read the data, train, measure on held-out data, and save to ``model_path.save_model_path``."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    train, test = load_datasets(config)
    timings["load data"] = time.perf_counter() - t0

    specs = model_specs_for(config)
    fit_data, calibration = train, None
    if config.calibrates():
        # The threshold is chosen on rows the scorer did not see, and never on the test rows.
        fit_data, calibration = train.split(config.calibration_size, config.random_state)
    t0 = time.perf_counter()
    router = HybridRouter.fit(
        fit_data,
        scorer_for(config, show_progress),
        threshold=config.router_threshold,
        small_spec=specs.get(train.small_model),
        large_spec=specs.get(train.large_model),
    )
    timings["embed + fit"] = time.perf_counter() - t0
    if calibration is not None:
        t0 = time.perf_counter()
        router.calibrate(
            calibration, target_large_share=config.target_large_share, max_quality_drop=config.max_quality_drop
        )
        timings["calibrate threshold"] = time.perf_counter() - t0

    held_out = None
    if test is not None and len(test):
        t0 = time.perf_counter()
        held_out = HeldOutSummary.measure(router, test)
        timings["held-out evaluation"] = time.perf_counter() - t0

    saved_to = None
    save_path = config.resolve(config.model_path.save_model_path)
    if save and save_path is not None:
        t0 = time.perf_counter()
        saved_to = router.save(save_path)
        timings["save"] = time.perf_counter() - t0
    return TrainingResult(router, fit_data, test, saved_to, timings, held_out, calibration)
