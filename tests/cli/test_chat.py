"""``hybrid-router chat``: driven through stdin, checking what the user sees."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from hybrid_router.cli import main as cli_main

from tests.cli import fakes
from tests.cli.conftest import write_config

ROOT = Path(__file__).resolve().parents[2]


def _chat(config: Path, stdin: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HYBRID_ROUTER_MODEL_FACTORY": fakes.FACTORY,
           "COLUMNS": "120", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "hybrid_router.cli", "chat", "--config", str(config), *extra],
                          input=stdin, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_chat_through_a_pipe_keeps_the_conversation_and_shows_each_route(tmp_path, config):
    config = write_config(tmp_path, large="fake:large?fail_on=BOOM")
    proc = _chat(config, "hello weather\nprove the theorem\nprove BOOM now\nthanks hello\n/exit\nnever read\n")
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    # Each answer: the text, then which model answered and its score against the threshold.
    assert re.search(r"small #1: hello weather\s+-> small small-llm \(fake:small\) score 0\.\d\d >= 0\.5", out)
    assert re.search(r"large #2: prove the theorem\s+-> large large-llm .* score 0\.\d\d < 0\.5", out)
    # A failed call is shown, and dropped from the history: the next answer sees 3 user turns, not 4.
    assert "error: RuntimeError: provider refused: BOOM" in out
    assert "small #3: thanks hello" in out and "never read" not in out
    # The summary on /exit: calls per model and the estimated cost against large-only.
    summary = out[out.index("session summary"):]
    assert re.search(r"small\s*│\s*small-llm \(fake:small\)\s*│\s*2\s*│\s*67%", summary)
    assert re.search(r"large\s*│.*│\s*1\s*│\s*33%", summary)
    assert re.search(r"estimated cost \$\d\.\d+ \(large only: \$\d\.\d+, saved \d+%\)", summary)


def test_chat_ends_at_end_of_input_with_the_summary(config, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello weather\n"))  # no /exit: Ctrl-D ends the session
    assert cli_main(["chat", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "small #1: hello weather" in out and "session summary" in out


def test_route_only_shows_decisions_and_calls_no_model(config, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello weather\nprove the theorem\n/quit\n"))
    monkeypatch.setenv("COLUMNS", "120")
    assert cli_main(["chat", "--config", str(config), "--route-only"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"-> small small-llm \(fake:small\) score 0\.\d\d >= 0\.5", out)
    assert re.search(r"-> large large-llm \(fake:large\) score 0\.\d\d < 0\.5", out)
    assert "#1" not in out and fakes._CALLS["n"] == 0 and "session summary" in out


def test_reset_starts_a_new_conversation(config, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello weather\nhello again\n/reset\nhello once more\n"))
    assert cli_main(["chat", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"(small|large) #2: hello again", out)  # the model saw both turns
    assert re.search(r"(small|large) #1: hello once more", out)  # ...and, after /reset, only the new one
