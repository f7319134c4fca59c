"""Evaluation of the engine on labelled messages: predictions file and summary.

Used by `balcao nlu eval` and `balcao kb eval`. Each message is timed alone
(one `predict` call, nothing batched). `oos` is the out-of-scope category.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from bot.errors import InputError
from bot.knowledge.textfiles import csv_records, input_error
from bot.understanding.engine import Engine

logger = logging.getLogger(__name__)

OOS = "oos"
HEADER = ["text", "category"]


@dataclass(frozen=True)
class Row:
    line: int
    text: str
    category: str


@dataclass(frozen=True)
class Summary:
    count: int
    accuracy: float
    in_scope_accuracy: float | None
    oos_recall: float | None
    oos_precision: float | None
    macro_f1: float
    p50_ms: float
    p99_ms: float
    training_seconds: float

    def lines(self) -> list[str]:
        def pct(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.4f}"

        return [
            f"messages           {self.count}",
            f"accuracy           {pct(self.accuracy)}",
            f"in-scope accuracy  {pct(self.in_scope_accuracy)}",
            f"oos recall         {pct(self.oos_recall)}",
            f"oos precision      {pct(self.oos_precision)}",
            f"macro-F1           {pct(self.macro_f1)}",
            f"latency p50 / p99  {self.p50_ms:.2f} / {self.p99_ms:.2f} ms",
            f"training           {self.training_seconds:.2f} s",
        ]


def read_labelled(path: Path, header: Sequence[str] = HEADER) -> list[Row]:
    """Rows of a `text,category` CSV, each text as written (the predictions echo it).
    Raises InputError naming file and line."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    records = csv_records(path, input_error)
    first = next(records, None)
    if first is None:
        raise InputError(f"{path}: the file is empty; expected the header {','.join(header)}")
    if [h.strip().lstrip("\ufeff") for h in first[1]] != list(header):
        raise InputError(f"{path}:1: the header must be {','.join(header)}")
    rows = []
    for start, record in records:
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != 2 or not record[0].strip() or not record[1].strip():
            raise InputError(f"{path}:{start}: expected 2 non-empty fields: text,category")
        rows.append(Row(start, record[0], record[1].strip()))
    if not rows:
        raise InputError(f"{path}: no rows after the header")
    return rows


def evaluate(
    predict: Callable[[str], tuple[str, float]],
    rows: Sequence[Row],
    out: TextIO,
    training_seconds: float,
    progress: TextIO | None = None,
) -> Summary:
    """Predict each row alone, write one JSON line per row, and summarise.

    The progress bar goes to `progress`, by default the current sys.stderr."""
    predicted: list[str] = []
    timings: list[float] = []
    bar = Progress(len(rows), progress or sys.stderr)
    for row in rows:
        started = time.perf_counter()
        label, confidence = predict(row.text)
        ms = (time.perf_counter() - started) * 1000
        predicted.append(label)
        timings.append(ms)
        record = {
            "text": row.text,
            "predicted": label,
            "confidence": confidence,
            "ms": round(ms, 3),
        }
        out.write(json_line(record))
        bar.step()
    bar.close()
    return summarise([r.category for r in rows], predicted, timings, training_seconds)


# characters that some readers take for line ends (str.splitlines): escaped, so that a
# predictions file always has exactly one line per row
_LINE_ENDS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def json_line(record: dict[str, object]) -> str:
    return json.dumps(record, ensure_ascii=False).translate(_LINE_ENDS) + "\n"


def engine_predictor(engine: Engine) -> Callable[[str], tuple[str, float]]:
    def predict(text: str) -> tuple[str, float]:
        result = engine.predict(text)
        if result.decision == "unknown" or not result.ranked:
            return OOS, round(1.0 - result.confidence, 4)
        return result.ranked[0][0], result.confidence

    return predict


def summarise(
    truth: Sequence[str], predicted: Sequence[str], timings: Sequence[float], training: float
) -> Summary:
    y, p = np.array(truth), np.array(predicted)
    inside = y != OOS
    oos_true, oos_pred = ~inside, p == OOS
    recall = float(np.mean(oos_pred[oos_true])) if oos_true.any() else None
    precision = float(np.mean(oos_true[oos_pred])) if oos_pred.any() else None
    f1s = []
    for label in sorted(set(truth) | set(predicted)):
        tp = np.sum((y == label) & (p == label))
        denominator = np.sum(y == label) + np.sum(p == label)
        f1s.append(2 * tp / denominator if denominator else 0.0)
    return Summary(
        count=len(y),
        accuracy=float(np.mean(y == p)),
        in_scope_accuracy=float(np.mean(y[inside] == p[inside])) if inside.any() else None,
        oos_recall=recall,
        oos_precision=precision,
        macro_f1=float(np.mean(f1s)),
        p50_ms=float(np.percentile(timings, 50)),
        p99_ms=float(np.percentile(timings, 99)),
        training_seconds=training,
    )


class Progress:
    """A one-line progress bar on stderr, redrawn at most every 1%."""

    def __init__(self, total: int, stream: TextIO | None, label: str = "") -> None:
        self.total, self.stream, self.done, self.shown = total, stream, 0, -1
        self.label = f"{label} " if label else ""
        self.closed = False

    def step(self, count: int = 1) -> None:
        self.done += count
        percent = self.done * 100 // max(self.total, 1)
        if self.stream is not None and percent != self.shown:
            self.shown = percent
            filled = percent * 30 // 100
            bar = "#" * filled + "-" * (30 - filled)
            self.stream.write(f"\r{self.label}[{bar}] {self.done}/{self.total}")
            self.stream.flush()
        if self.done >= self.total:
            self.close()  # the line ends now: what is logged next starts a line of its own

    def close(self) -> None:
        if self.stream is not None and not self.closed:
            self.stream.write("\n")
            self.stream.flush()
        self.closed = True
