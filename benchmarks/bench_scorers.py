"""Which scorer head routes best? Cross-validated APGR, CPT and cost advantage per shared file.

    .venv/bin/python benchmarks/bench_scorers.py                       # every file, every head
    .venv/bin/python benchmarks/bench_scorers.py --files routellm_gsm8k --heads lr,tfidf-lr
    .venv/bin/python benchmarks/bench_scorers.py --write BENCHMARKS.md # replace the table there

Each file is loaded as its config in ``configs/`` describes it (the model pair), always
decontaminated (rows marked ``extra.routellm_contaminated`` dropped, as RouteLLM does), and
embedded ONCE through the core's SQLite embedding cache; every head then runs on the cached
features. Out-of-fold scores come from scikit-learn's ``cross_val_predict``:

- ``5-fold``: ``GroupKFold(5, shuffle=True)`` with identical query strings as one group (MMLU has
  105 duplicate prompts, DC-Router 119 queries in both of its splits), so no test query is
  seen in training;
- ``by subject`` (MMLU): ``GroupKFold(5)`` over the ``category`` field, whole subjects held out.

Each head is wrapped, in ``OnFeatures``, in the library's own ``QualityGapScorer`` (labels from
``router_mode``, soft labels as sample weights, score clipping), so the study measures what
users get. Metrics come from ``hybrid_router.evaluation``. Out-of-fold scores are cached in
``<cache>/bench_scorers/`` by file, split and head, so adding a head reruns only that head.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import socket
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

ROOT = Path(__file__).resolve().parents[1]
FILES = {  # file stem -> the config that names its model pair
    "routellm_mmlu": "configs/mmlu.yaml",
    "routellm_gsm8k": "configs/gsm8k.yaml",
    "routellm_mt_bench": "configs/mt_bench.yaml",
    "llmrouter_dcrouter": "configs/llmrouter_dcrouter.yaml",
}
START, END = "<!-- bench_scorers:start -->", "<!-- bench_scorers:end -->"
logger = logging.getLogger("bench_scorers")


# -- the heads under study -----------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One scorer recipe: what the head sees, how labels are made, and the head itself."""

    name: str
    features: str
    router_mode: str
    make_head: Callable[[int], BaseEstimator]
    note: str


def _inner_cv(seed: int) -> Any:
    from sklearn.model_selection import KFold

    return KFold(5, shuffle=True, random_state=seed)


def _lr_cv(seed: int) -> BaseEstimator:
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import KFold

    return LogisticRegressionCV(Cs=[0.1, 1.0, 10.0], cv=KFold(3, shuffle=True, random_state=seed),
                                scoring="neg_log_loss", max_iter=3000)


def _tfidf() -> BaseEstimator:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
    ])


def _mlp_es(seed: int) -> BaseEstimator:
    from sklearn.neural_network import MLPRegressor

    return MLPRegressor(hidden_layer_sizes=(128, 64), alpha=1e-2, early_stopping=True, validation_fraction=0.1,
                        n_iter_no_change=10, max_iter=300, random_state=seed)


def _lr(seed: int, C: float = 1.0) -> BaseEstimator:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=3000)


def _tfidf_lr(seed: int, C: float = 3.0) -> BaseEstimator:
    from sklearn.pipeline import Pipeline

    return Pipeline([("tfidf", _tfidf()), ("lr", _lr(seed, C))])


def _emb_tfidf_lr(seed: int, C: float = 1.0) -> BaseEstimator:
    from hybrid_router.scorer import EMBEDDING_COLUMNS, TEXT_COLUMN
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    columns = ColumnTransformer([("text", _tfidf(), TEXT_COLUMN), ("embedding", "passthrough", EMBEDDING_COLUMNS)])
    return Pipeline([("features", columns), ("lr", _lr(seed, C))])


def _emb_tfidf_vocab_lr(seed: int) -> BaseEstimator:
    """The default head's layout with a vocabulary TF-IDF (word 1-2 grams, min_df 2) instead of hashing."""
    from hybrid_router.scorer import EMBEDDING_COLUMNS, TEXT_COLUMN
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import Normalizer

    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    columns = ColumnTransformer([("text", tfidf, TEXT_COLUMN), ("embedding", Normalizer(), EMBEDDING_COLUMNS)])
    return Pipeline([("features", columns), ("lr", LogisticRegression(C=1.0, max_iter=2000))])


