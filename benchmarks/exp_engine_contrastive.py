"""The engine itself on BANKING77 folds, with the USE vectors as they are and through the
contrastive layer of exp_heads.py (learned on each training fold): an experiment for #17.

    python benchmarks/exp_engine_contrastive.py 10 0 1 2   # 10 per intent, folds 0-2
    python benchmarks/exp_engine_contrastive.py 0 0        # all data, fold 0 (6 epochs)
    python benchmarks/exp_engine_contrastive.py clinc150   # train -> val, without oos rows

The vectors come from exp_heads.py's cache (encoded once); top-1 accuracy is reported.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]

import exp_heads  # noqa: E402

from bot.understanding.engine import Engine, Sample  # noqa: E402


class CachedEncoder:
    """The engine's encoder interface over cached vectors, optionally through a layer W."""

    dimensions = 512
    languages = frozenset({"en", "pt", "es"})
    runtime = "numpy"

    def __init__(
        self, vectors: np.ndarray, lookup: dict[str, int], w: np.ndarray | None = None
    ) -> None:
        self.vectors, self.lookup, self.w = vectors, lookup, w

    def forget(self) -> None:
        pass

    def encode(self, batch: Sequence[str], *args: object, **kwargs: object) -> np.ndarray:
        v = self.vectors[[self.lookup[t] for t in batch]]
        return v if self.w is None else normalize(v @ self.w).astype(np.float32)


def clinc() -> None:
    """CLINC150 trained without `oos` rows, scored on val: in-scope accuracy, OOS recall."""
    cache = Path("/tmp/balcao-vectors")
    train, train_y = exp_heads.rows(exp_heads.DATA / "clinc150" / "train.csv")
    val, val_y = exp_heads.rows(exp_heads.DATA / "clinc150" / "val.csv")
    vectors = np.vstack(
        [exp_heads.vectors("clinc_train", train, cache), exp_heads.vectors("clinc_val", val, cache)]
    ).astype(np.float32)
    lookup = {t: i for i, t in enumerate(train + val)}
    w = exp_heads.contrastive(vectors[: len(train)].astype(np.float64), train_y, 6)
    inside = val_y != "oos"
    for name, encoder in (
        ("engine, USE", CachedEncoder(vectors, lookup)),
        ("engine, contrastive(USE)", CachedEncoder(vectors, lookup, w)),
    ):
        engine = Engine.train(
            [Sample(x, label) for x, label in zip(train, train_y, strict=True)], encoder=encoder
        )
        predictions = [engine.predict(x) for x in val]
        said = np.array(["oos" if p.decision == "unknown" else p.ranked[0][0] for p in predictions])
        print(
            f"clinc150 {name}: in-scope {np.mean(said[inside] == val_y[inside]):.4f},"
            f" OOS recall {np.mean(said[~inside] == 'oos'):.2f},"
            f" trained in {engine.training_seconds:.1f} s",
            flush=True,
        )


def main() -> None:
    if sys.argv[1] == "clinc150":
        return clinc()
    shots, folds = int(sys.argv[1]), [int(f) for f in sys.argv[2:]]
    texts, y = exp_heads.rows(exp_heads.DATA / "banking77" / "train.csv")
    vectors = exp_heads.vectors("b77", texts, Path("/tmp/balcao-vectors")).astype(np.float32)
    lookup = {t: i for i, t in enumerate(texts)}
    t = np.array(texts, dtype=object)
    rng = np.random.default_rng(0)
    for k, (tr, te) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(t, y)):
        if shots:  # the same draws as exp_heads.py
            tr = np.concatenate([rng.permutation(tr[y[tr] == c])[:shots] for c in np.unique(y)])
        if k not in folds:
            continue
        w = exp_heads.contrastive(vectors[tr].astype(np.float64), y[tr], 30 if shots else 6)
        for name, encoder in (
            ("engine, USE", CachedEncoder(vectors, lookup)),
            ("engine, contrastive(USE)", CachedEncoder(vectors, lookup, w)),
        ):
            engine = Engine.train([Sample(texts[i], y[i]) for i in tr], encoder=encoder)
            top = np.mean([engine.predict(texts[i]).ranked[0][0] == y[i] for i in te])
            print(
                f"fold {k} shots={shots or 'all'} {name}: top-1 {top:.4f},"
                f" trained in {engine.training_seconds:.1f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
