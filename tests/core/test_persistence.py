import numpy as np
import pytest
from hybrid_router import HybridRouter, persistence
from hybrid_router.persistence import ModelFileError, read_manifest

from tests.fakes import HashingEncoder, make_router, make_scorer

QUERIES = ["prove the theorem", "hello weather", "derive the integral", "what time is it"]


def test_safe_round_trip_keeps_scores_and_manifest(tmp_path):
    router = make_router(threshold=0.4)
    path = router.save(tmp_path / "router.skops")
    manifest = read_manifest(path)
    assert manifest["encoder"] == "test-hashing-64" and manifest["embedding_dim"] == 64
    assert manifest["threshold"] == 0.4 and manifest["small_model"]["name"] == "small-llm"
    assert manifest["router_mode"] == "deterministic" and manifest["package_version"]
    loaded = HybridRouter.load(path, encoder=HashingEncoder())
    assert np.allclose(loaded.score(QUERIES), router.score(QUERIES)) and loaded.threshold == 0.4


def test_pickle_needs_explicit_trust(tmp_path):
    path = make_router().save(tmp_path / "router.pkl")
    with pytest.raises(ModelFileError, match="trust_pickle=True"):
        HybridRouter.load(path)
    assert HybridRouter.load(path, trust_pickle=True, encoder=HashingEncoder()).decide("hello").route == "small"


def test_failed_save_leaves_previous_model_intact(tmp_path, monkeypatch):
    path = tmp_path / "router.skops"
    make_router(threshold=0.3).save(path)
    before = path.read_bytes()

    import skops.io as sio

    def broken_dump(obj, file):
        with open(file, "wb") as fh:
            fh.write(b"PK\x03\x04 half a zip")  # a write that dies midway
        raise OSError("disk full")

    monkeypatch.setattr(sio, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        make_router(threshold=0.9).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["router.skops"]  # no temp file left behind
    monkeypatch.undo()
    assert HybridRouter.load(path, encoder=HashingEncoder()).threshold == 0.3


def test_other_encoder_or_dimension_is_refused(tmp_path):
    path = make_router().save(tmp_path / "router.skops")
    with pytest.raises(ModelFileError, match="trained with encoder 'test-hashing-64'"):
        HybridRouter.load(path, encoder=HashingEncoder(32))

    class Unnamed:
        def encode(self, texts):
            return np.zeros((len(texts), 16), dtype=np.float32)

    with pytest.raises(ModelFileError, match="64-dimensional.*16 dimensions"):
        HybridRouter.load(path, encoder=Unnamed())


def test_untrusted_types_are_refused(tmp_path, monkeypatch):
    path = make_router().save(tmp_path / "router.skops")
    monkeypatch.setattr(persistence, "TRUSTED_PREFIXES", ("numpy.",))
    import skops.io as sio

    monkeypatch.setattr(sio, "get_untrusted_types", lambda file: ["sklearn.linear_model._logistic.LogisticRegression"])
    with pytest.raises(ModelFileError, match="not trusted by default.*LogisticRegression"):
        HybridRouter.load(path, encoder=HashingEncoder())


def test_not_a_model_file(tmp_path):
    bad = tmp_path / "x.skops"
    bad.write_bytes(b"hello")
    with pytest.raises(ModelFileError, match="not a hybrid-llm-router model file"):
        HybridRouter.load(bad)


@pytest.mark.parametrize("config_threshold, expected", [(None, 0.37), (0.6, 0.6)])
def test_from_config_keeps_saved_threshold_unless_config_sets_one(tmp_path, monkeypatch, config_threshold, expected):
    from hybrid_router import RouterConfig, encoders

    encoder = HashingEncoder()
    monkeypatch.setitem(encoders._ENCODERS, encoder.name, encoder)
    make_router(threshold=0.37).save(tmp_path / "router.skops")  # e.g. a calibrated threshold
    lines = ["model_path:", "  load_model_path: router.skops"]
    if config_threshold is not None:
        lines.insert(0, f"router_threshold: {config_threshold}")
    (tmp_path / "c.yaml").write_text("\n".join(lines) + "\n")
    router = HybridRouter.from_config(RouterConfig.from_yaml(tmp_path / "c.yaml"), train=False)
    assert router.threshold == expected


def test_register_encoder_lets_a_router_saved_with_a_custom_encoder_load_by_name(tmp_path):
    from hybrid_router.encoders import _ENCODERS, register_encoder

    encoder = HashingEncoder(64)
    encoder.name = "my-org/custom-hashing"  # a name sentence-transformers cannot load offline
    router = HybridRouter(make_scorer(encoder))
    path = router.save(tmp_path / "router.skops")
    try:
        register_encoder("my-org/custom-hashing", encoder)
        loaded = HybridRouter.load(path)
        assert np.allclose(loaded.score(QUERIES), router.score(QUERIES))
    finally:
        _ENCODERS.pop("my-org/custom-hashing", None)
    with pytest.raises(TypeError, match="encode"):
        register_encoder("x", object())
