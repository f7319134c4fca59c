"""Microseconds per message of the matcher the server runs (`make bench-match`).

    python benchmarks/bench_match.py [--messages 20000] [--repeats 7] [--encoder off]

Trains the engine on the shipped knowledge base as `balcao serve` does, then times
`EngineMatcher.match` (language, entities, engine) one message at a time over
bench-load's message mix (benchmarks/bench_load.py: en 50 %, pt 25 %, es 25 %;
FAQ texts, small talk, out of scope). Prints the best of `--repeats` passes, the
least disturbed by the rest of the machine, and the median.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_load import KIND_MIX, LANGUAGE_MIX, _pick, load_messages  # noqa: E402

from bot.knowledge.entries import load_knowledge  # noqa: E402
from bot.understanding.encoder import encoder_for  # noqa: E402
from bot.understanding.kb_adapter import build_matcher  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--encoder", default="off", choices=("off", "on"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    kb = ROOT / "knowledge"
    matcher = build_matcher(load_knowledge(kb), encoder_for(args.encoder))
    pools = load_messages(kb)
    rng = random.Random(args.seed)
    texts = []
    for _ in range(args.messages):
        language = _pick(rng, LANGUAGE_MIX)
        texts.append(rng.choice(pools[language][_pick(rng, KIND_MIX)]))
    for text in texts[:2000]:  # warm the per-word memos, as a running server has
        matcher.match(text)
    passes = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for text in texts:
            matcher.match(text)
        passes.append((time.perf_counter() - start) / len(texts) * 1e6)
    print(
        f"EngineMatcher.match, encoder {args.encoder}, {len(texts):,} messages: "
        f"best {min(passes):.1f} us, median {statistics.median(passes):.1f} us per message"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
