"""A trained fake router saved to disk, a config naming fake models, and the factory hook set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import fakes
from tests.fakes import make_router


def write_config(tmp_path: Path, small: str = "fake:small", large: str = "fake:large") -> Path:
    """A config whose models are fakes, priced like gpt-4o-mini (small) and gpt-4o (large)."""
    config = tmp_path / "config.yaml"
    config.write_text(
        f"small_model: {{name: small-llm, model: '{small}', input_cost_per_1m: 0.15, output_cost_per_1m: 0.6}}\n"
        f"large_model: {{name: large-llm, model: '{large}', input_cost_per_1m: 2.5, output_cost_per_1m: 10.0}}\n"
        "model_path: {load_model_path: router.skops}\n"
    )
    return config


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_router().save(tmp_path / "router.skops")
    monkeypatch.setenv("HYBRID_ROUTER_MODEL_FACTORY", fakes.FACTORY)
    fakes.reset_calls()
    return write_config(tmp_path)
