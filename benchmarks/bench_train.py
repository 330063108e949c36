"""Wall time of `hybrid-router train` on a shared file, cold and with a warm embedding cache.

    .venv/bin/python benchmarks/bench_train.py                          # configs/mmlu.yaml
    .venv/bin/python benchmarks/bench_train.py --config configs/gsm8k.yaml --warm-runs 5
    .venv/bin/python benchmarks/bench_train.py --head mlp               # the seed's MLP head
    .venv/bin/python benchmarks/bench_train.py --features text          # TF-IDF only: no transformer

Each run is a fresh subprocess (``hybrid-router train --config ... --quiet``), so the times
include Python start-up, imports, reading the data, embedding, fitting, the held-out summary
and saving: what a user retraining on their logs waits for. Cold = ``HYBRID_ROUTER_CACHE``
pointing at a new empty directory (every query goes through the transformer); warm = the same
directory again (vectors come from the SQLite cache). The config is copied to a temporary
directory with absolute data paths and a temporary ``save_model_path``, so nothing in the
repository is written. The CLI's own stage timings are printed for the cold and the last warm run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def temp_config(config: Path, workdir: Path, head: str | None, features: str | None) -> Path:
    """A copy of ``config`` with absolute data paths and the model saved under ``workdir``."""
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    for key, value in list((raw.get("data_path") or {}).items()):
        if isinstance(value, str) and value:
            raw["data_path"][key] = str((config.parent / value).resolve())
    raw.setdefault("model_path", {})
    raw["model_path"]["save_model_path"] = str(workdir / "model.skops")
    raw["model_path"]["load_model_path"] = str(workdir / "model.skops")
    if head:
        raw["head"] = head
    if features:
        raw["features"] = features
    out = workdir / config.name
    out.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return out


def run_train(config: Path, cache: Path) -> tuple[float, str]:
    env = dict(os.environ, HYBRID_ROUTER_CACHE=str(cache), HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    exe = Path(sys.executable).with_name("hybrid-router")
    cmd = [str(exe), "train", "--config", str(config), "--quiet"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "mmlu.yaml"))
    parser.add_argument("--head", choices=["default", "mlp"], default=None, help="override the config's head")
    parser.add_argument("--features", choices=["text+embedding", "embedding", "text"], default=None,
                        help="override the config's features (text: no transformer)")
    parser.add_argument("--warm-runs", type=int, default=3, help="warm runs; the median is reported")
    parser.add_argument("--skip-cold", action="store_true", help="only warm runs, on the default embedding cache (a first untimed run fills it)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        workdir = Path(tmp)
        config = temp_config(Path(args.config).resolve(), workdir, args.head, args.features)
        if args.skip_cold:  # the user's own cache (e.g. filled by bench_scorers); one untimed run tops it up
            cache = Path(os.environ.get("HYBRID_ROUTER_CACHE", Path.home() / ".cache" / "hybrid-llm-router"))
        else:
            cache = workdir / "cache"
            cache.mkdir()
        cold, cold_out = run_train(config, cache)
        warm = []
        warm_out = ""
        for _ in range(args.warm_runs):
            seconds, warm_out = run_train(config, cache)
            warm.append(seconds)
    name = Path(args.config).name + "".join(f", {k}: {v}" for k, v in (("head", args.head), ("features", args.features)) if v)
    if not args.skip_cold:
        print(f"--- cold run output ---\n{cold_out}")
    print(f"--- last warm run output ---\n{warm_out}")
    print("| config | cores | cold (s) | warm median (s) | warm runs (s) |")
    print("|---|---:|---:|---:|---|")
    print(f"| {name} | {os.cpu_count()} | {'-' if args.skip_cold else f'{cold:.1f}'} | "
          f"{statistics.median(warm):.1f} | {', '.join(f'{w:.1f}' for w in warm)} |")


if __name__ == "__main__":
    main()
