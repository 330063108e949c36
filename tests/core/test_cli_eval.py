"""``hybrid-router evaluate`` and ``calibrate`` end to end with the fake encoder (no model download)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hybrid_router import HybridRouter, RoutingDataset, encoders
from hybrid_router.cli import main as cli_main
from hybrid_router.cli_eval import cross_validated_scores
from hybrid_router.config import RouterConfig

from tests.fakes import HashingEncoder, synthetic_data

ENCODER = "test-hashing-64"
N = 160
CATEGORIES = ["algebra", "biology", "history", "physics"]
CONTAMINATED = {3, 10, 17}


@pytest.fixture
def fake_encoder(monkeypatch: pytest.MonkeyPatch) -> HashingEncoder:
    """Configs name the encoder ``test-hashing-64``; the encoder registry hands out the fake for it."""
    enc = HashingEncoder(64)
    monkeypatch.setitem(encoders._ENCODERS, ENCODER, enc)
    return enc


@pytest.fixture
def data_file(tmp_path):
    queries, q_small, q_large = synthetic_data(N, seed=1)
    rows = []
    for i, (q, s, lg) in enumerate(zip(queries, q_small, q_large)):
        rows.append({
            "id": f"t:{i}",
            "query": q,
            "scores": {"small-llm": float(s), "large-llm": float(lg)},
            "category": CATEGORIES[(i // 2) % len(CATEGORIES)],
            "split": "test" if i % 4 in (1, 2) else "train",
            "extra": {"routellm_contaminated": i in CONTAMINATED},
        })
    path = tmp_path / "routing.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def config_file(tmp_path, data_file, fake_encoder):
    path = tmp_path / "config.yaml"
    path.write_text(
        f"encoder: {ENCODER}\n"
        "test_size: 0.25\n"
        "small_model: {name: small-llm, input_cost_per_1m: 1.0, output_cost_per_1m: 2.0}\n"
        "large_model: {name: large-llm, input_cost_per_1m: 10.0, output_cost_per_1m: 30.0}\n"
        f"data_path: {{routing_data: {data_file.name}}}\n"
        "model_path: {save_model_path: model.skops, load_model_path: model.skops}\n"
    )
    return path


@pytest.fixture
def trained(config_file, capsys):
    assert cli_main(["train", "--config", str(config_file), "--quiet"]) == 0
    capsys.readouterr()
    return config_file.parent / "model.skops"


def test_evaluate_cv_writes_report_and_plot(config_file, tmp_path, capsys):
    out, png = tmp_path / "report.json", tmp_path / "curve.png"
    code = cli_main(["evaluate", "--config", str(config_file), "--cv", "4", "--output", str(out), "--plot", str(png), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "APGR" in printed and "4-fold cross-validation" in printed and "USD/1k" in printed
    report = json.loads(out.read_text())
    assert report["n"] == N
    assert report["info"]["folds"] == 4
    assert report["small_model"] == "small-llm" and report["large_model"] == "large-llm"
    # The synthetic task is learnable from words: far better than a coin, at most the oracle.
    assert 0.7 < report["apgr"] <= report["oracle"]["apgr"] + 1e-9
    assert report["random"]["apgr"] == 0.5
    assert set(report["cost_advantage"]) == {"0.001", "0.01", "0.05"}
    assert report["curve"]["cost_per_1k"][0] < report["curve"]["cost_per_1k"][-1]
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_cross_validation_embeds_each_query_once(config_file, fake_encoder, tmp_path):
    config = RouterConfig.from_yaml(config_file).model_copy(update={"cache_dir": str(tmp_path / "fresh-cache")})
    data = RoutingDataset.from_file(config.resolve(config.data_path.routing_data), "small-llm", "large-llm")
    scores = cross_validated_scores(config, data, folds=5)
    assert fake_encoder.calls == 1  # one pass for all folds
    assert scores.shape == (N,) and np.all((scores >= 0) & (scores <= 1))
    hard = data.q_small < data.q_large
    assert scores[hard].mean() < scores[~hard].mean()  # out-of-fold scores still separate the classes


def test_evaluate_group_by_category(config_file, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert cli_main(["evaluate", "--config", str(config_file), "--group-by", "category", "--output", str(out), "--quiet"]) == 0
    assert "whole 'category' groups held out" in capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["info"]["folds"] == len(CATEGORIES)  # 5 folds asked, only 4 groups
    assert report["info"]["group_by"] == "category"


def test_evaluate_unknown_group_column_is_a_clear_error(config_file, capsys):
    assert cli_main(["evaluate", "--config", str(config_file), "--group-by", "subject", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--group-by subject" in err and "category" in err and "Traceback" not in err


def test_evaluate_decontaminate_says_how_many(config_file, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert cli_main(["evaluate", "--config", str(config_file), "--cv", "3", "--decontaminate", "--output", str(out), "--quiet"]) == 0
    assert f"dropped {len(CONTAMINATED)} rows marked extra.routellm_contaminated" in capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["n"] == N - len(CONTAMINATED)
    assert report["info"]["contaminated_rows_dropped"] == len(CONTAMINATED)


def test_evaluate_held_out_split_uses_trained_model(trained, config_file, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert cli_main(["evaluate", "--config", str(config_file), "--split", "test", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "held-out" in printed and str(trained) in printed
    report = json.loads(out.read_text())
    # The data file has its own split field: the held-out rows are those marked "test".
    assert report["n"] == sum(1 for i in range(N) if i % 4 in (1, 2))
    assert report["at_threshold"]["threshold"] == 0.5


def test_evaluate_data_file_test_rows(trained, config_file, data_file, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert cli_main(["evaluate", "--config", str(config_file), "--data", str(data_file), "--output", str(out)]) == 0
    assert "rows with split == 'test'" in capsys.readouterr().out
    assert json.loads(out.read_text())["n"] == N // 2


def test_evaluate_without_trained_model_says_train_first(config_file, capsys):
    assert cli_main(["evaluate", "--config", str(config_file)]) == 2
    assert "Train it first" in capsys.readouterr().err


def _share_and_quality(model, data_file):
    router = HybridRouter.load(model)
    data = RoutingDataset.from_file(data_file, "small-llm", "large-llm", split="test")
    small = router.score(data.queries) >= router.threshold
    return router, float(1 - small.mean()), float(np.where(small, data.q_small, data.q_large).mean()), data


def test_calibrate_to_budget_stores_threshold(trained, config_file, data_file, capsys):
    code = cli_main(["calibrate", "--model", str(trained), "--data", str(data_file), "--split", "test",
                     "--target-large-share", "0.3", "--config", str(config_file)])
    printed = capsys.readouterr().out
    assert code == 0
    router, share, _, data = _share_and_quality(trained, data_file)
    assert share <= 0.3 + 1e-9
    assert f"large share: {share:.1%}" in printed
    assert "estimated cost: $" in printed and "per 1k queries" in printed
    assert router.info["calibration"]["n"] == len(data)
    assert f"-> {router.threshold:.6g}" in printed


def test_calibrate_quality_floor(trained, data_file, capsys):
    assert cli_main(["calibrate", "--model", str(trained), "--data", str(data_file), "--split", "test",
                     "--max-quality-drop", "0.01"]) == 0
    _, share, quality, data = _share_and_quality(trained, data_file)
    assert quality >= 0.99 * data.q_large.mean()
    assert share < 1.0  # the router keeps some queries on the small model


def test_calibrate_output_leaves_original_untouched(trained, data_file, tmp_path, capsys):
    before = trained.read_bytes()
    new = tmp_path / "calibrated.skops"
    assert cli_main(["calibrate", "--model", str(trained), "--data", str(data_file),
                     "--target-large-share", "0.1", "--output", str(new)]) == 0
    assert trained.read_bytes() == before
    assert HybridRouter.load(new).info["calibration"]["target_large_share"] == 0.1


def test_calibrate_rejects_two_targets(trained, data_file, capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main(["calibrate", "--model", str(trained), "--data", str(data_file),
                  "--target-large-share", "0.3", "--max-quality-drop", "0.01"])
    assert exc.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_calibrate_needs_a_model(data_file, capsys):
    assert cli_main(["calibrate", "--data", str(data_file), "--target-large-share", "0.3"]) == 2
    assert "--model" in capsys.readouterr().err


def test_calibrate_rejects_share_out_of_range(trained, data_file, capsys):
    with pytest.raises(SystemExit):
        cli_main(["calibrate", "--model", str(trained), "--data", str(data_file), "--target-large-share", "30"])
    assert "0.3 = 30%" in capsys.readouterr().err


def test_router_calibrate_python_api(tmp_path):
    from tests.fakes import make_router

    router = make_router()
    queries, q_small, q_large = synthetic_data(80, seed=5)
    data = RoutingDataset(queries, q_small, q_large, "small-llm", "large-llm", source="held-out")
    point = router.calibrate(data, target_large_share=0.25, save_to=tmp_path / "m.skops")
    assert point["large_share"] <= 0.25 + 1e-9
    assert router.threshold == point["threshold"] <= 1.0
    loaded = HybridRouter.load(tmp_path / "m.skops", encoder=router.scorer.encoder)
    assert loaded.threshold == point["threshold"]
    assert loaded.info["calibration"]["large_share"] == point["large_share"]
    with pytest.raises(ValueError, match="exactly one"):
        router.calibrate(data, target_large_share=0.3, max_quality_drop=0.01)


def test_evaluate_config_decontaminate_counts_rows(config_file, tmp_path, capsys):
    config_file.write_text(config_file.read_text() + "decontaminate: true\n")
    out = tmp_path / "r.json"
    assert cli_main(["evaluate", "--config", str(config_file), "--cv", "3", "--output", str(out), "--quiet"]) == 0
    assert f"dropped {len(CONTAMINATED)} rows marked extra.routellm_contaminated" in capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["n"] == N - len(CONTAMINATED)
    assert report["info"]["contaminated_rows_dropped"] == len(CONTAMINATED)
