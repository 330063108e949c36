"""Throughput of ``hybrid-router infer`` (answers) with fake children that sleep per call.

    .venv/bin/python benchmarks/bench_infer.py [--queries 1000] [--sleep 0.05] [--concurrency 1 16]
    .venv/bin/python benchmarks/bench_infer.py --router models/gsm8k.skops   # the real MiniLM router

Each run is the whole ``infer --input F --output O.jsonl --concurrency N`` command, in process:
load the router, build both models, route and call every query, append and flush one record per
query. The children are ``tests.cli.fakes.FakeChatModel`` (``await asyncio.sleep(sleep)`` per
call, no network), built through ``$HYBRID_ROUTER_MODEL_FACTORY``. The router is the test suite's
fake (``tests.fakes.make_router``: hashing bag-of-words encoder, no model load) unless
``--router`` names a trained one, which then encodes every query with its real encoder.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.cli.fakes: the fake chat models and the factory


def _config(folder: Path, router_path: Path, sleep: float) -> Path:
    config = folder / "bench.yaml"
    config.write_text(
        f"small_model: {{name: SMALL, model: 'fake:small?sleep={sleep}', input_cost_per_1m: 0.15, output_cost_per_1m: 0.6}}\n"
        f"large_model: {{name: LARGE, model: 'fake:large?sleep={sleep}', input_cost_per_1m: 2.5, output_cost_per_1m: 10}}\n"
        f"model_path: {{load_model_path: '{router_path}'}}\n"
    )
    return config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--sleep", type=float, default=0.05, help="seconds each fake child call sleeps")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--router", help="a trained router file (default: the tests' fake router)")
    args = parser.parse_args()

    from hybrid_router import HybridRouter
    from hybrid_router.cli import main as cli_main

    from tests.cli import fakes
    from tests.fakes import EASY_WORDS, HARD_WORDS, make_router

    os.environ["HYBRID_ROUTER_MODEL_FACTORY"] = fakes.FACTORY
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.router:
            router_path = Path(args.router).resolve()
            router = HybridRouter.load(router_path)
            router.decide("warm up the encoder")  # the model load is not part of the throughput
            label = f"real router {router_path.name} (encoder {router.scorer.encoder})"
        else:
            router = make_router()
            router_path = router.save(folder / "router.skops")
            label = "fake router (tests.fakes.make_router, hashing encoder)"
        names = (router.small_model, router.large_model)
        config = _config(folder, router_path, args.sleep)
        text = config.read_text().replace("SMALL", names[0]).replace("LARGE", names[1])
        config.write_text(text)
        words = EASY_WORDS + HARD_WORDS
        queries = folder / "queries.jsonl"
        queries.write_text("".join(
            json.dumps({"id": str(i), "query": f"{words[i % len(words)]} {words[(i * 7) % len(words)]} question {i}"}) + "\n"
            for i in range(args.queries)
        ))
        print(f"{args.queries} queries, fake children sleeping {args.sleep * 1e3:.0f} ms per call; {label}")
        print("| concurrency | wall time (s) | calls/s | ideal calls/s | failed | small share |")
        print("|---:|---:|---:|---:|---:|---:|")
        for n in args.concurrency:
            out = folder / f"out_{n}.jsonl"
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()) as said:  # infer's one-line summary
                rc = cli_main(["infer", "--config", str(config), "--input", str(queries), "--output", str(out),
                               "--concurrency", str(n), "--quiet"])
            wall = time.perf_counter() - t0
            records = [json.loads(line) for line in out.read_text().splitlines()]
            failed = sum(1 for r in records if r["error"])
            small = sum(1 for r in records if r["route"] == "small") / len(records)
            if rc != 0 or len(records) != args.queries:
                raise SystemExit(f"infer exited {rc} with {len(records)} records: {said.getvalue()}")
            print(f"| {n} | {wall:.2f} | {args.queries / wall:.1f} | {n / args.sleep:.0f} | {failed} | {small:.0%} |",
                  flush=True)


if __name__ == "__main__":
    main()
