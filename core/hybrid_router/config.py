"""Router configuration: one pydantic model that reads our YAML and LLMRouter's ``hybrid_llm.yaml``.

Unknown keys are errors that name the key and the nearest valid one, because a typo in a
config (``router_treshold``) would otherwise silently train a different router.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
import warnings
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

logger = logging.getLogger(__name__)

RouterMode = Literal["deterministic", "probabilistic", "transformed"]

DEFAULT_ENCODER = "all-MiniLM-L6-v2"


class ConfigError(ValueError):
    """A configuration file or value that cannot be used, with the fix in the message."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class ModelSpec(_Strict):
    """One LLM the router can send calls to, and what it costs."""

    name: str
    """Name used in decisions and in the routing data's score columns."""
    model: str | None = None
    """How to build the model, as LangChain's ``init_chat_model`` names it (``openai:gpt-4o-mini``)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra keyword arguments for ``init_chat_model`` (``temperature``, ``base_url``, ``max_tokens``...)."""
    input_cost_per_1m: float = Field(0.0, ge=0)
    """USD per 1M input (prompt) tokens."""
    output_cost_per_1m: float = Field(0.0, ge=0)
    """USD per 1M output (completion) tokens."""
    size: str | None = None
    """Parameter count as LLMRouter writes it ("7B"); used to pick the pair when costs tie."""

    def cost(self, input_tokens: float, output_tokens: float) -> float:
        """USD for a call (or a mean query) of this many tokens, at this model's per-1M prices."""
        return (input_tokens * self.input_cost_per_1m + output_tokens * self.output_cost_per_1m) / 1e6


class ModelPathConfig(_Strict):
    """Where the trained router is written and read (LLMRouter's ``model_path`` block)."""

    ini_model_path: str | None = None
    """Accepted for LLMRouter compatibility; unused (we always train from scratch)."""
    save_model_path: str | None = None
    load_model_path: str | None = None


class DataPathConfig(_Strict):
    """Data files (LLMRouter's ``data_path`` block plus our single-file shortcut)."""

    routing_data: str | None = None
    """One routing-data file (wide JSONL/CSV or LLMRouter long rows); split by ``test_size``."""
    routing_data_train: str | None = None
    routing_data_test: str | None = None
    query_data_train: str | None = None
    query_data_test: str | None = None
    llm_data: str | None = None
    """LLMRouter's model-spec JSON (size, input/output price per 1M tokens)."""
    query_embedding_data: str | None = None
    """Accepted for LLMRouter compatibility; ignored (we embed queries ourselves)."""
    llm_embedding_data: str | None = None
    """Accepted for LLMRouter compatibility; ignored."""


class MetricConfig(_Strict):
    """LLMRouter's ``metric`` block; accepted so its YAML loads (the router optimises quality)."""

    weights: dict[str, float] = Field(default_factory=dict)


