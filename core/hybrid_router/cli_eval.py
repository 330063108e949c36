"""``hybrid-router evaluate`` and ``hybrid-router calibrate``: measure routing, then pick a threshold.

``evaluate`` scores queries the router has not trained on, three ways:

- ``--split test`` (default): the trained model on the data's held-out split (the config's
  split, or a ``--data`` file's ``split == "test"`` rows, or the whole ``--data`` file);
- ``--cv K``: K-fold cross-validation of the config's scorer (duplicated query strings stay in
  one fold), embedding every query once;
- ``--group-by COLUMN``: whole groups held out (e.g. MMLU subjects, ``--group-by category``).

Cross-validation uses scikit-learn's ``cross_val_predict`` on the scorer's own
``fit_features``/``score_features``, so folds, grouping and parallelism are sklearn's.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from .cli import CLIError, _config, load_router_for
from .config import ModelSpec, RouterConfig
from .data import CONTAMINATION_FLAG, RoutingDataset, is_contaminated
from .evaluation import DEFAULT_TOKENS_IN, DEFAULT_TOKENS_OUT, CostModel, EvaluationReport, evaluate

logger = logging.getLogger(__name__)

# -- data ------------------------------------------------------------------------------------


@dataclass
class EvalData:
    """The rows to evaluate on, and what was done to them (printed and stored in the report)."""

    data: RoutingDataset
    notes: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def concat(a: RoutingDataset, b: RoutingDataset | None) -> RoutingDataset:
    """Rows of ``a`` then ``b`` (the config's train and test files, for cross-validation)."""
    if b is None or len(b) == 0:
        return a
    return RoutingDataset(
        a.queries + b.queries, np.concatenate([a.q_small, b.q_small]), np.concatenate([a.q_large, b.q_large]),
        a.small_model, a.large_model, a.meta + b.meta, a.source, a.skipped + b.skipped,
    )


def _pair(config: RouterConfig, router: Any = None) -> tuple[str | None, str | None]:
    if router is not None:
        return router.small_model, router.large_model
    return (config.small_model.name if config.small_model else None, config.large_model.name if config.large_model else None)


def load_eval_data(
    config: RouterConfig, data_path: str | None, protocol: str, want_decontaminate: bool, router: Any = None,
    split: str | None = None,
) -> EvalData:
    """The rows ``evaluate``/``calibrate`` use, decontaminated when asked (by flag or by the config)."""
    from .training import load_datasets, model_specs_for

    notes: list[str] = []
    if data_path is not None:
        small, large = _pair(config, router)
        specs = model_specs_for(config)
        data = RoutingDataset.from_file(data_path, small_model=small, large_model=large, model_specs=specs or None)
        where = str(data_path)
        if split is not None or protocol == "split":
            wanted = split or "test"
            idx = [i for i, m in enumerate(data.meta) if m.get("split") == wanted]
            if idx:
                data = data.subset(idx)
                where += f" (rows with split == '{wanted}')"
            elif split is not None:
                raise CLIError(f"{data_path}: no rows with split == '{split}'. Drop --split to use every row.")
            else:
                where += " (the whole file: it has no 'test' split)"
        dropped = None
        if want_decontaminate or config.decontaminate:
            data, dropped = data.decontaminated()
            notes.append(f"decontaminated: dropped {dropped} rows marked extra.{CONTAMINATION_FLAG}")
        return EvalData(data, [f"data: {where}"] + notes, {"data": where, "contaminated_rows_dropped": dropped})

    # The config's own data. Loading exactly as training did reproduces its train/test split.
    train, test = load_datasets(config)
    if protocol == "split":
        if test is None or len(test) == 0:
            raise CLIError(
                "The config has no held-out data (data_path.routing_data_test, or routing_data with test_size). "
                "Pass --data FILE, or use --cv 5."
            )
        data, where = test, f"{test.source} (the config's held-out split, {len(test)} rows)"
    else:
        data, where = concat(train, test), f"{train.source} (train and held-out together)"
    dropped = None
    if config.decontaminate:
        dropped = _flagged_in_config_data(config, data.small_model, data.large_model)
        notes.append(f"decontaminated: dropped {dropped} rows marked extra.{CONTAMINATION_FLAG} from the data "
                     "before splitting (config: decontaminate: true)")
    elif want_decontaminate:
        data, dropped = data.decontaminated()
        notes.append(f"decontaminated: dropped {dropped} rows marked extra.{CONTAMINATION_FLAG}")
    return EvalData(data, [f"data: {where}"] + notes, {"data": where, "contaminated_rows_dropped": dropped})


def _flagged_in_config_data(config: RouterConfig, small: str, large: str) -> int:
    """How many rows of the config's data files the decontamination dropped (for the output)."""
    dp = config.data_path
    paths = {config.resolve(p) for p in (dp.routing_data, dp.routing_data_train, dp.routing_data_test) if p}
    flagged = 0
    for path in paths:
        raw = RoutingDataset.from_file(path, small_model=small, large_model=large)
        flagged += sum(1 for m in raw.meta if is_contaminated(m))
    return flagged


def group_values(data: RoutingDataset, column: str) -> list[Any]:
    """Each row's ``column`` (a top-level field such as ``category``, or a key of ``extra``)."""
    values = []
    for i, meta in enumerate(data.meta):
        extra = meta.get("extra") or {}
        value = meta.get(column, extra.get(column))
        if value is None:
            known = sorted({k for m in data.meta[:50] for k in m if k != "extra"}
                           | {f"{k} (in extra)" for m in data.meta[:50] for k in (m.get("extra") or {})})
            raise CLIError(
                f"--group-by {column}: row {i + 1} of {data.source} has no '{column}'. "
                f"Fields the rows have: {', '.join(known) or 'none'}. Try --group-by category."
            )
        values.append(value if isinstance(value, (str, int, float, bool)) else str(value))
    return values


# -- cross-validation ------------------------------------------------------------------------


class FeatureScorer(BaseEstimator):
    """A ``QualityGapScorer`` seen by scikit-learn as (features, labels) -> score.

    ``QualityGapScorer.fit`` takes (queries, q_small, q_large), which model selection cannot
    split; this wrapper fits a clone on precomputed features (``fit_features``) and predicts
    with ``score_features``, so ``cross_val_predict`` never re-embeds a query.
    """

    def __init__(self, scorer: Any = None) -> None:
        self.scorer = scorer

    def fit(self, X: Any, y: np.ndarray) -> FeatureScorer:
        from sklearn.base import clone

        self.scorer_ = clone(self.scorer).fit_features(X, y)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self.scorer_.score_features(X)


def cross_validated_scores(
    config: RouterConfig, data: RoutingDataset, folds: int, groups: list[Any] | None = None, show_progress: bool = False
) -> np.ndarray:
    """Out-of-fold scores of the config's scorer: each query scored by a model that never saw it.

    Without ``groups``, rows with the same query text share a fold (MMLU repeats some prompts).
    Labels use the whole set's t* in ``transformed`` mode (0 on 0/1 metrics, where it matters).
    """
    from sklearn.model_selection import GroupKFold, cross_val_predict

    from .labels import make_labels
    from .training import scorer_for

    scorer = scorer_for(config, show_progress=show_progress)
    y = make_labels(data.q_small, data.q_large, config.router_mode, config.router_tau)
    if np.ptp(y) == 0:
        raise CLIError(f"{data.source}: every label is {y[0]:g}; the small model is always or never good enough, nothing to evaluate.")
    if groups is None:
        groups = [hashlib.md5(q.encode("utf-8")).hexdigest() for q in data.queries]
    # Shuffled groups, seeded: which subjects share a fold moves APGR by ~0.02 on MMLU, so the
    # assignment is random (not by group size) and the same as benchmarks/bench_scorers.py's.
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=config.random_state)
    n_groups = len(set(groups))
    if folds < 2 or n_groups < folds:
        raise CLIError(
            f"Cross-validation needs at least 2 folds and as many groups as folds; asked for {folds} folds, "
            f"the data has {n_groups} group(s). Use fewer folds (--cv) or another --group-by column."
        )
    X = scorer.features_for(data.queries, training=True)  # one embedding pass (cached on disk)
    return np.asarray(cross_val_predict(FeatureScorer(scorer), X, y, groups=groups, cv=splitter), dtype=float)