def _knn(seed: int) -> BaseEstimator:
    from sklearn.neighbors import KNeighborsRegressor

    return KNeighborsRegressor(100, metric="cosine", weights="distance")


def _calibrated(make: Callable[[int], BaseEstimator]) -> Callable[[int], BaseEstimator]:
    def build(seed: int) -> BaseEstimator:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.model_selection import KFold

        return CalibratedClassifierCV(make(seed), method="isotonic", cv=KFold(3, shuffle=True, random_state=seed))

    return build


def _default(features: str) -> Callable[[int], BaseEstimator]:
    def build(seed: int) -> BaseEstimator:
        from hybrid_router.scorer import default_head

        return default_head(features, random_state=seed)

    return build


def candidates() -> dict[str, Candidate]:
    from hybrid_router.scorer import seed_mlp_head

    rows = [
        Candidate("seed-mlp", "embedding", "deterministic", lambda s: seed_mlp_head(random_state=s),
                  "the seed's MLPRegressor(128, 64), max_iter 300, deterministic labels (LLMRouter)"),
        Candidate("mlp-es", "embedding", "deterministic", _mlp_es, "same MLP, alpha 1e-2 + early stopping"),
        Candidate("mlp-es-soft", "embedding", "probabilistic", _mlp_es, "same, probabilistic labels (tau 0.1)"),
        Candidate("lr", "embedding", "deterministic", _lr_cv, "LogisticRegressionCV (C in 0.1, 1, 10; 3-fold log loss)"),
        Candidate("lr-soft", "embedding", "probabilistic", lambda s: _lr(s, 1.0),
                  "LogisticRegression(C=1), probabilistic labels as sample weights"),
        Candidate("tfidf-lr-soft", "text", "probabilistic", _tfidf_lr,
                  "TF-IDF word 1-2 + char_wb 2-5 grams, LR(C=3), probabilistic labels"),
        Candidate("emb+tfidf-lr", "text+embedding", "deterministic", _emb_tfidf_lr,
                  "ColumnTransformer(TF-IDF word + char as above on text, embedding passthrough) + LR(C=1)"),
        Candidate("emb+tfidf-lr-soft", "text+embedding", "probabilistic", _emb_tfidf_lr, "same, probabilistic labels"),
        Candidate("emb+tfidf-vocab-soft", "text+embedding", "probabilistic", _emb_tfidf_vocab_lr,
                  "the default head with a vocabulary TF-IDF (word 1-2 grams, min_df 2) instead of hashing"),
        Candidate("knn-soft", "embedding", "probabilistic", _knn,
                  "KNeighborsRegressor(100, cosine, distance-weighted): the local (subject-level) gain rate"),
        Candidate("default-det", "text+embedding", "deterministic", _default("text+embedding"),
                  "QualityGapScorer(head=None), deterministic labels (what configs/*.yaml train)"),
        Candidate("default", "text+embedding", "probabilistic", _default("text+embedding"),
                  "QualityGapScorer(head=None): hashed TF-IDF of word 1-2 grams + normalised embedding, "
                  "LR(C=1); probabilistic labels"),
        Candidate("default-text", "text", "probabilistic", _default("text"),
                  "QualityGapScorer(features='text'): the default head without the embedding (no transformer at all)"),
        Candidate("default-cal", "text+embedding", "deterministic", _calibrated(_default("text+embedding")),
                  "CalibratedClassifierCV(isotonic, 3-fold) around the default head, deterministic labels"),
    ]
    return {c.name: c for c in rows}


class OnFeatures(RegressorMixin, BaseEstimator):
    """``QualityGapScorer`` on precomputed features, in scikit-learn's ``fit(X, y)`` shape.

    ``y`` is ``column_stack([q_small, q_large])``: the labels are made inside ``fit`` by the
    scorer's own label code, so every fold gets exactly what ``QualityGapScorer.fit`` would do.
    """

    def __init__(self, head: BaseEstimator | None = None, features: str = "embedding",
                 router_mode: str = "deterministic", router_tau: float = 0.1, random_state: int = 0) -> None:
        self.head = head
        self.features = features
        self.router_mode = router_mode
        self.router_tau = router_tau
        self.random_state = random_state

    def fit(self, X: Any, y: np.ndarray) -> OnFeatures:
        from hybrid_router.labels import make_labels
        from hybrid_router.scorer import QualityGapScorer

        labels = make_labels(y[:, 0], y[:, 1], self.router_mode, self.router_tau)
        self.scorer_ = QualityGapScorer(head=self.head, features=self.features, router_mode=self.router_mode,
                                        router_tau=self.router_tau, random_state=self.random_state)
        self.scorer_.fit_features(X, labels)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self.scorer_.score_features(X)


