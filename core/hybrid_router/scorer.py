"""The scorer: query text -> P(the small model's answer is good enough).

``QualityGapScorer`` is a scikit-learn estimator (parameters only in ``__init__``, ``fit``
returns self, fitted state ends in ``_``). It embeds queries with the encoder, makes the Hybrid
LLM labels from the two models' scores, and fits a swappable head: any scikit-learn regressor
(its prediction is clipped to [0, 1]) or classifier with ``predict_proba``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from sklearn import config_context
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.utils.validation import check_is_fitted

from .encoders import DEFAULT_ENCODER, Encoder, embed, encoder_name, get_encoder
from .labels import LABEL_MODES, find_t_star, make_labels

logger = logging.getLogger(__name__)

Features = Literal["embedding", "text+embedding", "text"]
FEATURES: tuple[str, ...] = ("embedding", "text+embedding", "text")
TEXT_COLUMN = 0
"""Column of the query text in "text+embedding" features."""
EMBEDDING_COLUMNS = slice(1, None)
"""Columns of the embedding in "text+embedding" features."""


def seed_mlp_head(random_state: int | None = 0, **hparam: Any) -> BaseEstimator:
    """The seed's (LLMRouter's) head: MLPRegressor(128, 64), relu, adam, max_iter 300."""
    from sklearn.neural_network import MLPRegressor

    params: dict[str, Any] = {"hidden_layer_sizes": (128, 64), "activation": "relu", "solver": "adam", "max_iter": 300}
    params.update(hparam)
    params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    params.setdefault("random_state", random_state)
    return MLPRegressor(**params)


def default_head(features: str = "text+embedding", random_state: int | None = 0) -> BaseEstimator:
    """The library's default head for ``features``: a regularised logistic regression.

    - "embedding": ``LogisticRegression(C=1)`` on the embedding;
    - "text": hashed word unigrams and bigrams (2**18 buckets) with sublinear TF-IDF weights,
      then the same LR;
    - "text+embedding" (the scorer's default): those TF-IDF features and the L2-normalised
      embedding side by side (``ColumnTransformer``), then the same LR.

    Why (BENCHMARKS.md, "Scorer comparison"): in cross-validation on every shared file it beats
    the seed's MLPRegressor(128, 64) on APGR and trains in seconds. Hashing instead of a
    vocabulary keeps the saved model small and quick to load (4.5 MB instead of 86 MB on MMLU,
    same APGR within noise); character n-grams add a little on MMLU with subjects held out but
    triple training time, so they are left out. Only scikit-learn types: the model loads from
    the safe skops format without extra trust. ``random_state`` is accepted for symmetry with
    ``seed_mlp_head`` (lbfgs is deterministic).
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import Normalizer

    if features not in FEATURES:
        raise ValueError(f"features must be one of {', '.join(FEATURES)}, got '{features}'.")
    lr = LogisticRegression(C=1.0, max_iter=2000)
    if features == "embedding":
        return lr
    hashed = HashingVectorizer(ngram_range=(1, 2), n_features=2**18, alternate_sign=False, norm=None)
    tfidf = Pipeline([("hash", hashed), ("tfidf", TfidfTransformer(sublinear_tf=True))])
    if features == "text":
        return Pipeline([("text", tfidf), ("lr", lr)])
    columns = ColumnTransformer([("text", tfidf, TEXT_COLUMN), ("embedding", Normalizer(), EMBEDDING_COLUMNS)])
    return Pipeline([("features", columns), ("lr", lr)])


class QualityGapScorer(BaseEstimator):
    """Predicts, from the query alone, the probability that the small model is good enough.

    Parameters
    ----------
    encoder : str or object with ``encode(list[str]) -> ndarray``, default "all-MiniLM-L6-v2"
        Embeds queries. Ignored when ``features="text"``.
    head : scikit-learn estimator, optional
        Regressor (prediction clipped to [0, 1]) or classifier with ``predict_proba``.
        Defaults to ``default_head(features)``. With ``features="text"`` the head receives a
        1-D object array of query texts; with "text+embedding" a 2-D object array, the text in
        column ``TEXT_COLUMN`` and the embedding in ``EMBEDDING_COLUMNS``, so a
        ``ColumnTransformer`` can route each to its transformer.
    features : {"text+embedding", "embedding", "text"} or None
        What the head sees: the query's text and embedding, the embedding only (the seed's
        choice, a numeric matrix), or the text only (no transformer at all: training and
        scoring skip the encoder). None (default) means "text+embedding" with the default
        head and "embedding" with a head you give, so any numeric head keeps working.
    router_mode : {"deterministic", "probabilistic", "transformed"}
        Label mode (``hybrid_router.labels``).
    router_tau : float
        Temperature of the probabilistic labels.
    cache_dir : path, False or None
        Embedding cache; None uses the default directory, False disables it.
    show_progress : bool
        Show a tqdm bar while embedding training data.
    random_state : int or None
        Seed of the default head.
    """

    def __init__(
        self,
        encoder: str | Encoder | None = DEFAULT_ENCODER,
        head: BaseEstimator | None = None,
        features: Features | None = None,
        router_mode: str = "deterministic",
        router_tau: float = 0.1,
        cache_dir: str | Path | None | bool = None,
        show_progress: bool = False,
        random_state: int | None = 0,
    ) -> None:
        self.encoder = encoder
        self.head = head
        self.features = features
        self.router_mode = router_mode
        self.router_tau = router_tau
        self.cache_dir = cache_dir
        self.show_progress = show_progress
        self.random_state = random_state

    # -- training ------------------------------------------------------------------------
    def fit(self, queries: Sequence[str], q_small: Sequence[float], q_large: Sequence[float]) -> QualityGapScorer:
        """Make labels from the two models' scores and fit the head on the queries' features."""
        self._validate_params_()
        self.__dict__.pop("features_", None)  # a refit resolves the features from the parameters again
        queries = _as_texts(queries)
        q_small = np.asarray(q_small, dtype=float)
        q_large = np.asarray(q_large, dtype=float)
        if not (len(queries) == len(q_small) == len(q_large)):
            raise ValueError(f"queries ({len(queries)}), q_small ({len(q_small)}) and q_large ({len(q_large)}) differ in length.")
        y = make_labels(q_small, q_large, self.router_mode, self.router_tau)
        if np.ptp(y) == 0:
            raise ValueError(
                f"All {len(y)} training labels are {y[0]:g} ({self.router_mode} mode): the small model is "
                f"{'always' if y[0] >= 0.5 else 'never'} good enough here, so there is nothing to learn. "
                "Use more or more varied data, or another router_mode."
            )
        self.fit_features(self.features_for(queries, training=True), y)
        self.t_star_ = find_t_star(q_small, q_large) if self.router_mode == "transformed" else 0.0
        return self

    def fit_features(self, X: Any, y: np.ndarray) -> QualityGapScorer:
        """Fit the head on precomputed features and labels (evaluation reuses one embedding pass).

        ``fit`` ends here too, then records the label mode's ``t_star_``, which needs the raw scores.
        """
        self._validate_params_()
        self.__dict__.pop("features_", None)
        self.head_ = self._fit_head(X, np.asarray(y, float))
        self.t_star_ = 0.0
        self.label_mean_ = float(np.mean(y))
        self.n_train_ = len(y)
        self.features_ = self.resolved_features()
        self.encoder_name_ = None if self.features_ == "text" else encoder_name(self.encoder)
        return self

    def resolved_features(self) -> str:
        """The features in use: as fitted, else ``features``, else the default head's or "embedding"."""
        fitted = getattr(self, "features_", None)
        if fitted is not None:
            return fitted
        if self.features is not None:
            return self.features
        return "text+embedding" if self.head is None else "embedding"

    def _validate_params_(self) -> None:
        if self.router_mode not in LABEL_MODES:
            raise ValueError(f"router_mode must be one of {', '.join(LABEL_MODES)}, got '{self.router_mode}'.")
        if self.features is not None and self.features not in FEATURES:
            raise ValueError(f"features must be one of {', '.join(FEATURES)}, got '{self.features}'.")
        if self.router_tau <= 0:
            raise ValueError(f"router_tau must be > 0, got {self.router_tau}.")

    def _fit_head(self, X: Any, y: np.ndarray) -> BaseEstimator:
        head = clone(self.head) if self.head is not None else default_head(self.resolved_features(), self.random_state)
        if not is_classifier(head) and not hasattr(head, "predict_proba"):
            return head.fit(X, y)
        if np.all((y == 0) | (y == 1)):
            return head.fit(X, y.astype(int))
        # Soft labels for a classifier: each row counts as class 1 with weight y and class 0 with 1 - y.
        y2 = np.concatenate([np.ones_like(y), np.zeros_like(y)]).astype(int)
        w2 = np.concatenate([y, 1.0 - y])
        steps = getattr(head, "steps", None)
        if steps and len(steps) > 1:
            # A pipeline: featurise each row once (TF-IDF is the slow part), then give the final
            # step every row twice. Supervised transformers see the rounded labels.
            Xt = head[:-1].fit_transform(X, (y >= 0.5).astype(int))
            steps[-1][1].fit(_stack_rows(Xt, Xt), y2, sample_weight=w2)
            return head
        return head.fit(_stack_rows(X, X), y2, **_sample_weight_kwargs(head, w2))

    # -- scoring -------------------------------------------------------------------------
    def score(self, queries: Sequence[str] | str) -> np.ndarray:
        """P(small is good enough) for each query, in [0, 1]."""
        check_is_fitted(self, "head_")
        if isinstance(queries, str):
            queries = [queries]
        return self.score_features(self.features_for(_as_texts(queries)))

    def score_features(self, X: Any) -> np.ndarray:
        """Scores for precomputed features (as returned by ``features_for``)."""
        check_is_fitted(self, "head_")
        head = self.head_
        # scikit-learn re-validates inputs and parameters in every step; on one query that costs
        # more than the head's arithmetic (~0.2 of ~1.7 ms per call), so skip it and check the output.
        with config_context(assume_finite=True, skip_parameter_validation=True):
            if hasattr(head, "predict_proba"):
                proba = head.predict_proba(X)
                classes = list(getattr(head, "classes_", [0, 1]))
                scores = proba[:, classes.index(1)] if 1 in classes else proba[:, -1]
            else:
                scores = head.predict(X)
        scores = np.asarray(scores, dtype=float).ravel()
        if not np.all(np.isfinite(scores)):
            raise ValueError(
                "The scorer's head returned NaN or infinite scores: the features contain NaN or inf. "
                "Check that the encoder returns finite vectors for these queries."
            )
        return np.clip(scores, 0.0, 1.0)

    def features_for(self, queries: list[str], training: bool = False) -> Any:
        """What the head sees for these queries: embeddings, texts, or both (see ``_frame``)."""
        features = self.resolved_features()
        if features == "text":
            return _frame(queries, None)
        if training or len(queries) > 32:
            X = embed(queries, self.encoder, self.cache_dir, show_progress=self.show_progress and training)
        else:
            # One live query: skip the cache (its lookup and write would cost more than they save).
            X = np.asarray(get_encoder(self.encoder).encode(queries), dtype=np.float32)
        expected = getattr(self, "n_embedding_dims_", None)
        if training:
            self.n_embedding_dims_ = int(X.shape[1])
        elif expected is not None and X.shape[1] != expected:
            raise ValueError(
                f"The encoder gives {X.shape[1]}-dimensional vectors but this scorer was trained on "
                f"{expected}-dimensional ones from '{getattr(self, 'encoder_name_', None)}'. Use the same encoder."
            )
        return X if features == "embedding" else _frame(queries, X)


def _as_texts(queries: Sequence[str]) -> list[str]:
    texts = list(queries)
    for i, q in enumerate(texts):
        if not isinstance(q, str):
            raise TypeError(f"query {i} is {type(q).__name__}, expected str.")
    if not texts:
        raise ValueError("No queries given.")
    return texts


def _frame(queries: list[str], X: np.ndarray | None) -> np.ndarray:
    """Text features without pandas: a 1-D object array of texts, or texts in column 0 and the
    embedding in columns 1.. of a 2-D object array (select them with ``TEXT_COLUMN`` and
    ``EMBEDDING_COLUMNS`` in a ``ColumnTransformer``)."""
    texts = np.empty(len(queries), dtype=object)
    texts[:] = queries
    if X is None:
        return texts
    frame = np.empty((len(queries), 1 + X.shape[1]), dtype=object)
    frame[:, TEXT_COLUMN] = texts
    frame[:, EMBEDDING_COLUMNS] = X.astype(np.float64)
    return frame


def _stack_rows(a: Any, b: Any) -> Any:
    import scipy.sparse as sp

    if sp.issparse(a):
        return sp.vstack([a, b], format="csr")
    return np.concatenate([a, b])


def _sample_weight_kwargs(head: BaseEstimator, weights: np.ndarray) -> dict[str, Any]:
    steps = getattr(head, "steps", None)
    if steps:
        return {f"{steps[-1][0]}__sample_weight": weights}
    return {"sample_weight": weights}