# -- commands --------------------------------------------------------------------------------


def _cost_model(config: RouterConfig, small: str, large: str, router: Any, args: argparse.Namespace) -> CostModel:
    from .training import model_specs_for

    specs = model_specs_for(config) if config is not None else {}
    if router is not None:
        specs.setdefault(small, router.small_spec)
        specs.setdefault(large, router.large_spec)
    return CostModel(specs.get(small, ModelSpec(name=small)), specs.get(large, ModelSpec(name=large)),
                     args.tokens_in, args.tokens_out)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .persistence import atomic_write

    config = _config(args.config)
    protocol = "cv" if args.cv or args.group_by else "split"
    router = None
    if protocol == "split":
        router, model_file = load_router_for(config, args.model, args.trust_pickle)
    loaded = load_eval_data(config, args.data, protocol, args.decontaminate, router)
    data = loaded.data
    info = dict(loaded.info, n=len(data))
    if protocol == "split":
        scores = router.score(data.queries)
        threshold = router.threshold
        info.update(protocol="held-out split", model=str(model_file))
        loaded.notes.append(f"model: {model_file} (threshold {router.threshold:g})")
    else:
        folds = args.cv or 5
        groups = group_values(data, args.group_by) if args.group_by else None
        if groups is not None:
            folds = min(folds, len(set(groups)))
        scores = cross_validated_scores(config, data, folds, groups, show_progress=not args.quiet)
        threshold = config.router_threshold
        how = f"{folds}-fold cross-validation" + (f", whole '{args.group_by}' groups held out" if groups else "")
        info.update(protocol=how, folds=folds, group_by=args.group_by, encoder=config.encoder,
                    head="seed MLP" if config.uses_seed_mlp() else "default")
        loaded.notes.append(f"protocol: {how} ({config.encoder}, {'seed MLP' if config.uses_seed_mlp() else 'default'} head)")
    report = evaluate(
        scores, data.q_small, data.q_large, costs=_cost_model(config, data.small_model, data.large_model, router, args),
        threshold=threshold, small_model=data.small_model, large_model=data.large_model, info=info,
    )
    for note in loaded.notes:
        print(note)
    print(report.table())
    if args.output:
        text = report.to_json()
        atomic_write(Path(args.output), lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))
        print(f"report written to {args.output}")
    if args.plot:
        _plot_atomically(report, Path(args.plot), title=f"{Path(str(data.source)).name}: {info['protocol']}")
        print(f"curve written to {args.plot}")
    return 0


