"""Latency the LangChain adapter adds: ``ChatHybridRouter.invoke`` vs calling the chosen child directly.

    .venv/bin/python benchmarks/bench_langchain.py [--train 400] [--repeats 300] [--torch-threads 1]

Trains a router with the real all-MiniLM-L6-v2 encoder on part of the shared GSM8K file, then
times, interleaved per query in one run on the same held-out queries:

- ``child.invoke(q)``: the fake child the router would pick, called directly (the baseline);
- ``router.decide(q)``: the core's decision alone (encode one query + the head);
- ``ChatHybridRouter.invoke(q)``: decide, then delegate to that child (nested run, metadata).

Added latency = router invoke - direct child call; "beyond decide" subtracts ``decide`` too,
i.e. what the LangChain wrapper itself costs. The children are offline fakes that answer
instantly, so the figures are the adapter's own overhead, not any model's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]


def _pct(xs: list[float], p: int) -> float:
    return statistics.quantiles(xs, n=100)[p - 1]


def _row(name: str, xs: list[float]) -> str:
    return f"| {name} | {statistics.median(xs):.2f} | {_pct(xs, 90):.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("SHARED_DATA_DIR", str(ROOT.parent / "shared" / "data")))
    parser.add_argument("--file", default="routellm_gsm8k.jsonl")
    parser.add_argument("--train", type=int, default=400, help="training queries (the rest are held out)")
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--torch-threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)

    from hybrid_router import HybridRouter, QualityGapScorer, RoutingDataset
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from langchain_hybrid_router import ChatHybridRouter

    data = RoutingDataset.from_file(Path(args.data_dir) / args.file, decontaminate=True)
    train, test = data.split(1 - args.train / len(data), random_state=0)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        router = HybridRouter.fit(train, QualityGapScorer(cache_dir=cache), threshold=0.5)
    train_s = time.perf_counter() - t0

    small = FakeListChatModel(responses=["small answer"])
    large = FakeListChatModel(responses=["large answer"])
    chat = ChatHybridRouter(router=router, small=small, large=large)
    queries = test.queries
    for q in queries[:5]:  # warm up: first calls pay for lazy imports and allocations
        chat.invoke(q), router.decide(q), small.invoke(q)

    child_t, decide_t, router_t = [], [], []
    routes = {"small": 0, "large": 0}
    for i in range(args.repeats):
        q = queries[i % len(queries)]
        t0 = time.perf_counter()
        decision = router.decide(q)
        t1 = time.perf_counter()
        child = small if decision.route == "small" else large
        child.invoke(q)
        t2 = time.perf_counter()
        msg = chat.invoke(q)
        t3 = time.perf_counter()
        decide_t.append((t1 - t0) * 1e3)
        child_t.append((t2 - t1) * 1e3)
        router_t.append((t3 - t2) * 1e3)
        routes[msg.response_metadata["route"]] += 1

    async def async_router() -> list[float]:
        out = []
        for i in range(min(args.repeats, 100)):
            t0 = time.perf_counter()
            await chat.ainvoke(queries[i % len(queries)])
            out.append((time.perf_counter() - t0) * 1e3)
        return out

    arouter_t = asyncio.run(async_router())

    # The wrapper alone: the same calls with each decision looked up, not computed.
    class _Decided:
        small_model, large_model, threshold = router.small_model, router.large_model, router.threshold

        def __init__(self) -> None:
            self.table = {q: router.decide(q) for q in queries[: args.repeats]}

        def decide(self, q: str):
            return self.table[q]

        async def adecide(self, q: str):
            return self.table[q]

    stub = ChatHybridRouter(router=_Decided(), small=small, large=large)
    wrapper_t = []
    for i in range(args.repeats):
        q = queries[i % len(queries)]
        t0 = time.perf_counter()
        stub.invoke(q)
        wrapper_t.append((time.perf_counter() - t0) * 1e3)
    added = [r - c for r, c in zip(router_t, child_t)]
    beyond = [r - c - d for r, c, d in zip(router_t, child_t, decide_t)]

    print(f"{args.file}: router trained on {len(train)} queries in {train_s:.1f} s (MiniLM); "
          f"{args.repeats} calls on {len(queries)} held-out queries, routes {routes}")
    print("| what (ms per call) | p50 | p90 |")
    print("|---|---|---|")
    print(_row("fake child `invoke` (direct)", child_t))
    print(_row("`router.decide(q)` alone", decide_t))
    print(_row("`ChatHybridRouter.invoke`", router_t))
    print(_row("`ChatHybridRouter.ainvoke` (first 100)", arouter_t))
    print(_row("added: router invoke - direct child", added))
    print(_row("wrapper beyond decide: router - child - decide", beyond))
    print(_row("`ChatHybridRouter.invoke` with the decision looked up (wrapper + child)", wrapper_t))


if __name__ == "__main__":
    main()
