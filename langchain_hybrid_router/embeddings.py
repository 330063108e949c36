"""Use any LangChain ``Embeddings`` as the router's encoder (the first step of text -> vector -> score).

.. code-block:: python

    from langchain_openai import OpenAIEmbeddings
    from langchain_hybrid_router import LangChainEncoder
    scorer = QualityGapScorer(encoder=LangChainEncoder(OpenAIEmbeddings(model="text-embedding-3-small")))
"""

from __future__ import annotations

import numpy as np
from langchain_core.embeddings import Embeddings


class LangChainEncoder:
    """Adapts a LangChain ``Embeddings`` to the core's encoder protocol (``encode(list[str]) -> ndarray``).

    Training and routing both go through ``embed_documents``, so a query is embedded the same
    way at both times. ``name`` keys the core's embedding cache and is saved with the model;
    give one that changes whenever the vectors would (model, dimensions), or ``name=None``
    derives it from the class and its ``model``/``model_name`` attribute.
    """

    def __init__(self, embeddings: Embeddings, name: str | None = None) -> None:
        if not callable(getattr(embeddings, "embed_documents", None)):
            raise TypeError(
                f"LangChainEncoder needs a LangChain Embeddings (with embed_documents), got {type(embeddings).__name__}."
            )
        self.embeddings = embeddings
        model = getattr(embeddings, "model", None) or getattr(embeddings, "model_name", None)
        self.name = name or f"langchain:{type(embeddings).__name__}" + (f":{model}" if model else "")

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors for ``texts``, shape (len(texts), dimension), float32."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.asarray(self.embeddings.embed_documents(texts), dtype=np.float32)

    def __repr__(self) -> str:
        return f"LangChainEncoder({self.name!r})"
