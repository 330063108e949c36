"""``hybrid-router infer`` with answers: records, errors, concurrency, interruption and --resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hybrid_router import HybridRouter, ModelSpec
from hybrid_router.cli import main as cli_main

from tests.cli import fakes
from tests.cli.conftest import write_config

ROOT = Path(__file__).resolve().parents[2]
QUERIES = [f"{'prove the theorem' if i % 3 == 0 else 'hello weather'} number {i}" for i in range(12)]


def _input(tmp_path: Path, queries: list[str] = QUERIES) -> Path:
    path = tmp_path / "queries.jsonl"
    path.write_text("".join(json.dumps({"id": f"q{i}", "query": q, "topic": "t"}) + "\n" for i, q in enumerate(queries)))
    return path


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _router(tmp_path: Path) -> HybridRouter:
    return HybridRouter.load(tmp_path / "router.skops")


def test_records_carry_answer_route_score_usage_and_cost(config, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert cli_main(["infer", "--config", str(config), "--input", str(_input(tmp_path)), "--output", str(out),
                     "--concurrency", "4"]) == 0
    records = {r["id"]: r for r in _records(out)}
    assert sorted(records) == sorted(f"q{i}" for i in range(12))
    router = _router(tmp_path)
    prices = {"small": ModelSpec(name="s", input_cost_per_1m=0.15, output_cost_per_1m=0.6),
              "large": ModelSpec(name="l", input_cost_per_1m=2.5, output_cost_per_1m=10.0)}
    for i, query in enumerate(QUERIES):
        rec, decision = records[f"q{i}"], router.decide(query)
        assert rec["query"] == query and rec["topic"] == "t" and rec["error"] is None
        assert rec["route"] == decision.route and rec["model_name"] == decision.model_name
        assert rec["router_score"] == pytest.approx(decision.score, abs=1e-6) and rec["router_threshold"] == 0.5
        assert rec["answer"] == f"{decision.route} #1: {query}" and rec["model"] == f"fake:{decision.route}"
        usage = rec["usage"]
        assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
        expected = prices[decision.route].cost(usage["input_tokens"], usage["output_tokens"])
        assert rec["cost_usd"] == pytest.approx(expected, rel=1e-6)
    assert {r["route"] for r in records.values()} == {"small", "large"}
    assert "answered 12 of 12" in capsys.readouterr().out


def test_one_query_prints_its_record(config, capsys):
    assert cli_main(["infer", "--config", str(config), "--query", "prove the lemma"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert record["route"] == "large" and record["answer"] == "large #1: prove the lemma"


def test_failed_call_is_recorded_and_the_run_goes_on(tmp_path, config, capsys):
    config = write_config(tmp_path, large="fake:large?fail_on=number 3")
    out = tmp_path / "out.json"
    assert cli_main(["infer", "--config", str(config), "--input", str(_input(tmp_path)), "--output", str(out)]) == 1
    records = {r["id"]: r for r in json.loads(out.read_text())}  # .json: one atomic write at the end
    assert len(records) == 12
    failed = [r for r in records.values() if r["error"]]
    assert [r["id"] for r in failed] == ["q3"] and "provider refused" in failed[0]["error"]
    assert failed[0]["answer"] is None and failed[0]["route"] == "large"  # where it went is still recorded
    assert all(r["answer"] for r in records.values() if r["id"] != "q3")
    assert "1 failed" in capsys.readouterr().out


def test_interrupted_run_resumes_without_duplicates_or_losses(tmp_path, config, capsys):
    out = tmp_path / "out.jsonl"
    queries = _input(tmp_path)
    broken = write_config(tmp_path, small="fake:small?interrupt_after=5", large="fake:large?interrupt_after=5")
    assert cli_main(["infer", "--config", str(broken), "--input", str(queries), "--output", str(out),
                     "--concurrency", "3"]) == 130
    assert "--resume" in capsys.readouterr().err
    first = out.read_text().splitlines()
    assert 0 < len(first) < 12  # some answered, and every answered record was flushed whole
    assert all(json.loads(line)["answer"] for line in first)

    fakes.reset_calls()
    assert cli_main(["infer", "--config", str(write_config(tmp_path)), "--input", str(queries), "--output", str(out),
                     "--concurrency", "3", "--resume"]) == 0
    lines = out.read_text().splitlines()
    assert lines[: len(first)] == first  # nothing written before was lost or rewritten
    ids = [json.loads(line)["id"] for line in lines]
    assert sorted(ids) == sorted(f"q{i}" for i in range(12)) and len(ids) == len(set(ids))
    assert fakes._CALLS["n"] == 12 - len(first)  # the resumed run called only what was missing


def test_resume_retries_failed_and_cut_short_records(tmp_path, config):
    out = tmp_path / "out.jsonl"
    queries = _input(tmp_path, QUERIES[:4])
    good = {"id": "q0", "query": QUERIES[0], "answer": "kept", "error": None}
    failed = {"id": "q1", "query": QUERIES[1], "answer": None, "error": "RuntimeError: boom"}
    out.write_text(json.dumps(good) + "\n" + json.dumps(failed) + "\n" + '{"id": "q2", "que')
    assert cli_main(["infer", "--config", str(config), "--input", str(queries), "--output", str(out), "--resume"]) == 0
    records = _records(out)
    assert records[0] == good and sorted(r["id"] for r in records) == ["q0", "q1", "q2", "q3"]
    assert all(r["error"] is None for r in records) and fakes._CALLS["n"] == 3


def test_existing_output_needs_resume_and_resume_needs_jsonl(tmp_path, config, capsys):
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "q0"}\n')
    queries = _input(tmp_path)
    assert cli_main(["infer", "--config", str(config), "--input", str(queries), "--output", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err and out.read_text() == '{"id": "q0"}\n'
    assert cli_main(["infer", "--config", str(config), "--input", str(queries), "--output",
                     str(tmp_path / "o.json"), "--resume"]) == 2
    assert ".jsonl" in capsys.readouterr().err and fakes._CALLS["n"] == 0


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_in_a_real_process_then_resume(tmp_path, config):
    """A subprocess interrupted by SIGINT midway keeps what it wrote; --resume completes the rest."""
    out = tmp_path / "out.jsonl"
    queries = _input(tmp_path, [f"hello weather {i}" for i in range(60)])
    slow = write_config(tmp_path, small="fake:small?sleep=0.05", large="fake:large?sleep=0.05")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HYBRID_ROUTER_MODEL_FACTORY": fakes.FACTORY}
    cmd = [sys.executable, "-m", "hybrid_router.cli", "infer", "--config", str(slow), "--input", str(queries),
           "--output", str(out), "--concurrency", "2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while (not out.exists() or len(out.read_text().splitlines()) < 4) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "--resume" in err
    first = out.read_text().splitlines()
    assert 4 <= len(first) < 60
    done = subprocess.run(cmd + ["--resume"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == sorted(f"q{i}" for i in range(60)) and len(set(ids)) == 60


def test_fallback_answers_with_the_other_model_and_says_so(tmp_path, config):
    config = write_config(tmp_path, small="fake:small?fail_on=hello")
    out = tmp_path / "out.jsonl"
    assert cli_main(["infer", "--config", str(config), "--input", str(_input(tmp_path)), "--output", str(out),
                     "--fallback"]) == 0
    records = _records(out)
    moved = [r for r in records if r.get("fallback_from")]
    assert moved and all(r["route"] == "large" and r["answer"].startswith("large #1") for r in moved)
    assert all("provider refused" in r["fallback_error"] for r in moved)
    assert all(r["error"] is None for r in records)


def test_queries_are_routed_in_one_batch_not_one_encoding_per_call(config, tmp_path, monkeypatch):
    batches: list[int] = []
    singles: list[str] = []
    decide_batch = HybridRouter.decide_batch

    def counting_batch(self, queries):
        batches.append(len(queries))
        return decide_batch(self, queries)

    async def no_single(self, query):
        singles.append(query)
        raise AssertionError("infer should not route queries one by one")

    monkeypatch.setattr(HybridRouter, "decide_batch", counting_batch)
    monkeypatch.setattr(HybridRouter, "adecide", no_single)
    out = tmp_path / "out.jsonl"
    assert cli_main(["infer", "--config", str(config), "--input", str(_input(tmp_path)), "--output", str(out),
                     "--concurrency", "4"]) == 0
    assert batches == [len(QUERIES)] and singles == []
    router = _router(tmp_path)
    for rec in _records(out):
        assert rec["router_score"] == pytest.approx(router.decide(rec["query"]).score, abs=1e-6)
