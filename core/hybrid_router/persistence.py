"""Saving and loading routers without running code from the file.

The default format is a skops file holding the fitted head and a JSON manifest (encoder and
its dimension, label mode, threshold, model pair and costs, package version, training-data
hash). skops rebuilds only types it is told to trust; we trust scikit-learn, NumPy and SciPy
types, and anything else must be listed by the caller. ``.pkl`` files (the seed's
``save_model_path``) go through joblib and load only with ``trust_pickle=True``.

Every save is atomic: write a temporary file beside the target, fsync, rename. A crash or an
error midway leaves the previous model untouched.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .config import ModelSpec
from .encoders import encoder_name, get_encoder
from .scorer import QualityGapScorer

if TYPE_CHECKING:
    from .router import HybridRouter

logger = logging.getLogger(__name__)

FORMAT = "hybrid-llm-router"
FORMAT_VERSION = 1
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.")


class ModelFileError(ValueError):
    """A model file that cannot be loaded safely or does not fit the encoder given."""


def manifest_of(router: HybridRouter) -> dict[str, Any]:
    scorer = router.scorer
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "encoder": getattr(scorer, "encoder_name_", encoder_name(scorer.encoder)),
        "embedding_dim": getattr(scorer, "n_embedding_dims_", None),
        "features": getattr(scorer, "features_", None) or scorer.features,
        "router_mode": scorer.router_mode,
        "router_tau": scorer.router_tau,
        "t_star": getattr(scorer, "t_star_", 0.0),
        "label_mean": getattr(scorer, "label_mean_", None),
        "head": type(scorer.head_).__name__,
        "threshold": router.threshold,
        "small_model": router.small_spec.model_dump(),
        "large_model": router.large_spec.model_dump(),
        "info": router.info,
    }


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp)`` on a temporary file beside ``path``, fsync it, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return path


def save_router(router: HybridRouter, path: Path) -> Path:
    manifest = manifest_of(router)
    if path.suffix == ".pkl":
        import joblib

        payload = {"manifest": manifest, "head": router.scorer.head_}
        return atomic_write(path, lambda tmp: joblib.dump(payload, tmp))
    import skops.io as sio

    payload = {"manifest_json": json.dumps(manifest), "head": router.scorer.head_}
    return atomic_write(path, lambda tmp: sio.dump(payload, tmp))


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a saved skops model, without loading the head."""
    path = Path(path)
    import skops.io as sio

    payload = sio.load(path, trusted=_check_trusted(path, ()))
    return json.loads(payload["manifest_json"])


def _check_trusted(path: Path, trusted: Sequence[str]) -> list[str]:
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise ModelFileError(f"{path}: not a hybrid-llm-router model file ({exc}).") from exc
    allowed = set(trusted)
    refused = [t for t in untrusted if t not in allowed and not t.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise ModelFileError(
            f"{path} contains types that are not trusted by default: {', '.join(refused)}. If you wrote this "
            "file and trust it, pass them as HybridRouter.load(path, trusted=[...])."
        )
    return list(untrusted)


def load_router(path: Path, trust_pickle: bool = False, encoder: Any = None, trusted: Sequence[str] = ()) -> HybridRouter:
    from .router import HybridRouter

    if not path.is_file():
        raise FileNotFoundError(f"No model file at {path}. Train one with `hybrid-router train --config ...`.")
    if path.suffix == ".pkl":
        if not trust_pickle:
            raise ModelFileError(
                f"{path} is a pickle: loading it runs whatever code it contains. Load it only if you made it "
                "or trust its source, with HybridRouter.load(path, trust_pickle=True) or --trust-pickle; "
                "re-save it without the .pkl suffix to get the safe format."
            )
        import joblib

        payload = joblib.load(path)
        manifest, head = payload["manifest"], payload["head"]
    else:
        import skops.io as sio

        payload = sio.load(path, trusted=_check_trusted(path, trusted))
        manifest, head = json.loads(payload["manifest_json"]), payload["head"]
    if manifest.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a hybrid-llm-router model (format {manifest.get('format')!r}).")

    saved_encoder = manifest.get("encoder")
    dim = manifest.get("embedding_dim")
    if encoder is not None and manifest["features"] != "text":
        given = encoder_name(encoder)
        if given is not None and saved_encoder is not None and given != saved_encoder:
            raise ModelFileError(
                f"{path} was trained with encoder '{saved_encoder}', but encoder '{given}' was given. "
                "Scores from another encoder are meaningless; retrain, or load without encoder=."
            )
        if dim is not None and not isinstance(encoder, str):
            got = get_encoder(encoder).encode(["dimension check"]).shape[-1]
            if got != dim:
                raise ModelFileError(
                    f"{path} was trained on {dim}-dimensional embeddings from '{saved_encoder}', "
                    f"but the given encoder returns {got} dimensions."
                )
    elif manifest["features"] != "text" and saved_encoder is None:
        raise ModelFileError(
            f"{path} was trained with an unnamed custom encoder; pass the same encoder object: "
            "HybridRouter.load(path, encoder=my_encoder)."
        )
    scorer = QualityGapScorer(
        encoder=encoder if encoder is not None else saved_encoder,
        features=manifest["features"],
        router_mode=manifest["router_mode"],
        router_tau=manifest["router_tau"],
    )
    scorer.head_ = head
    scorer.t_star_ = manifest.get("t_star", 0.0)
    scorer.label_mean_ = manifest.get("label_mean")
    scorer.encoder_name_ = saved_encoder
    if dim is not None:
        scorer.n_embedding_dims_ = int(dim)
    return HybridRouter(
        scorer,
        ModelSpec(**manifest["small_model"]),
        ModelSpec(**manifest["large_model"]),
        threshold=manifest["threshold"],
        info=dict(manifest.get("info") or {}, package_version=manifest.get("package_version")),
    )
