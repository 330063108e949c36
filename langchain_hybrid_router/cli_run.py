"""``hybrid-router infer`` (answers) and ``hybrid-router chat``: the CLI commands that call models.

``infer`` routes each query, calls the chosen model through :class:`ChatHybridRouter` and writes
one record per query; ``chat`` is an interactive session that shows which model answered each
message. Models come from the config's (or the flags') LangChain model strings, see
:mod:`langchain_hybrid_router.models`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from hybrid_router.cli import CLIError, load_router_for
from hybrid_router.config import ModelSpec, RouterConfig

from .models import ModelPair, load_pair_models, model_pair

if TYPE_CHECKING:
    from hybrid_router import HybridRouter, RoutingDecision
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage
    from rich.console import Console

EXIT_FAILED_CALLS = 1
EXIT_INTERRUPTED = 130
DECIDE_CHUNK = 256
"""Queries routed together by ``infer`` (one encoding pass) before their calls are made."""


# -- shared set-up and cost accounting --------------------------------------------------------


def _routed_model(args: argparse.Namespace, config: RouterConfig) -> tuple[HybridRouter, ModelPair, BaseChatModel]:
    """Router, model specs and the ChatHybridRouter; every model check runs before any query."""
    router, _ = load_router_for(config, args.model, args.trust_pickle)
    pair = model_pair(router, config, args.small_model, args.large_model)
    models = load_pair_models(pair)
    from .chat_models import ChatHybridRouter

    chat = ChatHybridRouter(router=router, small=models["small"], large=models["large"],
                            fallback_to_other=bool(getattr(args, "fallback", False)))
    return router, pair, chat


@dataclass
class CostTally:
    """Calls, tokens and estimated USD per route, and what the same calls would cost on the large model."""

    pair: ModelPair
    calls: dict[str, int] = field(default_factory=lambda: {"small": 0, "large": 0})
    tokens: dict[str, list[int]] = field(default_factory=lambda: {"small": [0, 0], "large": [0, 0]})
    cost: dict[str, float] = field(default_factory=lambda: {"small": 0.0, "large": 0.0})
    large_only: float = 0.0
    failed: int = 0

    def add(self, route: str, usage: dict[str, int] | None) -> float | None:
        """Count one answered call; returns its estimated cost (None without token usage)."""
        self.calls[route] += 1
        if not usage:
            return None
        n_in, n_out = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
        self.tokens[route][0] += n_in
        self.tokens[route][1] += n_out
        cost = self.pair.spec_for(route).cost(n_in, n_out)
        self.cost[route] += cost
        self.large_only += self.pair.large.cost(n_in, n_out)
        return cost

    @property
    def total(self) -> float:
        return self.cost["small"] + self.cost["large"]

    def savings_text(self) -> str:
        """``"$0.012300 (large only: $0.045600, saved 73%)"``; the large-only figure assumes the large
        model would have used the same number of tokens."""
        saved = 1 - self.total / self.large_only if self.large_only > 0 else 0.0
        return f"${self.total:.6f} (large only: ${self.large_only:.6f}, saved {saved:.0%})"


def _usage(message: BaseMessage) -> dict[str, int] | None:
    usage = getattr(message, "usage_metadata", None)
    if not usage:
        return None
    return {k: int(usage.get(k, 0)) for k in ("input_tokens", "output_tokens", "total_tokens")}


def _spec_label(spec: ModelSpec) -> str:
    return spec.name if not spec.model or spec.model == spec.name else f"{spec.name} ({spec.model})"


# -- infer -------------------------------------------------------------------------------------


def read_done(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Records already in a .jsonl output that need no rerun (no error), first one per id, and
    how many lines were dropped (failed calls, duplicates, a line cut short by a kill)."""
    kept: dict[str, dict[str, Any]] = {}
    dropped = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            dropped += 1
            continue
        if not isinstance(rec, dict) or "id" not in rec or rec.get("error") or str(rec["id"]) in kept:
            dropped += 1
            continue
        kept[str(rec["id"])] = rec
    return list(kept.values()), dropped


