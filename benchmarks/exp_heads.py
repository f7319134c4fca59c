"""Classifier heads over cached sentence vectors: experiments for #17, not a bench target.

Each experiment is scored on the training splits of the shared data only (cross-validation
or CLINC150 train -> val); nothing held back is read. The engine itself is a linear SVM over
TF-IDF words and character n-grams beside 2 x the USE sentence vectors; its proxy here is
the same with scikit-learn's TF-IDF, so a head that does not beat the proxy would not beat
the engine either.

    python benchmarks/exp_heads.py banking77 --shots 10 --folds 0 1 2
    python benchmarks/exp_heads.py banking77 --folds 0
    python benchmarks/exp_heads.py clinc150

Sentence vectors are encoded once and cached under --cache (default /tmp/balcao-vectors).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
Array = NDArray[np.float64]


def rows(path: Path) -> tuple[list[str], NDArray[np.str_]]:
    with path.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    return [r["text"] for r in table], np.array([r["category"] for r in table])


def vectors(name: str, texts: list[str], cache: Path) -> Array:
    path = cache / f"{name}.npy"
    if path.exists():
        return np.load(path).astype(np.float64)
    from bot.understanding.encoder import load_default

    encoder = load_default()
    if encoder is None:
        sys.exit("no sentence encoder loads here")
    cache.mkdir(parents=True, exist_ok=True)
    v = np.asarray(encoder.encode(texts), dtype=np.float32)
    np.save(path, v)
    return v.astype(np.float64)


def contrastive(x: Array, y: NDArray[np.str_], epochs: int = 30, seed: int = 0) -> Array:
    """SetFit's objective on a linear layer W (d x d, from the identity): for pairs of
    training texts, (cos(xW, x'W) - same label)^2, half the pairs of one label; plain
    gradient descent with Adam. Returns W. The engine's own layer (in float32 since it
    moved there: the figures in docs/benchmarks.md were taken in float64)."""
    from bot.understanding.contrastive import learn

    w = learn(x.astype(np.float32), y, seed, epochs)
    return np.eye(x.shape[1]) if w is None else w.astype(np.float64)


Head = Callable[[sparse.csr_matrix, NDArray[np.str_], sparse.csr_matrix], NDArray[np.str_]]


def svm(c: float) -> Head:
    def run(a: sparse.csr_matrix, y: NDArray[np.str_], b: sparse.csr_matrix) -> NDArray[np.str_]:
        return np.asarray(LinearSVC(C=c, random_state=0).fit(a, y).predict(b))

    return run


def logreg(c: float) -> Head:
    def run(a: sparse.csr_matrix, y: NDArray[np.str_], b: sparse.csr_matrix) -> NDArray[np.str_]:
        model = LogisticRegression(C=c, max_iter=300)
        return np.asarray(model.fit(a, y).predict(b))

    return run


def inner_c(
    make: Callable[[float], Head], a: sparse.csr_matrix, y: NDArray[np.str_], grid: list[float]
) -> float:
    """C chosen by 3-fold CV inside the training fold."""
    best, chosen = -1.0, grid[0]
    inner = StratifiedKFold(3, shuffle=True, random_state=1)
    for c in grid:
        score = np.mean(
            [np.mean(make(c)(a[tr], y[tr], a[te]) == y[te]) for tr, te in inner.split(a, y)]
        )
        if score > best:
            best, chosen = score, c
    return chosen


def experiments(
    texts: NDArray[np.object_],
    y: NDArray[np.str_],
    v: Array,
    tr: NDArray[np.int64],
    te: NDArray[np.int64],
    quick: bool = False,
    epochs: int = 30,
) -> dict[str, float]:
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts[tr])
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit(texts[tr])

    def lexical(t: NDArray[np.object_]) -> sparse.csr_matrix:
        return normalize(sparse.hstack([word.transform(t), char.transform(t)]).tocsr())

    la, lb = lexical(texts[tr]), lexical(texts[te])

    def beside(e: Array, weight: float = 2.0) -> sparse.csr_matrix:
        return sparse.csr_matrix(weight * e)

    ya, yb = y[tr], y[te]
    both_a = sparse.hstack([la, beside(v[tr])]).tocsr()
    both_b = sparse.hstack([lb, beside(v[te])]).tocsr()
    va, vb = sparse.csr_matrix(v[tr]), sparse.csr_matrix(v[te])
    out: dict[str, float] = {}

    def score(name: str, head: Head, a: sparse.csr_matrix, b: sparse.csr_matrix) -> None:
        started = time.perf_counter()
        out[name] = float(np.mean(head(a, ya, b) == yb))
        print(f"  {name}: {out[name]:.4f} ({time.perf_counter() - started:.0f} s)", flush=True)

    score("svm C=1, tfidf + 2 x use (engine proxy)", svm(1.0), both_a, both_b)
    for c in () if quick else (0.3, 3.0):
        score(f"svm C={c}, tfidf + 2 x use", svm(c), both_a, both_b)
    if not quick:
        chosen = inner_c(svm, both_a, ya, [0.3, 1.0, 3.0])
        score(
            f"svm C by inner 3-fold CV (chose {chosen}), tfidf + 2 x use",
            svm(chosen),
            both_a,
            both_b,
        )
        score("svm C=1, use alone", svm(1.0), va, vb)
    for c in (100.0,) if quick else (10.0, 100.0):
        if not quick:
            score(f"logreg C={c}, use alone", logreg(c), va, vb)
        score(f"logreg C={c}, tfidf + 2 x use", logreg(c), both_a, both_b)
    started = time.perf_counter()
    w = contrastive(v[tr], ya, epochs)
    print(f"  (contrastive layer trained in {time.perf_counter() - started:.0f} s)", flush=True)
    pa, pb = normalize(v[tr] @ w), normalize(v[te] @ w)
    score(
        "svm C=1, tfidf + 2 x contrastive(use)",
        svm(1.0),
        sparse.hstack([la, beside(pa)]).tocsr(),
        sparse.hstack([lb, beside(pb)]).tocsr(),
    )
    score("svm C=1, contrastive(use) alone", svm(1.0), sparse.csr_matrix(pa), sparse.csr_matrix(pb))
    classes = np.unique(ya)
    for name, ea, eb in (("use", v[tr], v[te]), ("contrastive(use)", pa, pb)):
        centroids = normalize(np.stack([ea[ya == c].mean(0) for c in classes]))
        out[f"nearest centroid, {name}"] = float(
            np.mean(classes[np.argmax(eb @ centroids.T, 1)] == yb)
        )
        print(f"  nearest centroid, {name}: {out[f'nearest centroid, {name}']:.4f}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", choices=["banking77", "clinc150"])
    parser.add_argument("--shots", type=int, default=0, help="examples per intent (0: all)")
    parser.add_argument("--folds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    parser.add_argument("--quick", action="store_true", help="the proxy, logreg C=100, contrastive")
    parser.add_argument("--epochs", type=int, default=30, help="of the contrastive layer")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/balcao-vectors"))
    args = parser.parse_args()
    results: dict[str, list[float]] = {}
    if args.data == "banking77":
        texts, y = rows(DATA / "banking77" / "train.csv")
        v = vectors("b77", texts, args.cache)
        t = np.array(texts, dtype=object)
        rng = np.random.default_rng(0)
        splits = StratifiedKFold(5, shuffle=True, random_state=0).split(t, y)
        for k, (tr, te) in enumerate(splits):
            if args.shots:  # drawn for every fold, so fold k is the same whichever are run
                tr = np.concatenate(
                    [rng.permutation(tr[y[tr] == c])[: args.shots] for c in np.unique(y)]
                )
            if k not in args.folds:
                continue
            print(f"fold {k}", flush=True)
            for name, value in experiments(t, y, v, tr, te, args.quick, args.epochs).items():
                results.setdefault(name, []).append(value)
    else:
        train_texts, train_y = rows(DATA / "clinc150" / "train.csv")
        val_texts, val_y = rows(DATA / "clinc150" / "val.csv")
        keep = val_y != "oos"
        texts = train_texts + [x for x, k in zip(val_texts, keep, strict=True) if k]
        y = np.concatenate([train_y, val_y[keep]])
        v = np.vstack(
            [
                vectors("clinc_train", train_texts, args.cache),
                vectors("clinc_val", val_texts, args.cache)[keep],
            ]
        )
        tr, te = np.arange(len(train_y)), np.arange(len(train_y), len(y))
        print("train -> val, in-scope accuracy", flush=True)
        for name, value in experiments(
            np.array(texts, dtype=object), y, v, tr, te, args.quick, args.epochs
        ).items():
            results.setdefault(name, []).append(value)
    print(f"\n{args.data} shots={args.shots or 'all'} folds={args.folds} epochs={args.epochs}")
    for name, values in results.items():
        print(f"| {name} | {np.mean(values):.4f} |")


if __name__ == "__main__":
    main()
