"""The engine with the sentence encoder under named variants, on the training splits only:
an experiment runner for #17, not a bench target.

    python benchmarks/exp_engine_variants.py --variants plain,layer --sets 10shot0,10shot1,full0
    python benchmarks/exp_engine_variants.py --variants layer --sets clinc,kb

Sets: `10shotK` / `fullK` BANKING77 fold K of the bench's splits (bench_nlu.banking_splits:
5 stratified folds, seed 0; 10 per intent drawn from the training fold), `clinc` CLINC150
train (no `oos` rows) -> val, `kb` the shipped knowledge base against benchmarks/cases (the
real encoder). Nothing held back is read. BANKING77 and CLINC150 vectors come from
exp_heads.py's cache (encoded once, as the engine encodes them), so training times here
leave encoding out; each line prints training CPU seconds beside wall seconds and the load.

A variant is the `contrastive` flag plus module settings to override (VARIANTS below).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]

import exp_heads  # noqa: E402
from bench_nlu import banking_splits, clinc_split  # noqa: E402

from bot.understanding import calibration, contrastive  # noqa: E402
from bot.understanding.engine import Engine, Sample  # noqa: E402

CACHE = Path("/tmp/balcao-vectors")
OOS = "oos"

# name -> (contrastive, or None for no encoder, {(module, attribute): value})
VARIANTS: dict[str, tuple[bool | None, dict[tuple[Any, str], Any]]] = {
    "plain": (False, {}),
    "layer": (True, {}),
    "layer-pairs20k": (True, {(contrastive, "PAIRS"): 20_000}),
    "layer-pairs25k": (True, {(contrastive, "PAIRS"): 25_000}),
    "layer-gate99": (True, {(calibration, "RETENTION"): 0.99}),
    "lean": (None, {}),
}


class CachedEncoder:
    """The engine's encoder interface over cached vectors."""

    dimensions = 512
    runtime = "numpy"

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        from bot.understanding.encoder import LANGUAGES

        self.languages = LANGUAGES
        self.table = table

    def forget(self) -> None:
        pass

    def encode(
        self,
        texts: Sequence[str],
        remember: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        if progress is not None:
            progress(len(texts))
        return np.stack([self.table[t] for t in texts]).astype(np.float32)


def _table(named: Sequence[tuple[str, list[str]]]) -> dict[str, np.ndarray]:
    table: dict[str, np.ndarray] = {}
    for name, texts in named:
        table.update(
            zip(texts, exp_heads.vectors(name, texts, CACHE).astype(np.float32), strict=True)
        )
    return table


@contextmanager
def patched(settings: dict[tuple[Any, str], Any]) -> Iterator[None]:
    saved = {key: getattr(*key) for key in settings}
    for (module, name), value in settings.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)


