"""Routing data: which query, and how well did the small and the large model answer it.

Reads three layouts, so users can bring what they have:

- wide JSONL (``../shared/data``): ``{"query": ..., "scores": {model: float | null}, ...}``;
- LLMRouter's long rows, JSONL or a JSON list: one row per query and model with
  ``query``, ``model_name``, ``performance``;
- CSV: a ``query`` column and one numeric column per model.

Every broken row is reported with its file and line, because a training set of 14k rows with
one bad score should say where it is, not fail somewhere inside numpy.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

CONTAMINATION_FLAG = "routellm_contaminated"
"""Key under a row's ``extra`` marking prompts RouteLLM trained on (drop them to compare with it)."""


def is_contaminated(meta: dict[str, Any]) -> bool:
    """True for a row marked ``extra.routellm_contaminated``."""
    return bool((meta.get("extra") or {}).get(CONTAMINATION_FLAG))


class DataError(ValueError):
    """Routing data that cannot be used; the message names the file and line."""


@dataclass
class _Row:
    line: int
    query: str
    scores: dict[str, float | None]
    meta: dict[str, Any]


@dataclass
class RoutingDataset:
    """Queries with the small and the large model's quality on each, ready to train on.

    Build it with ``RoutingDataset.from_file(path, small_model=..., large_model=...)`` or
    ``RoutingDataset.from_records(...)``. ``q_small``/``q_large`` are float arrays aligned
    with ``queries``; ``meta`` keeps each row's other fields (id, category, split, extra).
    """

    queries: list[str]
    q_small: np.ndarray
    q_large: np.ndarray
    small_model: str
    large_model: str
    meta: list[dict[str, Any]] = field(default_factory=list)
    source: str | None = None
    skipped: int = 0
    """Rows dropped because one of the two models had no score."""

    def __post_init__(self) -> None:
        self.q_small = np.asarray(self.q_small, dtype=float)
        self.q_large = np.asarray(self.q_large, dtype=float)
        if not self.meta:
            self.meta = [{} for _ in self.queries]
        if not (len(self.queries) == len(self.q_small) == len(self.q_large) == len(self.meta)):
            raise DataError("queries, q_small, q_large and meta must have the same length.")

    def __len__(self) -> int:
        return len(self.queries)

    # -- loading -------------------------------------------------------------------------
    @classmethod
    def from_file(
        cls,
        path: str | Path,
        small_model: str | None = None,
        large_model: str | None = None,
        model_specs: dict[str, Any] | None = None,
        split: str | None = None,
        decontaminate: bool = False,
    ) -> RoutingDataset:
        """Load ``path`` (.jsonl, .json or .csv) and keep the small/large pair.

        When ``small_model``/``large_model`` are not given they are picked from
        ``model_specs`` (cheapest and most expensive, then by size), or, for a file with
        exactly two models, by mean quality (the weaker one is "small").
        """
        path = Path(path)
        rows = list(_read_rows(path))
        if not rows:
            raise DataError(f"{path}: the file holds no rows. Point data_path at a routing-data file.")
        if split is not None:
            rows = [r for r in rows if r.meta.get("split") == split]
            if not rows:
                raise DataError(f"{path}: no rows with split == '{split}'.")
        if decontaminate:
            before = len(rows)
            rows = [r for r in rows if not is_contaminated(r.meta)]
            logger.info("%s: dropped %d rows marked %s", path, before - len(rows), CONTAMINATION_FLAG)
        small_model, large_model = _resolve_pair(path, rows, small_model, large_model, model_specs)
        return cls._from_rows(path, rows, small_model, large_model)

    @classmethod
    def from_records(
        cls, records: Iterable[dict[str, Any]], small_model: str, large_model: str, source: str = "<records>"
    ) -> RoutingDataset:
        """Build from in-memory rows in any of the supported layouts."""
        rows = list(_parse_records(source, enumerate(records, start=1)))
        if not rows:
            raise DataError(f"{source}: no rows.")
        return cls._from_rows(Path(source), rows, small_model, large_model)

    @classmethod
    def _from_rows(cls, path: Path, rows: list[_Row], small: str, large: str) -> RoutingDataset:
        if small == large:
            raise DataError(f"{path}: small_model and large_model are both '{small}'; name two different models.")
        queries, qs, ql, meta, skipped = [], [], [], [], 0
        for row in rows:
            for name in (small, large):
                if name not in row.scores:
                    known = ", ".join(sorted(row.scores)) or "none"
                    raise DataError(f"{path}:{row.line}: model '{name}' has no score in this row (models here: {known}).")
            s, lg = row.scores[small], row.scores[large]
            if s is None or lg is None:
                skipped += 1
                continue
            queries.append(row.query)
            qs.append(s)
            ql.append(lg)
            meta.append(row.meta)
        if skipped:
            logger.warning("%s: skipped %d rows where '%s' or '%s' has no score", path, skipped, small, large)
        if not queries:
            raise DataError(f"{path}: no row has scores for both '{small}' and '{large}'.")
        return cls(queries, np.array(qs), np.array(ql), small, large, meta, str(path), skipped)

    # -- views ---------------------------------------------------------------------------
    def subset(self, index: Sequence[int] | np.ndarray) -> RoutingDataset:
        """Rows at ``index`` (for splits and cross-validation)."""
        index = np.asarray(index, dtype=int)
        return RoutingDataset(
            [self.queries[i] for i in index],
            self.q_small[index],
            self.q_large[index],
            self.small_model,
            self.large_model,
            [self.meta[i] for i in index],
            self.source,
        )

    def decontaminated(self) -> tuple[RoutingDataset, int]:
        """The rows not marked ``extra.routellm_contaminated``, and how many were dropped."""
        keep = [i for i, m in enumerate(self.meta) if not is_contaminated(m)]
        return self.subset(keep), len(self) - len(keep)

    def split(self, test_size: float = 0.2, random_state: int = 0) -> tuple[RoutingDataset, RoutingDataset]:
        """Train/test split; uses the file's own ``split`` field when it has both values.

        Duplicated query strings stay on one side so the test score is not inflated.
        """
        splits = [m.get("split") for m in self.meta]
        if "train" in splits and "test" in splits:
            train = [i for i, s in enumerate(splits) if s != "test"]
            test = [i for i, s in enumerate(splits) if s == "test"]
            return self.subset(train), self.subset(test)
        from sklearn.model_selection import GroupShuffleSplit

        groups = [hashlib.md5(q.encode("utf-8")).hexdigest() for q in self.queries]
        splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=random_state)
        train, test = next(splitter.split(self.queries, groups=groups))
        return self.subset(np.sort(train)), self.subset(np.sort(test))

    @property
    def categories(self) -> list[str | None]:
        return [m.get("category") for m in self.meta]

    def fingerprint(self) -> str:
        """A short hash of queries and scores, stored with a trained model to say what it saw."""
        h = hashlib.sha256()
        for q, s, lg in zip(self.queries, self.q_small, self.q_large):
            h.update(q.encode("utf-8"))
            h.update(np.array([s, lg], dtype=np.float64).tobytes())
        return h.hexdigest()[:16]