# -- data, features, splits ----------------------------------------------------------------------


@dataclass
class Study:
    """One file, decontaminated, with its features computed once."""

    name: str
    data: Any
    features: dict[str, Any]
    y: np.ndarray
    fingerprint: str
    embed_seconds: float


def load_study(name: str, data_dir: Path) -> Study:
    from hybrid_router.config import RouterConfig
    from hybrid_router.data import RoutingDataset
    from hybrid_router.encoders import embed
    from hybrid_router.scorer import _frame
    from hybrid_router.training import model_specs_for

    config = RouterConfig.from_yaml(ROOT / FILES[name])
    data = RoutingDataset.from_file(
        data_dir / f"{name}.jsonl",
        small_model=config.small_model.name if config.small_model else None,
        large_model=config.large_model.name if config.large_model else None,
        model_specs=model_specs_for(config) or None,
        decontaminate=True,
    )
    t0 = time.perf_counter()
    emb = embed(data.queries, config.encoder, config.resolve(config.cache_dir) if config.cache_dir else None)
    seconds = time.perf_counter() - t0
    features = {"embedding": emb, "text": _frame(data.queries, None), "text+embedding": _frame(data.queries, emb)}
    y = np.column_stack([data.q_small, data.q_large])
    return Study(name, data, features, y, data.fingerprint(), seconds)


def splits_for(study: Study, seed: int) -> dict[str, tuple[Any, np.ndarray]]:
    """The cross-validation schemes for this file: name -> (splitter, groups)."""
    from sklearn.model_selection import GroupKFold

    same_query = np.array([hashlib.md5(q.encode("utf-8")).hexdigest() for q in study.data.queries])
    out: dict[str, tuple[Any, np.ndarray]] = {"5-fold": (GroupKFold(5, shuffle=True, random_state=seed), same_query)}
    if study.name == "routellm_mmlu":
        subjects = np.array([str(c) for c in study.data.categories])
        out["by subject"] = (GroupKFold(5, shuffle=True, random_state=seed), subjects)
    return out


def out_of_fold(study: Study, cand: Candidate, split: str, cv: Any, groups: np.ndarray, seed: int,
                cache: Path | None, n_jobs: int) -> tuple[np.ndarray, float]:
    """Out-of-fold scores of ``cand`` (from the cache when this exact run was done before)."""
    from sklearn.model_selection import cross_val_predict

    est = OnFeatures(cand.make_head(seed), cand.features, cand.router_mode, random_state=seed)
    key = hashlib.sha256(f"{study.fingerprint}|{split}|{seed}|{cand.features}|{est!r}|{cand.make_head(seed)!r}"
                         .encode()).hexdigest()[:20]
    path = cache / f"{study.name}-{cand.name}-{key}.npz" if cache else None
    if path is not None and path.is_file():
        saved = np.load(path)
        return saved["scores"], float(saved["seconds"])
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the seed's MLP is part of its recipe
        scores = cross_val_predict(est, study.features[cand.features], study.y, cv=cv, groups=groups, n_jobs=n_jobs)
    seconds = time.perf_counter() - t0
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, scores=scores, seconds=seconds)
    return scores, seconds


def metrics(scores: np.ndarray, qs: np.ndarray, ql: np.ndarray, n_boot: int = 200, seed: int = 0) -> dict[str, float]:
    from hybrid_router.evaluation import apgr, cost_advantage, cpt

    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(n_boot):  # bootstrap over queries: how much of an APGR difference is noise
        idx = rng.integers(0, len(scores), len(scores))
        boot.append(apgr(scores[idx], qs[idx], ql[idx]))
    return {
        "apgr": apgr(scores, qs, ql),
        "apgr_se": float(np.nanstd(boot)),
        "cpt50": cpt(scores, qs, ql, 0.5),
        "cpt80": cpt(scores, qs, ql, 0.8),
        "ca1": cost_advantage(scores, qs, ql, 0.01),
    }