class RouterConfig(_Strict):
    """Everything needed to train and use one router.

    Relative paths are resolved against the directory of the YAML file they came from.
    """

    router_mode: RouterMode = "deterministic"
    """How training labels are made from the two models' scores (see ``hybrid_router.labels``)."""
    router_tau: float = Field(0.1, gt=0)
    """Temperature of the probabilistic label sigmoid((q_small - q_large) / tau)."""
    router_threshold: float = Field(0.5, ge=0, le=1)
    """Send to the small model iff score >= threshold."""
    hparam: dict[str, Any] | None = None
    """Parameters of the seed's MLPRegressor head (LLMRouter's ``hparam``); when given, the
    scorer uses that MLP instead of the default head."""
    head: Literal["default", "mlp"] = "default"
    """Which scorer head to train: the library default, or the seed's MLP with ``hparam``."""
    features: Literal["text+embedding", "embedding", "text"] | None = None
    """What the head reads (default: "text+embedding" for the default head, "embedding" for the
    MLP). "text" needs no transformer at all: the fastest training, a little less accurate
    (BENCHMARKS.md)."""
    target_large_share: float | None = Field(None, ge=0, le=1)
    """When set, training chooses the threshold that sends this share of calls to the large model,
    on a calibration slice of the training data (``calibration_size``); ``router_threshold`` is
    then not used. A trained scorer's scores depend on the head and label mode, so a budget is a
    steadier setting than a fixed threshold."""
    max_quality_drop: float | None = Field(None, ge=0, lt=1)
    """Alternative to ``target_large_share``: the smallest large-model share whose quality stays
    within this relative drop of large-only (e.g. 0.01), chosen on the calibration slice."""
    calibration_size: float = Field(0.2, gt=0, lt=1)
    """Share of the training data held back to choose the threshold when a target is set."""
    encoder: str = DEFAULT_ENCODER
    """sentence-transformers model name or path used to embed queries."""
    cache_dir: str | None = None
    """Embedding cache directory (default: ``~/.cache/hybrid-llm-router``)."""
    random_state: int = 0
    test_size: float = Field(0.2, gt=0, lt=1)
    """Held-out share when only one routing-data file is given."""
    decontaminate: bool = False
    """Drop rows marked ``extra.routellm_contaminated`` before training/evaluating."""
    small_model: ModelSpec | None = None
    large_model: ModelSpec | None = None
    model_path: ModelPathConfig = Field(default_factory=ModelPathConfig)
    data_path: DataPathConfig = Field(default_factory=DataPathConfig)
    metric: MetricConfig = Field(default_factory=MetricConfig)
    source_dir: Path | None = Field(default=None, exclude=True)
    """Directory relative paths are resolved against (set by ``from_yaml``)."""

    @field_validator("small_model", "large_model", mode="before")
    @classmethod
    def _name_only(cls, value: Any) -> Any:
        # ``small_model: mixtral`` is the short form of ``small_model: {name: mixtral}``.
        return {"name": value} if isinstance(value, str) else value

    # -- loading -------------------------------------------------------------------------
    @classmethod
    def from_yaml(cls, path: str | Path) -> RouterConfig:
        """Read a YAML config (ours or LLMRouter's ``hybrid_llm.yaml``)."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"Config file not found: {path}. Pass the path of a YAML file, e.g. configs/gsm8k.yaml.")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of keys, got {type(raw).__name__}.")
        return cls.from_dict(raw, source=path)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str | Path | None = None) -> RouterConfig:
        """Validate a config mapping; errors name the key, the nearest valid key and the file."""
        where = f"{source}: " if source else ""
        _check_keys(raw, cls, where, prefix="")
        try:
            config = cls.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            if not loc:  # a rule across fields: its message says which
                raise ConfigError(f"{where}{first['msg'].removeprefix('Value error, ')}") from exc
            raise ConfigError(f"{where}invalid value for '{loc}': {first['msg']}") from exc
        if source is not None:
            config.source_dir = Path(source).resolve().parent
        ignored = [k for k in ("query_embedding_data", "llm_embedding_data") if getattr(config.data_path, k)]
        if ignored:
            warnings.warn(
                f"{where}data_path.{', '.join(ignored)} ignored: LLMRouter's Longformer embedding "
                f"files are not needed, hybrid-llm-router embeds queries itself with '{config.encoder}'.",
                UserWarning,
                stacklevel=2,
            )
        return config

    def to_yaml(self, path: str | Path | None = None) -> str:
        """Serialise to YAML (and write it when ``path`` is given)."""
        text = yaml.safe_dump(self.model_dump(mode="json", exclude_none=True), sort_keys=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    # -- derived values ------------------------------------------------------------------
    def resolve(self, path: str | None) -> Path | None:
        """Resolve a path from the config against the config file's directory."""
        if path is None:
            return None
        p = Path(path).expanduser()
        if not p.is_absolute() and self.source_dir is not None:
            p = (self.source_dir / p).resolve()
        return p

    def head_params(self) -> dict[str, Any]:
        """``hparam`` merged over the seed's MLP defaults."""
        params: dict[str, Any] = {
            "hidden_layer_sizes": [128, 64],
            "activation": "relu",
            "solver": "adam",
            "max_iter": 300,
        }
        params.update(self.hparam or {})
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        return params

    @model_validator(mode="after")
    def _one_way_to_set_the_threshold(self) -> RouterConfig:
        if self.target_large_share is not None and self.max_quality_drop is not None:
            raise ValueError("set target_large_share or max_quality_drop, not both: each chooses the threshold")
        if self.calibrates() and "router_threshold" in self.model_fields_set:
            raise ValueError(
                "router_threshold is set together with a calibration target (target_large_share or "
                "max_quality_drop); remove one: the target chooses the threshold at training time"
            )
        return self

    def calibrates(self) -> bool:
        """True when training chooses the threshold for a budget or a quality floor."""
        return self.target_large_share is not None or self.max_quality_drop is not None

    def uses_seed_mlp(self) -> bool:
        """True when the config asks for the seed's MLP head (``head: mlp`` or an ``hparam`` block)."""
        return self.head == "mlp" or self.hparam is not None