# -- reading ---------------------------------------------------------------------------------


def _read_rows(path: Path) -> Iterable[_Row]:
    if not path.is_file():
        raise DataError(f"Routing data file not found: {path}.")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _read_csv(path)
    elif suffix == ".json":
        text = path.read_text(encoding="utf-8")
        if not text.strip():
            raise DataError(f"{path}: the file is empty.")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
        if isinstance(data, dict):
            data = data.get("data") or data.get("rows") or [data]
        # A JSON list has no line numbers per row; report the row's position instead.
        yield from _parse_records(str(path), enumerate(data, start=1), unit="row")
    elif suffix in (".jsonl", ".ndjson"):
        yield from _parse_records(str(path), _jsonl_records(path))
    else:
        raise DataError(f"{path}: unsupported file type '{suffix}'; use .jsonl, .json or .csv.")


def _jsonl_records(path: Path) -> Iterable[tuple[int, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield line_no, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{line_no}: not valid JSON: {exc.msg}") from exc


def _parse_records(source: str, numbered: Iterable[tuple[int, Any]], unit: str = "line") -> Iterable[_Row]:
    """Turn wide rows and LLMRouter long rows into one ``_Row`` per query."""
    long_rows: dict[str, _Row] = {}
    for line_no, record in numbered:
        where = f"{source}:{line_no}" if unit == "line" else f"{source} row {line_no}"
        if not isinstance(record, dict):
            raise DataError(f"{where}: expected a JSON object, got {type(record).__name__}.")
        query = record.get("query")
        if not isinstance(query, str) or not query.strip():
            raise DataError(f"{where}: missing or empty 'query' field.")
        if "scores" in record:
            scores = record["scores"]
            if not isinstance(scores, dict):
                raise DataError(f"{where}: 'scores' must be an object mapping model name -> number.")
            parsed = {str(m): _score(v, where, m) for m, v in scores.items()}
            meta = {k: v for k, v in record.items() if k not in ("query", "scores")}
            yield _Row(line_no, query, parsed, meta)
        elif "model_name" in record:
            if "performance" not in record:
                raise DataError(f"{where}: long-format row without 'performance' (LLMRouter rows need query, model_name, performance).")
            row = long_rows.get(query)
            if row is None:
                meta = {k: v for k, v in record.items() if k not in ("query", "model_name", "performance", "response")}
                row = long_rows[query] = _Row(line_no, query, {}, meta)
            row.scores[str(record["model_name"])] = _score(record["performance"], where, record["model_name"])
        else:
            raise DataError(
                f"{where}: row has neither 'scores' (wide layout) nor 'model_name'/'performance' (LLMRouter long layout)."
            )
    yield from long_rows.values()


def _read_csv(path: Path) -> Iterable[_Row]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            raise DataError(f"{path}: the file is empty.")
        if "query" not in reader.fieldnames:
            raise DataError(f"{path}:1: no 'query' column (columns: {', '.join(reader.fieldnames)}).")
        if "model_name" in reader.fieldnames and "performance" in reader.fieldnames:
            yield from _parse_records(str(path), ((i, dict(r)) for i, r in enumerate(reader, start=2)))
            return
        meta_cols = {"id", "source", "benchmark", "category", "split", "metric"}
        model_cols = [c for c in reader.fieldnames if c != "query" and c not in meta_cols]
        for line_no, record in enumerate(reader, start=2):
            where = f"{path}:{line_no}"
            query = record.get("query")
            if not query or not query.strip():
                raise DataError(f"{where}: missing or empty 'query'.")
            scores = {m: _score(record[m], where, m) for m in model_cols}
            meta = {k: record[k] for k in meta_cols if k in record}
            yield _Row(line_no, query, scores, meta)


def _score(value: Any, where: str, model: Any) -> float | None:
    if value is None or (isinstance(value, str) and value.strip() in ("", "null", "NA", "nan")):
        return None
    if isinstance(value, bool):
        return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{where}: score of model '{model}' is not a number: {value!r}.") from None
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise DataError(f"{where}: score of model '{model}' is infinite.")
    return number


def _resolve_pair(
    path: Path, rows: list[_Row], small: str | None, large: str | None, specs: dict[str, Any] | None
) -> tuple[str, str]:
    if small and large:
        return small, large
    models = sorted({m for r in rows for m in r.scores})
    if specs:
        from .config import pick_pair

        s, lg = pick_pair(specs, available=models)
        return small or s.name, large or lg.name
    if len(models) == 2:
        means = {m: np.nanmean([r.scores.get(m) if r.scores.get(m) is not None else np.nan for r in rows]) for m in models}
        weaker, stronger = sorted(models, key=lambda m: means[m])
        return small or weaker, large or stronger
    raise DataError(
        f"{path}: holds {len(models)} models ({', '.join(models[:10])}); name small_model and "
        "large_model, or give model specs (data_path.llm_data) to pick them by cost."
    )