# -- report --------------------------------------------------------------------------------------


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| file | split | n | scorer | APGR | CPT(50%) | CPT(80%) | cost adv. @1% | CV time (s) |",
             "|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in results:
        m = r["metrics"]
        lines.append(
            f"| {r['file']} | {r['split']} | {r['n']} | {r['scorer']} | {m['apgr']:.3f} ± {m['apgr_se']:.3f} | "
            f"{m['cpt50']:.1%} | {m['cpt80']:.1%} | {m['ca1']:.1%} | {r['seconds']:.0f} |"
        )
    return "\n".join(lines)


def reference_rows(study: Study) -> str:
    from hybrid_router.evaluation import references

    ref = references(study.data.q_small, study.data.q_large)
    o = ref["oracle"]
    return (f"{study.name}: n={len(study.data)}, small-only {ref['small_only']['quality']:.3f}, large-only "
            f"{ref['large_only']['quality']:.3f}; random APGR 0.500, CPT(50%) 50.0%, CPT(80%) 80.0%, cost adv. @1% "
            f"{ref['random']['cost_advantage'][0.01]:.1%}; oracle APGR {o['apgr']:.3f}, CPT(50%) {o['cpt'][0.5]:.1%}, "
            f"CPT(80%) {o['cpt'][0.8]:.1%}, cost adv. @1% {o['cost_advantage'][0.01]:.1%}")


def write_section(path: Path, body: str) -> None:
    """Replace the text between the bench_scorers markers (or append it) in ``path``."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    block = f"{START}\n{body}\n{END}"
    if START in text and END in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.DOTALL)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--files", default=",".join(FILES), help="comma-separated file stems")
    parser.add_argument("--heads", default="all", help="comma-separated candidate names, or all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=1, help="folds in parallel (the machine may be shared)")
    parser.add_argument("--cache", default=None, help="out-of-fold score cache (default: <embedding cache>/bench_scorers)")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--json", default=None, help="also write the results as JSON here")
    parser.add_argument("--write", default=None, help="replace the bench_scorers section of this markdown file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("hybrid_router").setLevel(logging.WARNING)

    from hybrid_router.encoders import default_cache_dir

    cands = candidates()
    names = list(cands) if args.heads == "all" else args.heads.split(",")
    unknown = [n for n in names if n not in cands]
    if unknown:
        raise SystemExit(f"unknown head(s) {unknown}; choose from {', '.join(cands)}")
    cache = None if args.no_cache else Path(args.cache) if args.cache else default_cache_dir() / "bench_scorers"
    results, refs = [], []
    for name in args.files.split(","):
        study = load_study(name, Path(args.data_dir))
        refs.append(reference_rows(study))
        logger.info("%s: %d queries, embedded in %.1f s (cached vectors are reused)", name, len(study.data), study.embed_seconds)
        for split, (cv, groups) in splits_for(study, args.seed).items():
            for head in names:
                if head == "knn-soft" and len(study.data) * 0.8 < 100:
                    continue  # fewer training rows than neighbours (MT-Bench)
                scores, seconds = out_of_fold(study, cands[head], split, cv, groups, args.seed, cache, args.n_jobs)
                m = metrics(scores, study.data.q_small, study.data.q_large, seed=args.seed)
                results.append({"file": name, "split": split, "n": len(study.data), "scorer": head,
                                "metrics": m, "seconds": seconds})
                logger.info("%-20s %-10s %-18s APGR %.3f ± %.3f  CPT50 %.1f%%  CPT80 %.1f%%  CA1 %.1f%%  (%.0f s)",
                            name, split, head, m["apgr"], m["apgr_se"], 100 * m["cpt50"], 100 * m["cpt80"],
                            100 * m["ca1"], seconds)
    md = table(results)
    print(md)
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "references": refs}, indent=2), encoding="utf-8")
    if args.write:
        legend = "\n".join(f"- `{c.name}`: {c.note} ({c.features} features, {c.router_mode} labels)"
                           for c in cands.values() if c.name in names)
        body = (f"Command: `.venv/bin/python benchmarks/bench_scorers.py --write BENCHMARKS.md` "
                f"({date.today().isoformat()}, {socket.gethostname()}, seed {args.seed}). APGR ± bootstrap "
                f"standard error over queries; CV time = all folds, one core, shared machine.\n\n"
                f"References:\n\n" + "\n".join(f"- {r}" for r in refs) + "\n\nScorers:\n\n" + legend + "\n\n" + md)
        write_section(Path(args.write), body)


if __name__ == "__main__":
    main()
