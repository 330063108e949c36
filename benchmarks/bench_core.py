"""Core timings: training on a shared file (cold and with a warm embedding cache) and per-call latency.

    .venv/bin/python benchmarks/bench_core.py --file routellm_gsm8k.jsonl [--repeats 300]

Cold = an empty embedding cache and a freshly loaded encoder process-wide (the model load is
reported apart); warm = the same training again, vectors from the cache. Latency compares, side
by side in one run, ``router.decide(q)`` with a bare ``encoder.encode([q])`` on the same queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--file", default="routellm_gsm8k.jsonl")
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()

    from hybrid_router import HybridRouter, QualityGapScorer, RoutingDataset
    from hybrid_router.encoders import get_encoder

    data = RoutingDataset.from_file(Path(args.data_dir) / args.file, decontaminate=True)
    train, test = data.split(0.2, random_state=0)
    enc = get_encoder()
    t0 = time.perf_counter()
    enc.encode(["warm up"])
    load_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as cache:
        times = {}
        for run in ("cold", "warm"):
            t0 = time.perf_counter()
            router = HybridRouter.fit(train, QualityGapScorer(cache_dir=cache))
            times[run] = time.perf_counter() - t0
    print(f"{args.file}: {len(train)} training queries; encoder load {load_s:.1f} s")
    print(f"train cold (empty cache): {times['cold']:.1f} s   warm (cached): {times['warm']:.2f} s")

    queries = test.queries[: min(len(test.queries), 50)]
    enc_t, dec_t = [], []
    for i in range(args.repeats):
        q = queries[i % len(queries)]
        t0 = time.perf_counter()
        enc.encode([q])
        t1 = time.perf_counter()
        router.decide(q)
        t2 = time.perf_counter()
        enc_t.append((t1 - t0) * 1e3)
        dec_t.append((t2 - t1) * 1e3)

    def pct(xs, p):
        return statistics.quantiles(xs, n=100)[p - 1]

    for name, xs in (("encoder.encode([q])", enc_t), ("router.decide(q)", dec_t)):
        print(f"{name:<22} p50 {statistics.median(xs):6.2f} ms   p99 {pct(xs, 99):6.2f} ms")
    print(f"ratio decide/encode     p50 {statistics.median(dec_t) / statistics.median(enc_t):.2f}   "
          f"p99 {pct(dec_t, 99) / pct(enc_t, 99):.2f}")


if __name__ == "__main__":
    main()
