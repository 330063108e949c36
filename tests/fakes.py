"""Shared test doubles: a small deterministic encoder and a router trained on it in milliseconds."""

from __future__ import annotations

import numpy as np
from hybrid_router import HybridRouter, QualityGapScorer
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

HARD_WORDS = ["prove", "theorem", "integral", "derive", "eigenvalue", "asymptotic", "lemma", "topology"]
EASY_WORDS = ["hello", "capital", "weather", "thanks", "color", "name", "time", "hi"]


class HashingEncoder:
    """Bag-of-words hashing vectors: deterministic, offline, instant. ``name`` makes it cacheable."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.name = f"test-hashing-{dim}"
        self._vectorizer = HashingVectorizer(n_features=dim, alternate_sign=False, norm="l2")
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return self._vectorizer.transform(list(texts)).toarray().astype(np.float32)


def synthetic_data(n: int = 120, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Queries with a hard word: small fails, large succeeds; easy queries: both succeed."""
    rng = np.random.default_rng(seed)
    queries, q_small, q_large = [], [], []
    for i in range(n):
        hard = i % 2 == 0
        words = HARD_WORDS if hard else EASY_WORDS
        a, b = rng.choice(len(words), size=2, replace=False)
        queries.append(f"{words[a]} {words[b]} question {i}")
        q_small.append(0.0 if hard else 1.0)
        q_large.append(1.0)
    return queries, np.array(q_small), np.array(q_large)


def make_scorer(encoder: HashingEncoder | None = None) -> QualityGapScorer:
    queries, q_small, q_large = synthetic_data()
    scorer = QualityGapScorer(encoder=encoder or HashingEncoder(), head=LogisticRegression(C=10.0), cache_dir=False)
    return scorer.fit(queries, q_small, q_large)


def make_router(threshold: float = 0.5, small_model: str = "small-llm", large_model: str = "large-llm") -> HybridRouter:
    """A trained router: queries with words like "prove"/"theorem" go large, "hello"/"weather" go small."""
    return HybridRouter(make_scorer(), small_model=small_model, large_model=large_model, threshold=threshold)