def _plot_atomically(report: EvaluationReport, path: Path, title: str) -> None:
    from .persistence import atomic_write

    atomic_write(path, lambda tmp: report.plot(tmp, title=title))


def cmd_calibrate(args: argparse.Namespace) -> int:
    config = _config(args.config) if args.config else None
    if args.model is None and config is None:
        raise CLIError("Give --model M.skops (or --config C, whose model_path names the model).")
    if args.data is None and config is None:
        raise CLIError("Give --data FILE with held-out routing data (or --config C to use its held-out split).")
    router, model_file = load_router_for(config, args.model, args.trust_pickle) if config else _load(args)
    if config is None:
        config = RouterConfig()
    loaded = load_eval_data(config, args.data, "split" if args.data is None or args.split else "data",
                            args.decontaminate, router, split=args.split)
    data = loaded.data
    before = router.threshold
    out = Path(args.output) if args.output else model_file
    point = router.calibrate(data, target_large_share=args.target_large_share,
                             max_quality_drop=args.max_quality_drop, save_to=out)
    costs = _cost_model(config, router.small_model, router.large_model, router, args)
    for note in loaded.notes:
        print(note)
    target = (f"at most {args.target_large_share:.1%} of calls to the large model" if args.target_large_share is not None
              else f"quality within {args.max_quality_drop:.2%} of large-only")
    print(f"target: {target} ({point['n']} held-out queries)")
    print(f"threshold: {before:g} -> {point['threshold']:.6g}")
    print(f"large share: {point['large_share']:.1%}   quality: {point['quality']:.4f}   "
          f"(small-only {point['small_only']:.4f}, large-only {point['large_only']:.4f}, "
          f"gap recovered {point['gap_recovered']:.1%})")
    if costs.is_priced:
        print(f"estimated cost: ${costs.per_1k(point['large_share']):.3f} per 1k queries "
              f"(small-only ${costs.per_1k(0.0):.3f}, large-only ${costs.per_1k(1.0):.3f}; "
              f"{costs.tokens_in:g} prompt + {costs.tokens_out:g} completion tokens per query)")
    print(f"saved to {out}")
    return 0