def trained(samples: list[Sample], encoder: Any, flag: bool | None) -> tuple[Engine, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    model = Engine.train(samples, encoder=None if flag is None else encoder, contrastive=bool(flag))
    return model, time.perf_counter() - wall, time.process_time() - cpu


def scored(model: Engine, texts: Sequence[str], truth: Sequence[str], lang: str | None) -> str:
    tops, said = [], []
    for text in texts:
        result = model.predict(text, lang)
        top = result.ranked[0][0] if result.ranked else OOS
        tops.append(top)
        said.append(OOS if result.decision == "unknown" else top)
    y, t, p = np.array(truth), np.array(tops), np.array(said)
    inside = y != OOS
    line = (
        f"top-1 {np.mean(t[inside] == y[inside]):.4f}  accuracy {np.mean(p == y):.4f}"
        f"  in-scope {np.mean(p[inside] == y[inside]):.4f}"
    )
    if (~inside).any():
        line += f"  OOS recall {np.mean(p[~inside] == OOS):.4f}"
    return line


def run_set(name: str, flag: bool | None) -> list[str]:
    if name == "kb":
        return run_kb(flag)
    if name == "kbcv":
        return run_kb_cv(flag)
    if name == "clinc":
        splits = clinc_split(exp_heads.DATA)
        train_x, _ = exp_heads.rows(exp_heads.DATA / "clinc150" / "train.csv")
        val_x, _ = exp_heads.rows(exp_heads.DATA / "clinc150" / "val.csv")
        table = _table([("clinc_train", train_x), ("clinc_val", val_x)])
        train_x, train_y, test_x, test_y = splits[0]
    else:
        shots = 10 if name.startswith("10shot") else None
        fold = int(name.removeprefix("10shot").removeprefix("full"))
        texts, _ = exp_heads.rows(exp_heads.DATA / "banking77" / "train.csv")
        table = _table([("b77", texts)])
        train_x, train_y, test_x, test_y = banking_splits(exp_heads.DATA, 5, shots)[fold]
    load = os.getloadavg()[0]
    model, wall, cpu = trained(
        [Sample(x, y) for x, y in zip(train_x, train_y, strict=True)], CachedEncoder(table), flag
    )
    timing = f"trained {wall:.1f} s wall, {cpu:.1f} s CPU, load {load:.1f}"
    return [f"{name}: {scored(model, test_x, test_y, None)}  ({timing})"]


def run_kb(flag: bool | None) -> list[str]:
    from bench_nlu import ROOT, load

    from bot.knowledge.entries import load_knowledge
    from bot.understanding.encoder import load_default
    from bot.understanding.kb_adapter import samples_from_kb

    encoder = load_default()
    model, wall, cpu = trained(samples_from_kb(load_knowledge(ROOT / "knowledge")), encoder, flag)
    lines = []
    for path in sorted((ROOT / "benchmarks" / "cases").glob("[a-z][a-z].csv")):
        texts, labels = load(path)
        lines.append(f"kb {path.stem}: {scored(model, texts, labels, path.stem)}")
    cal = model.calibration
    lines.append(
        f"kb: trained {wall:.1f} s wall, {cpu:.1f} s CPU; unknown below {cal.unknown_below:.3f},"
        f" answer at {cal.answer_at:.3f}, in-scope gate {cal.in_scope_below:.3f}"
    )
    return lines


def kb_cv_folds(samples: Sequence[Sample], folds: int, salt: int) -> np.ndarray:
    """Each sample's outer fold: an entry's n-th phrasings in every language (twins) together,
    off-topic examples by text; -1 for answer texts, which always train."""
    from bot.understanding.folds import spread

    fold_of = np.full(len(samples), -1, dtype=np.int64)
    by_label: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        if s.weight >= 1.0:
            by_label.setdefault(s.label, []).append(i)
    for label, members in by_label.items():
        keys = [samples[i].twin or samples[i].text for i in members]
        fold_of[members] = spread(label, keys, folds, salt)
    return fold_of


def run_kb_cv(
    flag: bool | None, folds: int = 3, salts: Sequence[int] = (101, 202, 303, 404)
) -> list[str]:
    """Nested cross-validation on the shipped knowledge base's own examples: each outer fold's
    phrasings (with their translations) and off-topic examples are held out, the engine (its
    own calibration folds inside) trains on the rest and predicts them in their language."""
    from bench_nlu import ROOT

    from bot.knowledge.entries import load_knowledge
    from bot.understanding.encoder import load_default
    from bot.understanding.kb_adapter import samples_from_kb

    encoder = load_default()
    samples = samples_from_kb(load_knowledge(ROOT / "knowledge"))
    rows: dict[str, list[tuple[str, str, str]]] = {}  # language -> (truth, top, decided)
    cpu = time.process_time()
    for salt in salts:
        fold_of = kb_cv_folds(samples, folds, salt)
        for k in range(folds):
            train = [s for s, f in zip(samples, fold_of, strict=True) if f != k]
            model = trained(train, encoder, flag)[0]
            for s, f in zip(samples, fold_of, strict=True):
                if f != k:
                    continue
                result = model.predict(s.text, s.language)
                top = result.ranked[0][0] if result.ranked else OOS
                decided = OOS if result.decision == "unknown" else top
                rows.setdefault(s.language or "", []).append((s.label, top, decided))
    lines = []
    for language, found in sorted(rows.items()):
        y, t, p = (np.array(column) for column in zip(*found, strict=True))
        inside = y != OOS
        lines.append(
            f"kb cv {language}: top-1 {np.mean(t[inside] == y[inside]):.4f}"
            f"  answered right {np.mean(p[inside] == y[inside]):.4f}"
            f"  declined wrongly {np.mean(p[inside] == OOS):.4f}"
            f"  off-topic declined {np.mean(p[~inside] == OOS):.4f}"
            f"  ({inside.sum()} in scope, {(~inside).sum()} off-topic)"
        )
    lines.append(f"kb cv: {len(salts) * folds} trainings, {time.process_time() - cpu:.0f} s CPU")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="plain,layer")
    parser.add_argument("--sets", default="10shot0,10shot1,10shot2,full0,clinc,kb")
    args = parser.parse_args()
    for variant in args.variants.split(","):
        flag, settings = VARIANTS[variant]
        with patched(settings):
            for name in args.sets.split(","):
                for line in run_set(name, flag):
                    print(f"{variant:>16} | {line}", flush=True)


if __name__ == "__main__":
    main()