def _check_keys(raw: dict[str, Any], model: type[BaseModel], where: str, prefix: str) -> None:
    """Reject unknown keys with the nearest valid one, recursing into nested blocks."""
    fields = {name: f for name, f in model.model_fields.items() if name != "source_dir"}
    for key, value in raw.items():
        if key not in fields:
            near = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.4)
            hint = f" Did you mean '{prefix}{near[0]}'?" if near else ""
            raise ConfigError(
                f"{where}unknown config key '{prefix}{key}'.{hint} Valid keys here: {', '.join(sorted(fields))}."
            )
        annotation = fields[key].annotation
        nested = _nested_model(annotation)
        if nested is not None and isinstance(value, dict):
            _check_keys(value, nested, where, prefix=f"{prefix}{key}.")


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    candidates = getattr(annotation, "__args__", (annotation,))
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, _Strict):
            return candidate
    return None


# -- model specs (LLMRouter's llm_data JSON) -----------------------------------------------


def parse_size(size: str | None) -> float:
    """'7B' -> 7e9, '350M' -> 3.5e8; unknown -> 0 (LLMRouter's convention)."""
    if not size:
        return 0.0
    match = re.fullmatch(r"\s*([\d.]+)\s*([KMBT]?)\s*", str(size).upper())
    if not match:
        return 0.0
    scale = {"": 1, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}[match.group(2)]
    return float(match.group(1)) * scale


def load_model_specs(path: str | Path) -> dict[str, ModelSpec]:
    """Read LLMRouter's ``llm_data`` JSON (``{name: {size, input_price, output_price, model, ...}}``)."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"Model spec file not found: {path} (data_path.llm_data).") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a JSON object mapping model name -> spec.")
    specs = {}
    for name, info in raw.items():
        info = info or {}
        specs[name] = ModelSpec(
            name=name,
            input_cost_per_1m=float(info.get("input_price") or 0.0),
            output_cost_per_1m=float(info.get("output_price") or 0.0),
            size=info.get("size"),
        )
    return specs


def pick_pair(specs: dict[str, ModelSpec], available: list[str] | None = None) -> tuple[ModelSpec, ModelSpec]:
    """The cheapest and the most expensive model (ties broken by size), among ``available``.

    LLMRouter picks by size only; cost comes first here because the router exists to save
    money, and size breaks ties (and decides alone when no prices are given).
    """
    names = [n for n in specs if available is None or n in available]
    if len(names) < 2:
        raise ConfigError(
            f"Need at least two models with specs to pick a small/large pair, found {names}. "
            "Name them with small_model/large_model in the config."
        )

    def key(n: str) -> tuple[float, float]:
        s = specs[n]
        return (s.input_cost_per_1m + s.output_cost_per_1m, parse_size(s.size))

    ordered = sorted(names, key=key)
    return specs[ordered[0]], specs[ordered[-1]]
