"""``hybrid-router``: train, infer, evaluate, calibrate and chat from the command line (LLMRouter style)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger("hybrid_router.cli")


class CLIError(Exception):
    """A user-facing error: printed without a traceback, exit status 2."""


# -- helpers ---------------------------------------------------------------------------------


def _config(path: str):
    from .config import RouterConfig

    return RouterConfig.from_yaml(path)


def model_path_for(config, override: str | None = None) -> Path:
    """The trained model to use: --model, else load_model_path, else save_model_path."""
    if override:
        return Path(override)
    for p in (config.model_path.load_model_path, config.model_path.save_model_path):
        if p:
            return config.resolve(p)
    raise CLIError("The config names no model file: set model_path.save_model_path (and load_model_path), or pass --model.")


def load_router_for(config, override: str | None = None, trust_pickle: bool = False):
    from .router import HybridRouter

    path = model_path_for(config, override)
    if not path.exists():
        raise CLIError(f"No trained model at {path}. Train it first: hybrid-router train --config <config>.")
    router = HybridRouter.load(path, trust_pickle=trust_pickle)
    # Same rule as HybridRouter.from_config: an explicit config threshold wins over the saved one.
    if config is not None and "router_threshold" in config.model_fields_set:
        router.threshold = config.router_threshold
    return router, path


def read_queries(path: str | Path) -> list[dict[str, Any]]:
    """Rows with ``query`` (and ``id``) from .jsonl, .json or .txt; errors name the file and line."""
    path = Path(path)
    if not path.is_file():
        raise CLIError(f"Input file not found: {path}")
    suffix = path.suffix.lower()
    rows: list[dict[str, Any]] = []
    if suffix == ".txt":
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                rows.append({"id": str(i), "query": line.strip()})
    elif suffix in (".jsonl", ".ndjson"):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CLIError(f"{path}:{i}: not valid JSON: {exc.msg}") from None
            rows.append(_query_row(item, f"{path}:{i}", str(i)))
    elif suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CLIError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
        if not isinstance(data, list):
            raise CLIError(f"{path}: expected a JSON list of queries (strings or objects with 'query').")
        rows = [_query_row(item, f"{path} item {i}", str(i)) for i, item in enumerate(data, start=1)]
    else:
        raise CLIError(f"{path}: unsupported input type '{suffix}'; use .jsonl, .json or .txt.")
    if not rows:
        raise CLIError(f"{path}: no queries in the file.")
    return rows


def _query_row(item: Any, where: str, default_id: str) -> dict[str, Any]:
    if isinstance(item, str):
        return {"id": default_id, "query": item}
    if isinstance(item, dict) and isinstance(item.get("query"), str) and item["query"].strip():
        row = dict(item)
        row.setdefault("id", default_id)
        row["id"] = str(row["id"])
        return row
    raise CLIError(f"{where}: expected a string or an object with a non-empty 'query'.")


def write_records(path: str | Path, records: list[dict[str, Any]]) -> None:
    """Write results as .json (a list) or .jsonl (one per line), atomically."""
    from .persistence import atomic_write

    path = Path(path)
    if path.suffix.lower() == ".jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    else:
        text = json.dumps(records, ensure_ascii=False, indent=2)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


# -- commands --------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    from .training import train_from_config

    config = _config(args.config)
    if config.model_path.save_model_path is None:
        raise CLIError(f"{args.config}: set model_path.save_model_path so the trained router can be saved.")
    start = time.perf_counter()
    result = train_from_config(config, show_progress=not args.quiet)
    total = time.perf_counter() - start
    r = result.router
    print(f"trained on {len(result.train)} queries from {result.train.source}"
          + (f" ({result.train.skipped} skipped: a score missing)" if result.train.skipped else ""))
    print(f"small model: {r.small_model}   large model: {r.large_model}   threshold: {r.threshold:g}"
          f"   label mode: {config.router_mode}   head: {type(r.scorer.head_).__name__}")
    if result.calibration is not None:
        target = (f"at most {config.target_large_share:.0%} of calls to the large model" if config.target_large_share is not None
                  else f"quality within {config.max_quality_drop:.1%} of large-only")
        print(f"threshold {r.threshold:.4g} chosen on {len(result.calibration)} calibration queries for {target}")
    if result.held_out is not None:
        print(result.held_out.as_text())
    print(f"saved to {result.saved_to}")
    for stage, seconds in result.timings.items():
        print(f"  {stage:<22}{seconds:8.2f} s")
    print(f"  {'total':<22}{total:8.2f} s")
    return 0


def cmd_infer(args: argparse.Namespace) -> int:
    config = _config(args.config)
    if args.query is None and args.input is None:
        raise CLIError("Give --query TEXT or --input FILE.")
    rows = [{"id": "1", "query": args.query}] if args.query is not None else read_queries(args.input)
    if not args.route_only:
        from langchain_hybrid_router.cli_run import (
            run_infer,  # calls real models: needs the langchain extra
        )

        return run_infer(args, config, rows)
    router, _ = load_router_for(config, args.model, args.trust_pickle)
    results = router.route_batch(rows)
    if args.output:
        write_records(args.output, results)
        print(f"routed {len(results)} queries -> {args.output}")
    else:
        for rec in results:
            print(json.dumps(rec, ensure_ascii=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hybrid-router", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a router per the config and save it")
    p.add_argument("--config", required=True, help="YAML config (ours or LLMRouter's hybrid_llm.yaml)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("infer", help="route queries (and, without --route-only, call the chosen model)")
    p.add_argument("--config", required=True)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--query", help="one query")
    src.add_argument("--input", help="queries: .jsonl/.json (objects with 'query', optional 'id') or .txt (one per line)")
    p.add_argument("--output", help="results file: .json or .jsonl (default: print JSON lines)")
    p.add_argument("--route-only", action="store_true", help="only decide; do not call any model")
    p.add_argument("--model", help="trained model file (default: the config's load_model_path)")
    p.add_argument("--trust-pickle", action="store_true", help="allow loading a .pkl model (runs code from the file)")
    p.add_argument("--small-model", help="LangChain model string for the small model, e.g. openai:gpt-4o-mini")
    p.add_argument("--large-model", help="LangChain model string for the large model, e.g. openai:gpt-4o")
    p.add_argument("--concurrency", type=int, default=4, help="concurrent model calls (default 4)")
    p.add_argument("--resume", action="store_true", help="skip ids already in --output (.jsonl)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--fallback", action="store_true", help="retry a failed model call on the other model")
    p.set_defaults(func=cmd_infer)

    _add_late_commands(sub)
    return parser


def _add_late_commands(sub: Any) -> None:
    """``evaluate`` and ``calibrate`` (core), and ``chat`` when the LangChain extra is installed."""
    from .cli_eval import add_commands as add_eval

    add_eval(sub)
    try:
        from langchain_hybrid_router.cli_run import add_commands as add_chat
    except ImportError:
        add_chat = None
    if add_chat:
        add_chat(sub)


def main(argv: Sequence[str] | None = None) -> int:
    from .encoders import EncoderError  # light: encoders import torch lazily

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.simplefilter("default")
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"hybrid-router {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, EncoderError) as exc:  # ConfigError, DataError, ModelFileError are ValueErrors
        print(f"hybrid-router {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
