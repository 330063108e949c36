"""Training with a budget: the config's target chooses the threshold on a calibration slice."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hybrid_router import HybridRouter, encoders
from hybrid_router.config import ConfigError, RouterConfig
from hybrid_router.training import train_from_config

from tests.fakes import HashingEncoder, synthetic_data

ENCODER = "test-hashing-64"


@pytest.fixture
def config_text(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(encoders._ENCODERS, ENCODER, HashingEncoder(64))
    queries, q_small, q_large = synthetic_data(400, seed=3)  # half the queries need the large model
    rows = [{"query": q, "scores": {"small-llm": float(s), "large-llm": float(lg)}}
            for q, s, lg in zip(queries, q_small, q_large)]
    (tmp_path / "routing.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return (
        f"encoder: {ENCODER}\nfeatures: embedding\nsmall_model: small-llm\nlarge_model: large-llm\n"
        "data_path: {routing_data: routing.jsonl}\nmodel_path: {save_model_path: model.skops}\n"
    )


def _config(tmp_path, text: str) -> RouterConfig:
    (tmp_path / "c.yaml").write_text(text)
    return RouterConfig.from_yaml(tmp_path / "c.yaml")


def test_target_large_share_sets_the_threshold_on_a_calibration_slice(tmp_path, config_text):
    config = _config(tmp_path, config_text + "target_large_share: 0.3\ncalibration_size: 0.25\n")
    result = train_from_config(config)
    assert result.calibration is not None and len(result.calibration) == 80  # 25% of the 320 training rows
    assert len(result.train) + len(result.calibration) + len(result.test) == 400
    assert not set(result.calibration.queries) & set(result.train.queries)
    # On the slice it was chosen on, the budget holds and is used (half of these queries are hard).
    share = float(np.mean(result.router.score(result.calibration.queries) < result.router.threshold))
    assert 0.2 <= share <= 0.3
    saved = HybridRouter.load(result.saved_to)
    assert saved.threshold == pytest.approx(result.router.threshold) and saved.threshold != 0.5


def test_max_quality_drop_keeps_quality_on_the_calibration_slice(tmp_path, config_text):
    result = train_from_config(_config(tmp_path, config_text + "max_quality_drop: 0.0\n"), save=False)
    cal = result.calibration
    small = result.router.score(cal.queries) >= result.router.threshold
    assert np.mean(np.where(small, cal.q_small, cal.q_large)) >= cal.q_large.mean() - 1e-9


def test_without_a_target_the_threshold_is_the_configs(tmp_path, config_text):
    result = train_from_config(_config(tmp_path, config_text + "router_threshold: 0.4\n"), save=False)
    assert result.calibration is None and result.router.threshold == 0.4


@pytest.mark.parametrize(
    "extra, message",
    [
        ("target_large_share: 0.3\nmax_quality_drop: 0.01\n", "not both"),
        ("target_large_share: 0.3\nrouter_threshold: 0.5\n", "remove one"),
        ("target_large_share: 1.5\n", "target_large_share"),
    ],
)
def test_contradictory_or_bad_targets_are_clear_errors(tmp_path, config_text, extra, message):
    with pytest.raises(ConfigError, match=message):
        _config(tmp_path, config_text + extra)
