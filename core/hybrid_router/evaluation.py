"""How well does a router route? Routing curve, APGR, CPT and cost advantage, with references.

Everything here is pure numpy on three aligned arrays:

- ``scores``: the router's score per query, P(small is good enough); a query goes to the
  small model iff ``score >= threshold``;
- ``q_small`` / ``q_large``: the measured quality of each model's answer to that query.

Definitions (RouteLLM's vocabulary, so numbers compare with its paper and ``routellm/evals``):

- **Routing curve.** Sort queries by score; the lowest scores go to the large model first.
  At each threshold, x = share of queries sent to the large model, y = mean quality of the
  answers actually chosen. Queries with equal scores move together (a threshold cannot split
  them), so a tie is one straight segment: the expected curve of breaking the tie at random.
  The curve always runs from x = 0 (small-only quality) to x = 1 (large-only quality).
  RouteLLM samples 10 quantile thresholds; we use every distinct score (the exact curve).
- **APGR** (average performance gap recovered): the area under the curve above small-only,
  as a share of the area between small-only and large-only, by the trapezoidal rule over
  x in [0, 1] (RouteLLM's ``apgr_metric``). Random routing scores 0.5 in expectation, sending
  exactly the queries the large model does better on scores >= 1.
- **CPT(p)** (call-performance threshold): the least share of large calls at which the curve
  (linear between its points) first reaches ``small_only + p * (large_only - small_only)``.
- **Cost advantage at d** (Hybrid LLM paper, Ding et al. 2024): the largest share of queries
  kept on the small model at an operating point whose quality is within d of large-only.
  ``d`` is a RELATIVE drop, as in the paper: quality >= large_only - d * |large_only|
  (so d = 0.01 is "1% worse than always calling the large model"). Only real operating points
  (thresholds) count, so the answer is a threshold you can deploy.

References, each with the same metrics: small-only (x = 0), large-only (x = 1), random
(expected value of a coin with bias x, closed form: the straight line between the two, APGR 0.5,
CPT(p) = p), and the oracle, which calls the large model only where ``q_large > q_small``, the
biggest gains first (RouteLLM's "optimal": with a budget above what it needs, it stays flat).

If the large model is not better than the small one on average (``large_only <= small_only``)
there is no gap to recover: APGR and CPT are NaN and a warning is logged.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import ModelSpec

logger = logging.getLogger(__name__)

DEFAULT_TOKENS_IN = 500
"""Prompt tokens per query assumed for cost estimates when the data has no token counts."""
DEFAULT_TOKENS_OUT = 250
"""Completion tokens per query assumed for cost estimates when the data has no token counts."""
CPT_LEVELS: tuple[float, ...] = (0.2, 0.5, 0.8)
"""The p of CPT(p) reported by ``evaluate`` (RouteLLM reports 20%, 50% and 80%)."""
QUALITY_DROPS: tuple[float, ...] = (0.001, 0.01, 0.05)
"""The relative quality drops d of the cost advantage reported by ``evaluate`` (the paper's)."""

_TRAPEZOID = np.trapezoid if hasattr(np, "trapezoid") else np.trapz  # numpy < 2 has only trapz


def _tol(*values: float) -> float:
    """Absolute tolerance for comparing mean qualities (sums of floats drift in the last bits)."""
    return 1e-9 * max(1.0, *(abs(v) for v in values))


def _check(scores: Any, q_small: Any, q_large: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=float).ravel()
    qs = np.asarray(q_small, dtype=float).ravel()
    ql = np.asarray(q_large, dtype=float).ravel()
    if not (s.size == qs.size == ql.size):
        raise ValueError(f"scores ({s.size}), q_small ({qs.size}) and q_large ({ql.size}) differ in length.")
    if s.size == 0:
        raise ValueError("No queries to evaluate: scores, q_small and q_large are empty.")
    for name, arr in (("scores", s), ("q_small", qs), ("q_large", ql)):
        if not np.all(np.isfinite(arr)):
            bad = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise ValueError(f"{name}[{bad}] is {arr[bad]}; drop rows with missing scores or quality before evaluating.")
    return s, qs, ql


# -- the curve ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingCurve:
    """Operating points of one router, in order of increasing large share.

    ``thresholds[i]`` sends ``large_share[i]`` of the queries to the large model with mean
    routed quality ``quality[i]``. The first point is all-small, the last all-large.
    """

    thresholds: np.ndarray
    large_share: np.ndarray
    quality: np.ndarray
    small_only: float
    large_only: float

    def __iter__(self) -> Iterator[np.ndarray]:
        # ``thresholds, large_share, quality = routing_curve(...)`` unpacks the three arrays.
        return iter((self.thresholds, self.large_share, self.quality))

    @property
    def gap(self) -> float:
        """large-only minus small-only quality: what a router can recover."""
        return self.large_only - self.small_only


def routing_curve(scores: Any, q_small: Any, q_large: Any) -> RoutingCurve:
    """Every operating point of the router that produced ``scores`` (see the module docstring).

    Thresholds lie halfway between consecutive distinct scores, so recomputing scores with
    float noise does not move a query across; the all-small point uses ``min(0, lowest score)``
    and the all-large point ``1.0`` (or just above the highest score if that is >= 1).
    """
    s, qs, ql = _check(scores, q_small, q_large)
    n = s.size
    order = np.argsort(s, kind="stable")
    sorted_scores = s[order]
    gains = (ql - qs)[order]
    uniq, first = np.unique(sorted_scores, return_index=True)
    # Queries sent large after each tie group (lowest scores first): 0, c1, c1 + c2, ..., n.
    ends = np.append(first[1:], n)
    counts = np.concatenate([[0], ends])
    cum_gain = np.concatenate([[0.0], np.cumsum(gains)])
    small_only = float(qs.mean())
    quality = small_only + cum_gain[counts] / n
    quality[-1] = float(ql.mean())  # exact large-only at the end, free of summation drift
    top = 1.0 if uniq[-1] < 1.0 else float(np.nextafter(uniq[-1], np.inf))
    thresholds = np.concatenate([[min(0.0, float(uniq[0]))], (uniq[:-1] + uniq[1:]) / 2.0, [top]])
    return RoutingCurve(thresholds, counts / n, quality, small_only, float(ql.mean()))


def _curve_apgr(x: np.ndarray, y: np.ndarray, small_only: float, large_only: float) -> float:
    gap = large_only - small_only
    if gap <= _tol(small_only, large_only):
        return math.nan
    return float((_TRAPEZOID(y, x) - small_only) / gap)


def _curve_cpt(x: np.ndarray, y: np.ndarray, small_only: float, large_only: float, p: float) -> float:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a share of the quality gap in [0, 1] (0.5 for CPT(50%)), got {p}.")
    gap = large_only - small_only
    if gap <= _tol(small_only, large_only):
        return math.nan
    target = small_only + p * gap
    reached = np.flatnonzero(y >= target - _tol(target))
    i = int(reached[0])  # the last point is large-only, so some point always reaches it
    if i == 0:
        return float(x[0])
    x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
    return float(x0 + (target - y0) / (y1 - y0) * (x1 - x0))


def _warn_if_no_gap(c: RoutingCurve) -> None:
    if c.gap <= _tol(c.small_only, c.large_only):
        logger.warning(
            "large-only quality (%.4g) is not above small-only (%.4g): there is no gap to recover, so APGR "
            "and CPT are undefined (NaN). Check that small and large are not swapped.", c.large_only, c.small_only,
        )


def _quality_floor(large_only: float, d: float) -> float:
    if d < 0:
        raise ValueError(f"The quality drop d must be >= 0 (0.01 = 1% below large-only), got {d}.")
    return large_only - d * abs(large_only)


def _curve_cost_advantage(x: np.ndarray, y: np.ndarray, large_only: float, d: float) -> float:
    floor = _quality_floor(large_only, d)
    ok = np.flatnonzero(y >= floor - _tol(floor))
    return float(1.0 - x[ok].min())


def apgr(scores: Any, q_small: Any, q_large: Any) -> float:
    """Average performance gap recovered (RouteLLM): 0.5 for random routing, 1.0 = large's quality."""
    c = routing_curve(scores, q_small, q_large)
    _warn_if_no_gap(c)
    return _curve_apgr(c.large_share, c.quality, c.small_only, c.large_only)


def cpt(scores: Any, q_small: Any, q_large: Any, p: float) -> float:
    """Share of large-model calls needed to recover ``p`` (0..1) of the quality gap."""
    c = routing_curve(scores, q_small, q_large)
    _warn_if_no_gap(c)
    return _curve_cpt(c.large_share, c.quality, c.small_only, c.large_only, p)


def cost_advantage(scores: Any, q_small: Any, q_large: Any, d: float) -> float:
    """Largest share of queries kept on the small model with quality >= large_only - d * |large_only|.

    ``d`` is a relative drop (the Hybrid LLM paper's): 0.01 allows 1% below large-only quality.
    """
    c = routing_curve(scores, q_small, q_large)
    return _curve_cost_advantage(c.large_share, c.quality, c.large_only, d)


# -- references --------------------------------------------------------------------------------


def oracle_curve(q_small: Any, q_large: Any) -> tuple[np.ndarray, np.ndarray]:
    """(large_share, quality) of the oracle: large only where it helps, biggest gains first.

    With a budget above the share of queries the large model improves, the oracle stays flat.
    """
    _, qs, ql = _check(np.zeros(np.size(q_small)), q_small, q_large)
    n = qs.size
    gains = np.sort((ql - qs)[ql > qs])[::-1]
    x = np.arange(gains.size + 1) / n
    y = float(qs.mean()) + np.concatenate([[0.0], np.cumsum(gains)]) / n
    if gains.size < n:
        x, y = np.append(x, 1.0), np.append(y, y[-1])
    return x, y


def references(q_small: Any, q_large: Any, cpt_levels: Sequence[float] = CPT_LEVELS,
               quality_drops: Sequence[float] = QUALITY_DROPS) -> dict[str, dict[str, Any]]:
    """Small-only, large-only, random (expected, closed form) and oracle, with their metrics."""
    _, qs, ql = _check(np.zeros(np.size(q_small)), q_small, q_large)
    small, large = float(qs.mean()), float(ql.mean())
    gap = large - small
    has_gap = gap > _tol(small, large)

    def random_ca(d: float) -> float:
        if not has_gap:
            return 1.0
        need = (_quality_floor(large, d) - small) / gap  # large share where the line crosses the floor
        return float(np.clip(1.0 - need, 0.0, 1.0))

    ox, oy = oracle_curve(qs, ql)
    return {
        "small_only": {"large_share": 0.0, "quality": small},
        "large_only": {"large_share": 1.0, "quality": large},
        "random": {
            "apgr": 0.5 if has_gap else math.nan,
            "cpt": {p: (float(p) if has_gap else math.nan) for p in cpt_levels},
            "cost_advantage": {d: random_ca(d) for d in quality_drops},
        },
        "oracle": {
            "large_share": float(np.mean(ql > qs)),
            "quality": float(np.maximum(qs, ql).mean()),
            "apgr": _curve_apgr(ox, oy, small, large) if has_gap else math.nan,
            "cpt": {p: (_curve_cpt(ox, oy, small, large, p) if has_gap else math.nan) for p in cpt_levels},
            "cost_advantage": {d: _curve_cost_advantage(ox, oy, large, d) for d in quality_drops},
        },
    }


# -- costs -------------------------------------------------------------------------------------


def estimated_cost_per_1k(
    large_share: float | np.ndarray,
    small_spec: ModelSpec,
    large_spec: ModelSpec,
    tokens_in: float = DEFAULT_TOKENS_IN,
    tokens_out: float = DEFAULT_TOKENS_OUT,
) -> float | np.ndarray:
    """USD per 1,000 queries when ``large_share`` of them go to the large model.

    Each query is assumed to use ``tokens_in`` prompt and ``tokens_out`` completion tokens
    (defaults ``DEFAULT_TOKENS_IN``/``DEFAULT_TOKENS_OUT``; pass the means of your own logs).
    Prices come from the specs, in USD per 1M tokens.
    """
    if tokens_in < 0 or tokens_out < 0:
        raise ValueError(f"Token counts must be >= 0, got tokens_in={tokens_in}, tokens_out={tokens_out}.")
    share = np.asarray(large_share, dtype=float)
    if np.any((share < 0) | (share > 1)):
        raise ValueError(f"large_share must be in [0, 1], got {large_share}.")
    small, large = small_spec.cost(tokens_in, tokens_out), large_spec.cost(tokens_in, tokens_out)
    cost = 1000.0 * ((1.0 - share) * small + share * large)
    return float(cost) if cost.ndim == 0 else cost


@dataclass(frozen=True)
class CostModel:
    """Prices of the two models and the token counts per query used for cost estimates."""

    small: ModelSpec
    large: ModelSpec
    tokens_in: float = DEFAULT_TOKENS_IN
    tokens_out: float = DEFAULT_TOKENS_OUT

    def per_1k(self, large_share: float | np.ndarray) -> float | np.ndarray:
        return estimated_cost_per_1k(large_share, self.small, self.large, self.tokens_in, self.tokens_out)

    @property
    def is_priced(self) -> bool:
        """False when neither model has a price (then costs are not worth reporting)."""
        return any(s.input_cost_per_1m or s.output_cost_per_1m for s in (self.small, self.large))


# -- choosing a threshold ----------------------------------------------------------------------


def threshold_for(
    scores: Any,
    q_small: Any,
    q_large: Any,
    target_large_share: float | None = None,
    max_quality_drop: float | None = None,
    max_threshold: float | None = None,
) -> dict[str, Any]:
    """The operating point for a large-call budget or a quality floor, on held-out data.

    Exactly one of:

    - ``target_large_share`` (0..1): the point with the most large calls not above the budget
      (ties in score can make the share land below the target);
    - ``max_quality_drop`` (relative, 0.01 = 1%): the point with the fewest large calls whose
      quality is >= large_only - d * |large_only| (the cost-advantage point).

    ``max_threshold`` keeps only thresholds a router accepts: ``HybridRouter`` passes 1.0, so
    queries scored exactly 1.0 stay small even for a 100% budget.

    Returns ``threshold``, ``large_share``, ``quality``, ``small_only``, ``large_only``,
    ``oracle``, ``gap_recovered`` (share of the small-to-large gap this point recovers),
    ``quality_drop`` (relative to large-only) and ``n``.
    """
    if (target_large_share is None) == (max_quality_drop is None):
        raise ValueError(
            "Give exactly one of target_large_share (e.g. 0.3: at most 30% of calls go large) "
            "and max_quality_drop (e.g. 0.01: quality within 1% of large-only)."
        )
    c = routing_curve(scores, q_small, q_large)
    allowed = np.ones(c.thresholds.size, bool) if max_threshold is None else c.thresholds <= max_threshold
    if target_large_share is not None:
        if not 0.0 <= target_large_share <= 1.0:
            raise ValueError(f"target_large_share must be in [0, 1] (0.3 = 30% of calls), got {target_large_share}.")
        i = int(np.flatnonzero(allowed & (c.large_share <= target_large_share + 1e-12))[-1])
    else:
        floor = _quality_floor(c.large_only, float(max_quality_drop))  # type: ignore[arg-type]
        ok = np.flatnonzero(allowed & (c.quality >= floor - _tol(floor)))
        if ok.size == 0:
            raise ValueError(
                f"No threshold <= {max_threshold:g} keeps quality within {max_quality_drop:.2%} of large-only "
                f"({c.large_only:.4g}): some queries score {float(np.max(scores)):.4g}. Allow a larger drop, or use "
                "target_large_share."
            )
        i = int(ok[0])
    quality = float(c.quality[i])
    gap = c.gap
    _, qs, ql = _check(scores, q_small, q_large)
    return {
        "threshold": float(c.thresholds[i]),
        "large_share": float(c.large_share[i]),
        "quality": quality,
        "small_only": c.small_only,
        "large_only": c.large_only,
        "oracle": float(np.maximum(qs, ql).mean()),
        "gap_recovered": float((quality - c.small_only) / gap) if gap > _tol(c.small_only, c.large_only) else math.nan,
        "quality_drop": float((c.large_only - quality) / abs(c.large_only)) if c.large_only else math.nan,
        "n": int(qs.size),
        "target_large_share": target_large_share,
        "max_quality_drop": max_quality_drop,
    }


def operating_point(scores: Any, q_small: Any, q_large: Any, threshold: float) -> dict[str, float]:
    """Large share and mean routed quality at one threshold (small iff score >= threshold)."""
    s, qs, ql = _check(scores, q_small, q_large)
    small = s >= threshold
    return {
        "threshold": float(threshold),
        "large_share": float(1.0 - small.mean()),
        "quality": float(np.where(small, qs, ql).mean()),
    }


# -- the report --------------------------------------------------------------------------------


def _pct(v: float) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1%}"


