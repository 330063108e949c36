"""``make demo``: train a router on real routing data with the default encoder and route a few queries.

Mixtral-8x7B (small) vs GPT-4 (large) on GSM8K: 1,319 real questions with both models' graded
answers. It is the file that trains in about a minute on a 2-core laptop (MMLU's 14k queries
take several), and its questions vary in difficulty, which is what the router has to learn.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

LARGE_SHARE_BUDGET = 0.3
EXAMPLES = [
    "What is 2 + 3?",
    "Tom has 3 apples and buys 2 more. How many apples does he have?",
    "A store sells pencils at 3 for $0.75. How much do 24 pencils cost?",
    "A train leaves at 3:15 pm at 48 mph; a second leaves the same station at 4:05 pm at 60 mph on the "
    "same track. At what time, to the nearest minute, does the second train catch up, and how far from the station?",
    "Janet invests $12,000, part at 4% and the rest at 7% simple interest. After 3 years she has earned "
    "$1,980 in interest, then withdraws a third of the total and reinvests it at 5% compounded quarterly "
    "for 2 years. How much interest does the reinvested part earn?",
    "What is photosynthesis?",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="../shared/data", help="directory holding routellm_gsm8k.jsonl")
    parser.add_argument("--file", default="routellm_gsm8k.jsonl")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from .data import RoutingDataset
    from .evaluation import apgr
    from .router import HybridRouter
    from .scorer import QualityGapScorer
    from .training import HeldOutSummary

    path = Path(args.data_dir) / args.file
    if not path.is_file():
        raise SystemExit(f"demo: {path} not found; point DATA_DIR at the directory holding {args.file}.")
    start = time.perf_counter()
    data = RoutingDataset.from_file(path, decontaminate=True)
    train, test = data.split(test_size=0.2, random_state=0)
    # A budget is set on data the scorer has not seen (a slice of the training part), never on the test part.
    fit, calibration = train.split(test_size=0.2, random_state=0)
    print(f"data: {path} ({len(data)} queries after decontamination; small={data.small_model}, large={data.large_model})")
    print(f"training on {len(fit)} queries (default head: MiniLM embedding + word n-grams, probabilistic labels), "
          f"calibrating on {len(calibration)}, holding out {len(test)}")
    router = HybridRouter.fit(fit, QualityGapScorer(router_mode="probabilistic", show_progress=True))
    print(f"trained in {time.perf_counter() - start:.1f} s")
    point = router.calibrate(calibration, target_large_share=LARGE_SHARE_BUDGET)
    print(f"calibrated to send at most {LARGE_SHARE_BUDGET:.0%} of calls to the large model: threshold {point['threshold']:.3f}\n")

    for d in router.decide_batch(EXAMPLES):
        short = d.query if len(d.query) <= 70 else d.query[:67] + "..."
        print(f"{d.route:>5} -> {d.model_name:<40} score={d.score:.3f} threshold={d.threshold:.3f}  {short}")
    print(f"\nheld-out summary at threshold {router.threshold:.3f}:")
    print(HeldOutSummary.measure(router, test).as_text())
    scores = router.score(test.queries)
    print(f"APGR on the held-out queries: {apgr(scores, test.q_small, test.q_large):.3f} (random routing: 0.5)")
    print(f"\ndemo finished in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
