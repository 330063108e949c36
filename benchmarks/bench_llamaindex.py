"""LlamaIndex adapter latency: what HybridLLMSelector and HybridRouterLLM add on top of the router.

    .venv/bin/python benchmarks/bench_llamaindex.py [--file routellm_gsm8k.jsonl] [--n-train 400] [--repeats 300] [--torch-threads 1]

A real router (all-MiniLM-L6-v2 + the default head, trained on ``--n-train`` queries of the
shared file) scores held-out queries. In one interleaved loop, per query:

- ``router.decide(q)`` alone vs ``HybridLLMSelector.select(choices, q)``;
- ``child.chat(messages)`` on the mock child the router picks vs ``HybridRouterLLM.chat(messages)``.

The children are LlamaIndex's ``MockFunctionCallingLLM`` (an echo), so the child's own time is
near zero and the difference is the adapter plus the decision. Medians, in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]


def _ms(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("SHARED_DATA_DIR", str(ROOT.parent / "shared" / "data")),
    )
    parser.add_argument("--file", default="routellm_gsm8k.jsonl")
    parser.add_argument("--n-train", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--torch-threads", type=int, default=1, help="0 keeps torch's default")
    args = parser.parse_args()
    if args.torch_threads:
        import torch  # one thread: steadier per-query encoding on a shared CPU

        torch.set_num_threads(args.torch_threads)

    from hybrid_router import HybridRouter, QualityGapScorer, RoutingDataset
    from llama_index.core.llms import ChatMessage
    from llama_index.core.llms.mock import MockFunctionCallingLLM
    from llama_index.core.tools import ToolMetadata

    from llamaindex_hybrid_router import HybridLLMSelector, HybridRouterLLM

    data = RoutingDataset.from_file(Path(args.data_dir) / args.file, decontaminate=True)
    train, test = data.split(0.2, random_state=0)
    train = train.subset(list(range(min(args.n_train, len(train)))))
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        router = HybridRouter.fit(train, QualityGapScorer(cache_dir=cache))
        train_s = time.perf_counter() - t0
    selector = HybridLLMSelector(router)
    choices = [
        ToolMetadata(name="small", description="cheap engine"),
        ToolMetadata(name="large", description="strong"),
    ]
    small, large = (
        MockFunctionCallingLLM(is_chat_model=True),
        MockFunctionCallingLLM(is_chat_model=True),
    )
    llm = HybridRouterLLM(router=router, small=small, large=large)

    class FixedRouter:
        """The real router's decision, precomputed: isolates the adapters' own cost from encoding."""

        small_model, large_model = router.small_model, router.large_model
        decision = None

        def decide(self, query: str):
            return self.decision

        async def adecide(self, query: str):
            return self.decision

    fixed = FixedRouter()
    fixed_selector = HybridLLMSelector(fixed)
    fixed_llm = HybridRouterLLM(router=fixed, small=small, large=large)

    queries = test.queries[:50]
    decisions = dict(zip(queries, router.decide_batch(queries)))
    for q in queries[:5]:  # warm-up: first calls pay for lazy imports and allocations
        selector.select(choices, q)
        llm.chat([ChatMessage(role="user", content=q)])

    def timed_pairs(pairs: dict[str, tuple], repeats: int, real: bool) -> dict[str, list[float]]:
        """Per query, each (baseline, adapter) pair back to back, the order alternating per call."""
        times: dict[str, list[float]] = {}
        for i in range(repeats):
            q = queries[i % len(queries)]
            messages = [ChatMessage(role="user", content=q)]
            fixed.decision = decisions[q]  # the real decision, and so the chosen child
            child = small if fixed.decision.route == "small" else large
            calls = {
                "decide": (router.decide if real else fixed.decide, q),
                "select": ((selector if real else fixed_selector).select, choices, q),
                "child.chat": (child.chat, messages),
                "HybridRouterLLM.chat": ((llm if real else fixed_llm).chat, messages),
            }
            for base, adapter in pairs.values():
                order = (base, adapter) if i % 2 == 0 else (adapter, base)
                for name in order:
                    fn, *fn_args = calls[name]
                    times.setdefault(name, []).append(_ms(fn, *fn_args))
        return times

    pairs = {
        "HybridLLMSelector.select over router.decide()": ("decide", "select"),
        "HybridRouterLLM.chat over the chosen child's chat": ("child.chat", "HybridRouterLLM.chat"),
    }
    real = timed_pairs(pairs, args.repeats, real=True)
    # The same with the decision precomputed (10x the calls: they are cheap): what the adapter code itself costs, without encoding noise.
    alone = timed_pairs(pairs, args.repeats * 10, real=False)
    n_large = sum(d.route == "large" for d in decisions.values())

    def paired(times: dict[str, list[float]], base: str, adapter: str) -> float:
        """Median of the per-call differences adapter - baseline (robust to load that shifts both)."""
        return statistics.median(a - b for a, b in zip(times[adapter], times[base]))

    print(
        f"{args.file}: router trained on {len(train)} queries in {train_s:.1f} s (incl. encoder load); "
        f"{args.repeats} calls per endpoint over {len(queries)} held-out queries ({n_large} routed large); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; torch threads {args.torch_threads or 'default'}"
    )
    for label, times in (("real router", real), ("decision precomputed", alone)):
        print(f"-- {label}")
        for name, xs in times.items():
            print(
                f"   {name:<22} p50 {statistics.median(xs):8.3f} ms   p90 {statistics.quantiles(xs, n=10)[8]:8.3f} ms"
            )
    print("median added latency (paired per call):        real router   decision precomputed")
    for label, (base, adapter) in pairs.items():
        print(
            f"  {label:<50} {paired(real, base, adapter):+8.3f} ms   {paired(alone, base, adapter):+8.3f} ms"
        )


if __name__ == "__main__":
    main()