def _num(v: float) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def _jsonable(value: Any) -> Any:
    """Dict keys to strings, numpy to Python, NaN to None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {(f"{k:g}" if isinstance(k, float) else str(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


@dataclass
class EvaluationReport:
    """Routing quality of one set of scores on one labelled set, with references and costs.

    ``cpt`` maps p -> CPT(p) and ``cost_advantage`` maps d -> cost advantage; ``random`` and
    ``oracle`` hold the same metrics for the references (see ``references``).
    """

    n: int
    small_only: float
    large_only: float
    apgr: float
    cpt: dict[float, float]
    cost_advantage: dict[float, float]
    random: dict[str, Any]
    oracle: dict[str, Any]
    curve: RoutingCurve
    cost_per_1k: np.ndarray | None = None
    """Estimated USD per 1k queries at each curve point (when model prices are known)."""
    costs: CostModel | None = None
    at_threshold: dict[str, float] | None = None
    """The operating point at the router's own threshold, when given."""
    small_model: str = "small"
    large_model: str = "large"
    info: dict[str, Any] = field(default_factory=dict)
    """Where the numbers come from: data file, protocol (cv/split), rows dropped, ..."""

    MAX_CURVE_POINTS = 1001

    def to_dict(self, max_curve_points: int | None = MAX_CURVE_POINTS) -> dict[str, Any]:
        """JSON-ready dict; curves longer than ``max_curve_points`` are thinned evenly (ends kept)."""
        idx = np.arange(self.curve.quality.size)
        if max_curve_points is not None and idx.size > max_curve_points:
            idx = np.unique(np.linspace(0, idx.size - 1, max_curve_points).round().astype(int))
        curve: dict[str, Any] = {
            "threshold": self.curve.thresholds[idx],
            "large_share": self.curve.large_share[idx],
            "quality": self.curve.quality[idx],
        }
        if self.cost_per_1k is not None:
            curve["cost_per_1k"] = self.cost_per_1k[idx]
        out: dict[str, Any] = {
            "n": self.n,
            "small_model": self.small_model,
            "large_model": self.large_model,
            "small_only": self.small_only,
            "large_only": self.large_only,
            "apgr": self.apgr,
            "cpt": self.cpt,
            "cost_advantage": self.cost_advantage,
            "quality_drop_is": "relative to large-only: quality >= large_only - d * |large_only|",
            "random": self.random,
            "oracle": {k: v for k, v in self.oracle.items() if k != "curve"},
            "at_threshold": self.at_threshold,
            "curve": curve,
            "curve_points_total": int(self.curve.quality.size),
            "info": self.info,
        }
        if self.costs is not None:
            out["costs"] = {
                "small_usd_per_1k": self.costs.per_1k(0.0),
                "large_usd_per_1k": self.costs.per_1k(1.0),
                "tokens_in_per_query": self.costs.tokens_in,
                "tokens_out_per_query": self.costs.tokens_out,
            }
        return _jsonable(out)

    def to_json(self, path: str | Path | None = None, indent: int = 2) -> str:
        """The report as JSON (written to ``path`` when given)."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    def table(self) -> str:
        """A plain-text summary: metrics next to the random and oracle references, then operating points."""
        r, o = self.random, self.oracle
        lines = [
            f"queries: {self.n}   small: {self.small_model}   large: {self.large_model}",
            (f"quality  small-only {_num(self.small_only)}   large-only {_num(self.large_only)}   "
             f"oracle {_num(o['quality'])} (at {_pct(o['large_share'])} large)"),
            "",
            f"{'metric':<26}{'router':>10}{'random':>10}{'oracle':>10}",
            f"{'APGR':<26}{_num(self.apgr):>10}{_num(r['apgr']):>10}{_num(o['apgr']):>10}",
        ]
        for p, v in self.cpt.items():
            lines.append(f"{f'CPT({p:.0%}) large calls':<26}{_pct(v):>10}{_pct(r['cpt'][p]):>10}{_pct(o['cpt'][p]):>10}")
        for d, v in self.cost_advantage.items():
            name = f"cost adv. @{d * 100:g}% drop"
            lines.append(f"{name:<26}{_pct(v):>10}{_pct(r['cost_advantage'][d]):>10}{_pct(o['cost_advantage'][d]):>10}")
        if self.at_threshold is not None:
            t = self.at_threshold
            cost = f", ~${self.costs.per_1k(t['large_share']):.3f}/1k queries" if self.costs else ""
            lines += ["", (f"at threshold {t['threshold']:.4g}: {_pct(t['large_share'])} large, "
                           f"quality {_num(t['quality'])}{cost}")]
        lines += ["", f"{'large share (<=)':<18}{'threshold':>10}{'quality':>10}" + (f"{'USD/1k':>10}" if self.costs else "")]
        shown: set[int] = set()
        for target in np.linspace(0.0, 1.0, 11):
            i = int(np.flatnonzero(self.curve.large_share <= target + 1e-12)[-1])
            if i in shown:  # a tie in score spans this budget step: same point as the row above
                continue
            shown.add(i)
            row = f"{_pct(self.curve.large_share[i]):<18}{self.curve.thresholds[i]:>10.6g}{_num(self.curve.quality[i]):>10}"
            if self.cost_per_1k is not None:
                row += f"{self.cost_per_1k[i]:>10.3f}"
            lines.append(row)
        if self.costs is not None:
            lines.append(f"(costs assume {self.costs.tokens_in:g} prompt + {self.costs.tokens_out:g} completion tokens per query)")
        lines.append("CPT = large calls to recover that share of the gap; cost advantage = share kept small "
                     "within d (relative) of large-only quality.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def plot(self, path: str | Path, title: str | None = None) -> Path:
        """Write a PNG of quality vs share of large calls, with the random and oracle references."""
        from matplotlib.figure import Figure  # no pyplot: no global state, works headless (Agg)

        fig = Figure(figsize=(7, 4.5), dpi=100)
        ax = fig.subplots()
        ox, oy = self.oracle.get("curve", (None, None))
        ax.plot(self.curve.large_share * 100, self.curve.quality, label=f"router (APGR {_num(self.apgr)})", lw=2)
        ax.plot([0, 100], [self.small_only, self.large_only], ls="--", color="grey", label="random (APGR 0.500)")
        if ox is not None:
            ax.plot(np.asarray(ox) * 100, oy, ls=":", color="green", label=f"oracle (APGR {_num(self.oracle['apgr'])})")
        ax.axhline(self.small_only, color="tab:orange", lw=0.8, label=f"small-only: {self.small_model}")
        ax.axhline(self.large_only, color="tab:red", lw=0.8, label=f"large-only: {self.large_model}")
        if self.at_threshold is not None:
            t = self.at_threshold
            ax.plot([t["large_share"] * 100], [t["quality"]], "o", color="black", label=f"threshold {t['threshold']:.3g}")
        ax.set_xlabel("calls to the large model (%)")
        ax.set_ylabel("mean quality of routed answers")
        ax.set_title(title or f"Routing curve ({self.n} queries)")
        ax.set_xlim(0, 100)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
        return path


def evaluate(
    scores: Any,
    q_small: Any,
    q_large: Any,
    costs: CostModel | tuple[ModelSpec, ModelSpec] | None = None,
    threshold: float | None = None,
    small_model: str = "small",
    large_model: str = "large",
    info: dict[str, Any] | None = None,
) -> EvaluationReport:
    """All metrics of ``scores`` on this labelled data, with references (and costs if priced).

    ``costs`` is a ``CostModel`` or a ``(small_spec, large_spec)`` pair; models without prices
    give no cost columns. ``threshold`` adds the operating point of a router's own threshold.
    """
    c = routing_curve(scores, q_small, q_large)
    _warn_if_no_gap(c)
    refs = references(q_small, q_large)
    ox, oy = oracle_curve(q_small, q_large)
    oracle = dict(refs["oracle"], curve=(ox, oy))
    cost_model = CostModel(*costs) if isinstance(costs, tuple) else costs
    if cost_model is not None and not cost_model.is_priced:
        cost_model = None
    x, y = c.large_share, c.quality
    return EvaluationReport(
        n=int(np.size(scores)),
        small_only=c.small_only,
        large_only=c.large_only,
        apgr=_curve_apgr(x, y, c.small_only, c.large_only),
        cpt={p: _curve_cpt(x, y, c.small_only, c.large_only, p) for p in CPT_LEVELS},
        cost_advantage={d: _curve_cost_advantage(x, y, c.large_only, d) for d in QUALITY_DROPS},
        random=refs["random"],
        oracle=oracle,
        curve=c,
        cost_per_1k=None if cost_model is None else np.asarray(cost_model.per_1k(x)),
        costs=cost_model,
        at_threshold=None if threshold is None else operating_point(scores, q_small, q_large, threshold),
        small_model=small_model,
        large_model=large_model,
        info=dict(info or {}),
    )
