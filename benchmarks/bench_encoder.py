"""The sentence encoder alone, per runtime (`make bench-encoder`).

    python benchmarks/bench_encoder.py [--data ../shared/data] [--sample 400] [--bulk 2000]

On BANKING77's training texts (the shared data; nothing is copied into the repo), for each
runtime installed (numpy float32; onnxruntime int8):

- one text at a time, as a customer's message is encoded: p50 / p99 / max ms over `--sample`
  texts, and the median by length in word pieces;
- `--bulk` texts at once, as training encodes them: seconds;
- with both runtimes, how far int8's vectors are from float32's (cosine over the sample).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.understanding import int8_layers  # noqa: E402
from bot.understanding.encoder import SentenceEncoder, model_dir  # noqa: E402

LENGTHS = ((0, 16), (16, 32), (32, 64), (64, 129))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--sample", type=int, default=400)
    parser.add_argument("--bulk", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    folder = model_dir()
    if folder is None:
        print("the encoder's weights are not installed: make encoder", file=sys.stderr)
        return 2
    source = args.data / "banking77" / "train.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    rng = random.Random(args.seed)
    sample = rng.sample(texts, min(args.sample, len(texts)))
    runtimes = ["numpy", *(["onnxruntime"] if int8_layers.available() else [])]
    vectors = {}
    print(f"{source}: {len(sample)} texts one at a time, {args.bulk} at once")
    for runtime in runtimes:
        encoder = SentenceEncoder(folder, runtime)
        lengths = np.array([len(encoder.tokeniser.encode(t)) for t in sample])
        for text in sample[:20]:  # warm up
            encoder.encode([text])
        ms = []
        for text in sample:
            start = time.perf_counter()
            encoder.encode([text])
            ms.append((time.perf_counter() - start) * 1e3)
        times = np.array(ms)
        by_length = ", ".join(
            f"{lo}-{hi - 1}: {np.median(times[(lengths >= lo) & (lengths < hi)]):.2f}"
            for lo, hi in LENGTHS
            if ((lengths >= lo) & (lengths < hi)).any()
        )
        start = time.perf_counter()
        encoder.encode(texts[: args.bulk])
        bulk = time.perf_counter() - start
        p50, p99, top = np.percentile(times, [50, 99, 100])
        print(
            f"{runtime:12} one text: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {top:.2f} ms"
            f" (median by word pieces {by_length}); {args.bulk} texts: {bulk:.1f} s"
        )
        vectors[runtime] = encoder.encode(sample)
    if len(vectors) == 2:
        cosine = (vectors["numpy"] * vectors["onnxruntime"]).sum(axis=1)
        print(f"int8 against float32: cosine mean {cosine.mean():.4f}, min {cosine.min():.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