class _Sink:
    """Where records go: appended and flushed one by one (.jsonl, stdout), or kept for one atomic
    write at the end (.json)."""

    def __init__(self, path: Path | None, append: bool) -> None:
        self.path = path
        self.records: list[dict[str, Any]] = []
        self._file: IO[str] | None = None
        if path is None:
            self._file = sys.stdout
        elif path.suffix.lower() == ".jsonl":
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a" if append else "w", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            self.records.append(record)
            return
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self.path is not None and self._file is None:
            from hybrid_router.cli import write_records

            write_records(self.path, self.records)
        elif self._file is not None and self._file is not sys.stdout:
            self._file.close()


def _prepare_output(args: argparse.Namespace, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """The rows still to run, and whether to append to the output (``--resume``)."""
    seen: set[str] = set()
    for row in rows:
        if row["id"] in seen:
            raise CLIError(f"Duplicate id '{row['id']}' in the input: ids must be unique so records can be matched.")
        seen.add(row["id"])
    out = Path(args.output) if args.output else None
    if args.resume and (out is None or out.suffix.lower() != ".jsonl"):
        raise CLIError("--resume needs a .jsonl --output (records are appended and flushed one by one).")
    if out is None or not out.exists() or out.stat().st_size == 0:
        return rows, False
    if not args.resume:
        raise CLIError(f"{out} already holds results. Pass --resume to skip the ids in it, or remove it to start over.")
    done, dropped = read_done(out)
    if dropped:
        from hybrid_router.cli import write_records

        write_records(out, done)  # atomically: failed calls and broken lines go, to be run again
    done_ids = {str(r["id"]) for r in done}
    todo = [r for r in rows if r["id"] not in done_ids]
    print(f"resuming: {len(rows) - len(todo)} of {len(rows)} queries already answered in {out}"
          + (f"; {dropped} failed or broken records will be retried" if dropped else ""), file=sys.stderr)
    return todo, True


async def _run_all(
    chat: BaseChatModel, router: HybridRouter, tally: CostTally, rows: list[dict[str, Any]],
    sink: _Sink, concurrency: int, progress: bool,
) -> None:
    from tqdm.auto import tqdm

    semaphore = asyncio.Semaphore(concurrency)
    bar = tqdm(total=len(rows), unit="query", disable=not progress, file=sys.stderr)

    async def one(row: dict[str, Any], decision: RoutingDecision | None) -> None:
        async with semaphore:
            try:
                message = await chat.ainvoke(row["query"], routing_decision=decision)
            except Exception as exc:  # noqa: BLE001 - recorded, and the run goes on
                record = await _failed_record(router, tally.pair, row, exc, decision)
                tally.failed += 1
            else:
                record = _answer_record(tally, row, message)
        sink.write(record)
        bar.update(1)

    # Decide a chunk of queries at a time in a worker thread (one vectorised encoding pass rather
    # than one per call); the calls of a chunk start while the next chunk is being decided.
    tasks: list[asyncio.Task[None]] = []
    try:
        for start in range(0, len(rows), DECIDE_CHUNK):
            part = rows[start : start + DECIDE_CHUNK]
            try:
                decisions: list[Any] = await asyncio.to_thread(router.decide_batch, [r["query"] for r in part])
            except Exception:  # noqa: BLE001 - each call then routes itself and records its own error
                decisions = [None] * len(part)
            tasks.extend(asyncio.create_task(one(row, d)) for row, d in zip(part, decisions))
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        bar.close()


def _answer_record(tally: CostTally, row: dict[str, Any], message: BaseMessage) -> dict[str, Any]:
    meta = message.response_metadata
    route = meta.get("route", "large")
    usage = _usage(message)
    cost = tally.add(route, usage)
    return {
        **row, "answer": message.text, "route": route, "model_name": meta.get("model_name"),
        "model": tally.pair.spec_for(route).model, "router_score": meta.get("router_score"),
        "router_threshold": meta.get("router_threshold"), "usage": usage,
        "cost_usd": None if cost is None else round(cost, 8), "error": None,
        **({"fallback_from": meta["fallback_from"], "fallback_error": meta.get("fallback_error")}
           if meta.get("fallback_from") else {}),
    }


async def _failed_record(
    router: HybridRouter, pair: ModelPair, row: dict[str, Any], exc: Exception, decision: RoutingDecision | None
) -> dict[str, Any]:
    try:  # where the call went, for the record (the routed call does not say when it fails)
        d = decision if decision is not None else await router.adecide(row["query"])
        where = {"route": d.route, "model_name": d.model_name, "model": pair.spec_for(d.route).model,
                 "router_score": d.score, "router_threshold": d.threshold}
    except Exception:  # noqa: BLE001 - the router itself failed: the error below says why
        where = dict.fromkeys(("route", "model_name", "model", "router_score", "router_threshold"))
    return {**row, "answer": None, **where, "usage": None, "cost_usd": None, "error": f"{type(exc).__name__}: {exc}"}


def run_infer(args: argparse.Namespace, config: RouterConfig, rows: list[dict[str, Any]]) -> int:
    """``infer`` without ``--route-only``. Exit status: 0, 1 if any call failed, 130 if interrupted."""
    if args.concurrency < 1:
        raise CLIError(f"--concurrency must be at least 1, got {args.concurrency}.")
    todo, append = _prepare_output(args, rows)
    router, pair, chat = _routed_model(args, config)
    tally = CostTally(pair)
    sink = _Sink(Path(args.output) if args.output else None, append)
    progress = args.output is not None and not getattr(args, "quiet", False)
    interrupted = False
    try:
        asyncio.run(_run_all(chat, router, tally, todo, sink, args.concurrency, progress))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        sink.close()
    answered = tally.calls["small"] + tally.calls["large"]
    where = f" -> {args.output}" if args.output else ""
    print(f"answered {answered} of {len(todo)} queries ({tally.calls['small']} small: {_spec_label(pair.small)}, "
          f"{tally.calls['large']} large: {_spec_label(pair.large)}), {tally.failed} failed{where}; "
          f"estimated cost {tally.savings_text()}", file=sys.stderr if args.output is None else sys.stdout)
    if interrupted:
        print(f"interrupted: {answered + tally.failed} records written; run the same command with --resume to go on.",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_FAILED_CALLS if tally.failed else 0


# -- chat --------------------------------------------------------------------------------------


def add_commands(sub: Any) -> None:
    """Register ``chat`` on the core CLI's sub-parsers."""
    p = sub.add_parser("chat", help="interactive chat that shows which model answered each message")
    p.add_argument("--config", required=True, help="YAML config with small_model.model / large_model.model")
    p.add_argument("--route-only", action="store_true", help="show routing decisions; do not call any model")
    p.add_argument("--model", help="trained model file (default: the config's load_model_path)")
    p.add_argument("--trust-pickle", action="store_true", help="allow loading a .pkl model (runs code from the file)")
    p.add_argument("--small-model", help="LangChain model string for the small model, e.g. openai:gpt-4o-mini")
    p.add_argument("--large-model", help="LangChain model string for the large model, e.g. openai:gpt-4o")
    p.add_argument("--system", help="system prompt put at the start of the conversation")
    p.add_argument("--fallback", action="store_true", help="retry a failed model call on the other model")
    p.set_defaults(func=cmd_chat)


def _read_line(console: Console, interactive: bool) -> str | None:
    """One line from the user (None at end of input): line editing on a terminal, plain lines from a pipe."""
    try:
        text = console.input("[bold cyan]you>[/] ")
    except (EOFError, KeyboardInterrupt):
        console.print()
        return None
    if not interactive:
        console.print(text, markup=False, highlight=False)  # a piped transcript shows what was asked
    return text


def cmd_chat(args: argparse.Namespace) -> int:
    """The interactive chat; ``/exit``, ``/quit`` or Ctrl-D ends it, ``/reset`` forgets the conversation."""
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console(highlight=False)
    config = RouterConfig.from_yaml(args.config)
    interactive = sys.stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401  (line editing and history for input())
        except ImportError:
            pass
    if args.route_only:
        router, _ = load_router_for(config, args.model, args.trust_pickle)
        pair, chat = model_pair(router, config, args.small_model, args.large_model), None
    else:
        router, pair, chat = _routed_model(args, config)
    tally = CostTally(pair)
    history: list[BaseMessage] = []
    console.print(f"[bold]hybrid-router chat[/]  threshold {router.threshold:g}"
                  + ("  [yellow](route only: no model is called)[/]" if chat is None else ""))
    console.print(f"  small: {_spec_label(pair.small)}\n  large: {_spec_label(pair.large)}")
    console.print("[dim]/exit or Ctrl-D to quit, /reset to start a new conversation[/]")
    while (text := _read_line(console, interactive)) is not None:
        text = text.strip()
        if not text:
            continue
        if text in ("/exit", "/quit"):
            break
        if text == "/reset":
            history.clear()
            console.print("[dim]conversation cleared[/]")
            continue
        if chat is None:
            d = router.decide(text)
            tally.add(d.route, None)
            console.print(_decision_line(d.route, pair.spec_for(d.route), d.score, d.threshold))
            continue
        _chat_turn(console, chat, history, tally, text, args.system, Markdown)
    _print_summary(console, tally, route_only=chat is None)
    return 0


def _chat_turn(console: Console, chat: BaseChatModel, history: list[BaseMessage], tally: CostTally,
               text: str, system: str | None, markdown: Any) -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    if system and not history:
        history.append(SystemMessage(system))
    history.append(HumanMessage(text))
    try:
        with console.status("thinking..."):
            message = chat.invoke(history)
    except Exception as exc:  # noqa: BLE001 - show it and keep the conversation going without this turn
        history.pop()
        console.print(f"[red]error:[/] {type(exc).__name__}: {exc}", markup=True, highlight=False)
        return
    history.append(message)
    meta = message.response_metadata
    route = meta.get("route", "large")
    usage = _usage(message)
    cost = tally.add(route, usage)
    console.print(markdown(message.text))
    extra = ""
    if usage:
        extra = f" · {usage['total_tokens']} tokens" + (f" · ${cost:.6f}" if cost is not None else "")
    if meta.get("fallback_from"):
        extra += f" [yellow](fallback: the {meta['fallback_from']} model failed)[/]"
    console.print(_decision_line(route, tally.pair.spec_for(route), meta.get("router_score"),
                                 meta.get("router_threshold")) + extra)


def _decision_line(route: str, spec: ModelSpec, score: float | None, threshold: float | None) -> str:
    colour = "green" if route == "small" else "magenta"
    cmp = "n/a" if score is None or threshold is None else f"{score:.2f} {'>=' if score >= threshold else '<'} {threshold:g}"
    return f"[{colour}]-> {route}[/] [bold]{_spec_label(spec)}[/] [dim]score {cmp}[/]"


def _print_summary(console: Console, tally: CostTally, route_only: bool) -> None:
    from rich.table import Table

    n = tally.calls["small"] + tally.calls["large"]
    if n == 0:
        console.print("[dim]no messages[/]")
        return
    table = Table(title="session summary", title_justify="left")
    for col in ("route", "model", "calls", "share"):
        table.add_column(col)
    if not route_only:
        for col in ("input tok", "output tok", "est. cost"):
            table.add_column(col, justify="right")
    for route in ("small", "large"):
        row = [route, _spec_label(tally.pair.spec_for(route)), str(tally.calls[route]), f"{tally.calls[route] / n:.0%}"]
        if not route_only:
            row += [str(tally.tokens[route][0]), str(tally.tokens[route][1]), f"${tally.cost[route]:.6f}"]
        table.add_row(*row)
    console.print(table)
    if not route_only:
        console.print(f"estimated cost {tally.savings_text()}")
