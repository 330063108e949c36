"""LlamaIndex adapter latency: what HybridLLMSelector and HybridRouterLLM add on top of the router.

    .venv/bin/python benchmarks/bench_llamaindex.py [--file routellm_gsm8k.jsonl] [--n-train 400] [--repeats 300]

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
    args = parser.parse_args()

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
    for q in queries[:5]:  # warm-up: first calls pay for lazy imports and allocations
        selector.select(choices, q)
        llm.chat([ChatMessage(role="user", content=q)])
    names = [
        "decide",
        "select",
        "child.chat",
        "HybridRouterLLM.chat",
        "select (fixed decision)",
        "HybridRouterLLM.chat (fixed decision)",
    ]
    times: dict[str, list[float]] = {n: [] for n in names}
    routes = []
    for i in range(args.repeats):
        q = queries[i % len(queries)]
        messages = [ChatMessage(role="user", content=q)]
        fixed.decision = router.decide(q)  # untimed: which child the router picks for this query
        routes.append(fixed.decision.route)
        child = small if fixed.decision.route == "small" else large
        times["decide"].append(_ms(router.decide, q))
        times["select"].append(_ms(selector.select, choices, q))
        times["child.chat"].append(_ms(child.chat, messages))
        times["HybridRouterLLM.chat"].append(_ms(llm.chat, messages))
        times["select (fixed decision)"].append(_ms(fixed_selector.select, choices, q))
        times["HybridRouterLLM.chat (fixed decision)"].append(_ms(fixed_llm.chat, messages))

    def paired(a: str, b: str) -> float:
        """Median of the per-call differences a - b (robust to load that shifts both)."""
        return statistics.median(x - y for x, y in zip(times[a], times[b]))

    print(
        f"{args.file}: router trained on {len(train)} queries in {train_s:.1f} s (incl. encoder load); "
        f"{args.repeats} calls over {len(queries)} held-out queries, {routes.count('large')} routed large; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for name, xs in times.items():
        print(
            f"{name:<38} p50 {statistics.median(xs):8.3f} ms   p90 {statistics.quantiles(xs, n=10)[8]:8.3f} ms"
        )
    print("median added latency (paired per call):")
    print(
        f"  HybridLLMSelector.select over router.decide():       {paired('select', 'decide'):+8.3f} ms"
    )
    print(
        f"  HybridRouterLLM.chat over the chosen child's chat:  {paired('HybridRouterLLM.chat', 'child.chat'):+8.3f} ms"
    )
    print(
        f"  ... of which the adapter itself (fixed decision):   "
        f"{paired('HybridRouterLLM.chat (fixed decision)', 'child.chat'):+8.3f} ms; "
        f"selector alone {statistics.median(times['select (fixed decision)']):.3f} ms"
    )


if __name__ == "__main__":
    main()