def _load(args: argparse.Namespace) -> tuple[Any, Path]:
    from .router import HybridRouter

    path = Path(args.model)
    if not path.exists():
        raise CLIError(f"No trained model at {path}. Train it first: hybrid-router train --config <config>.")
    return HybridRouter.load(path, trust_pickle=args.trust_pickle), path


def _share(value: str) -> float:
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share in [0, 1] (0.3 = 30%), got {value}")
    return v


def _drop(value: str) -> float:
    v = float(value)
    if not 0.0 <= v < 1.0:
        raise argparse.ArgumentTypeError(f"expected a relative drop in [0, 1) (0.01 = 1%), got {value}")
    return v


def _positive_int(value: str) -> int:
    v = int(value)
    if v < 2:
        raise argparse.ArgumentTypeError(f"need at least 2 folds, got {value}")
    return v


def _cost_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tokens-in", type=float, default=DEFAULT_TOKENS_IN,
                   help=f"prompt tokens per query for cost estimates (default {DEFAULT_TOKENS_IN})")
    p.add_argument("--tokens-out", type=float, default=DEFAULT_TOKENS_OUT,
                   help=f"completion tokens per query for cost estimates (default {DEFAULT_TOKENS_OUT})")
    p.add_argument("--trust-pickle", action="store_true", help="allow loading a .pkl model (runs code from the file)")


def add_commands(sub: Any) -> None:
    """Register ``evaluate`` and ``calibrate`` on the ``hybrid-router`` subparsers."""
    p = sub.add_parser("evaluate", help="routing curve, APGR, CPT and cost advantage on held-out data",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True, help="YAML config (data, model pair, scorer, model path)")
    p.add_argument("--data", help="routing-data file to evaluate on (default: the config's data)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--cv", type=_positive_int, metavar="K", help="K-fold cross-validation of the config's scorer")
    how.add_argument("--group-by", metavar="COLUMN", help="hold out whole groups (e.g. category = MMLU subject); 5 folds unless --cv")
    how.add_argument("--split", choices=["test"], help="the trained model on the held-out split (the default)")
    p.add_argument("--decontaminate", action="store_true", help=f"drop rows marked extra.{CONTAMINATION_FLAG}")
    p.add_argument("--model", help="trained model for --split (default: the config's model path)")
    p.add_argument("--output", help="write the report as JSON")
    p.add_argument("--plot", help="write the quality-vs-large-share curve as PNG")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _cost_args(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("calibrate", help="choose the threshold on held-out data and store it in the model")
    p.add_argument("--model", help="trained model file (default: the config's model path)")
    p.add_argument("--data", help="held-out routing data (default: the config's held-out split)")
    p.add_argument("--config", help="config for model prices and default paths")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--target-large-share", type=_share, metavar="SHARE", help="at most this share of calls go large (0.3)")
    target.add_argument("--max-quality-drop", type=_drop, metavar="D",
                        help="fewest large calls with quality within D (relative) of large-only (0.01 = 1%%)")
    p.add_argument("--split", help="use only the --data rows with this split value (e.g. test)")
    p.add_argument("--decontaminate", action="store_true", help=f"drop rows marked extra.{CONTAMINATION_FLAG}")
    p.add_argument("--output", help="write the calibrated model here instead of over --model")
    _cost_args(p)
    p.set_defaults(func=cmd_calibrate)
