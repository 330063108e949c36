"""Training labels of the Hybrid LLM paper: how sure are we that the small model is good enough?

All three modes return y in [0, 1] with 1 = "the small model's answer is as good as the large
one's". On 0/1 metrics (MMLU, GSM8K accuracy) the gaps are -1, 0 or 1, every t in [0, 1) gives
the same labels, so t* = 0 and ``transformed`` equals ``deterministic``, as the paper implies.
"""

from __future__ import annotations

import numpy as np

LABEL_MODES = ("deterministic", "probabilistic", "transformed")


def deterministic_labels(q_small: np.ndarray, q_large: np.ndarray) -> np.ndarray:
    """y = 1[q_small >= q_large]."""
    return (np.asarray(q_small, float) >= np.asarray(q_large, float)).astype(float)


def probabilistic_labels(q_small: np.ndarray, q_large: np.ndarray, tau: float = 0.1) -> np.ndarray:
    """y = sigmoid((q_small - q_large) / tau).

    With several sampled answers per query (2-D arrays, one column per sample), y is the
    paper's Pr[q_small >= q_large] estimated over all sample pairs instead.
    """
    q_small = np.asarray(q_small, float)
    q_large = np.asarray(q_large, float)
    if q_small.ndim == 2 or q_large.ndim == 2:
        s = np.atleast_2d(q_small.T).T if q_small.ndim == 1 else q_small
        lg = np.atleast_2d(q_large.T).T if q_large.ndim == 1 else q_large
        return (s[:, :, None] >= lg[:, None, :]).mean(axis=(1, 2))
    if tau <= 0:
        raise ValueError(f"router_tau must be > 0, got {tau}.")
    return 1.0 / (1.0 + np.exp(-(q_small - q_large) / tau))


def label_separation(y: np.ndarray) -> float:
    """(1/N^2) sum_ij |y_i - y_j|, the paper's criterion for t*; 2p(1-p) for 0/1 labels."""
    y = np.sort(np.asarray(y, float))
    n = y.size
    if n == 0:
        return 0.0
    # sum_{i<j} (y_j - y_i) for sorted y, computed in O(n): each y_k appears k times with + and n-1-k with -.
    k = np.arange(n)
    return float(2.0 * np.sum((2 * k - n + 1) * y) / n**2)


def find_t_star(q_small: np.ndarray, q_large: np.ndarray) -> float:
    """The relaxation t >= 0 maximising label separation of y = 1[q_small >= q_large - t].

    The grid is the observed gaps: labels change only at t = q_large - q_small of some query,
    so {0} plus the positive observed gaps covers every distinct labelling. Ties go to the
    smallest t (the least relaxation).
    """
    gaps = np.asarray(q_small, float) - np.asarray(q_large, float)
    candidates = np.unique(np.concatenate([[0.0], -gaps[gaps < 0]]))
    best_t, best = 0.0, -1.0
    for t in candidates:
        sep = label_separation((gaps >= -t).astype(float))
        if sep > best + 1e-12:
            best_t, best = float(t), sep
    return best_t


def transformed_labels(q_small: np.ndarray, q_large: np.ndarray, t_star: float | None = None) -> np.ndarray:
    """y = 1[q_small >= q_large - t*], t* from ``find_t_star`` unless given."""
    if t_star is None:
        t_star = find_t_star(q_small, q_large)
    return (np.asarray(q_small, float) >= np.asarray(q_large, float) - t_star).astype(float)


def make_labels(q_small: np.ndarray, q_large: np.ndarray, mode: str = "deterministic", tau: float = 0.1) -> np.ndarray:
    """Labels for ``mode`` (one of ``LABEL_MODES``)."""
    if mode == "deterministic":
        return deterministic_labels(q_small, q_large)
    if mode == "probabilistic":
        return probabilistic_labels(q_small, q_large, tau)
    if mode == "transformed":
        return transformed_labels(q_small, q_large)
    raise ValueError(f"Unknown router_mode '{mode}'; use one of {', '.join(LABEL_MODES)}.")
