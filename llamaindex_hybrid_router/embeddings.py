"""``LlamaIndexEncoder``: a LlamaIndex ``BaseEmbedding`` as the router's encoder.

The core takes any object with ``encode(list[str]) -> np.ndarray`` as its encoder; this adapter
gives a LlamaIndex embedding model that method, so the router can score queries in the same
vector space as the app's index, and the core stays free of LlamaIndex.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

logger = logging.getLogger(__name__)


class LlamaIndexEncoder:
    """Wraps a LlamaIndex ``BaseEmbedding`` as a ``hybrid_router`` encoder.

    Training texts and routed queries are embedded the same way, with
    ``embed_model.get_text_embedding_batch`` (batched by the model's ``embed_batch_size``), so
    the scorer sees one kind of vector at fit and at decide time.

    .. code-block:: python

        from hybrid_router import QualityGapScorer
        from llamaindex_hybrid_router import LlamaIndexEncoder

        encoder = LlamaIndexEncoder(Settings.embed_model, name="openai/text-embedding-3-small")
        scorer = QualityGapScorer(encoder=encoder).fit(queries, q_small, q_large)
        router = HybridRouter.load(path, encoder=encoder)   # a saved router needs the same encoder

    Args:
        embed_model: Any LlamaIndex embedding model.
        name: A stable name for the model. With a name, vectors are cached per text in the
            router's embedding cache and the name is saved with the router; without one,
            nothing is cached (vectors of an unnamed model could change).
    """

    def __init__(self, embed_model: BaseEmbedding, name: str | None = None) -> None:
        if not isinstance(embed_model, BaseEmbedding):
            raise TypeError(
                f"embed_model must be a llama_index BaseEmbedding, got {type(embed_model).__name__}; "
                "for a sentence-transformers model pass its name to QualityGapScorer(encoder=...) instead."
            )
        self.embed_model = embed_model
        self.name = name
        """Cache and manifest key (None: not cached)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts``, shape ``(len(texts), dim)``, float32."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self.embed_model.get_text_embedding_batch(texts)
        return np.asarray(vectors, dtype=np.float32)

    def __repr__(self) -> str:
        return f"LlamaIndexEncoder({self.embed_model.class_name()}, name={self.name!r})"
