"""Help center and community page times with a large community (`make bench-help`).

Starts the real server (SQLite, the shipped knowledge/, the lexical engine) on a port,
stores `--questions` community questions (a third answered, a tenth accepted), then fetches
each kind of page `--requests` times one after another over HTTP and prints p50 / p99 per
page as a Markdown table. The goal (issue #22): every page under 50 ms p99.

    python benchmarks/bench_help.py [--questions 10000] [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import create_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.community import Author  # noqa: E402
from channels.keys import COMMUNITY_STORE, RELOADER  # noqa: E402

# the words of the shipped Portuguese answers: a shop's vocabulary, some words common
WORDS = sorted(
    {
        w.strip(".,:;!?()*[]\"'").lower()
        for path in (ROOT / "knowledge" / "pt").glob("*.md")
        for w in path.read_text(encoding="utf-8").split()
        if len(w.strip(".,:;!?()*[]\"'")) > 3 and w.isalpha()
    }
)


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


async def seed(server: TestServer, questions: int) -> list[int]:
    store = server.app[COMMUNITY_STORE]
    rng = random.Random(7)
    ids = []
    now = time.time()
    for n in range(questions):
        author = Author(f"customer:{n % 500}", f"Cliente {n % 500}")
        qid = await store.add_question(
            "pt", sentence(rng, 8) + "?", sentence(rng, 30), author, now - n * 60
        )
        ids.append(qid)
        if n % 3 == 0:
            aid = await store.add_answer(qid, sentence(rng, 25), Author("customer:x", "Rui"), now)
            if n % 10 == 0:
                await store.accept(qid, aid)
    return ids


async def measure(session: aiohttp.ClientSession, base: str, paths: list[str]) -> list[float]:
    times = []
    for path in paths:
        started = time.perf_counter()
        async with session.get(base + path) as response:
            await response.read()
            assert response.status == 200, (path, response.status)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def main(questions: int, requests: int) -> None:
    os.environ.setdefault("BALCAO_ENCODER", "off")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(
            os.environ, db=Path(tmp) / "bench.sqlite3", kb=ROOT / "knowledge", encoder="off"
        )
        server = TestServer(create_app(settings), host="127.0.0.1")
        await server.start_server()
        try:
            started = time.perf_counter()
            ids = await seed(server, questions)
            seeded = time.perf_counter() - started
            kb = server.app[RELOADER].kb
            entries = [e.id for e in kb.in_language("pt") if e.action is None]
            rng = random.Random(11)
            base = str(server.make_url("")).rstrip("/")
            pages = {
                "/help/pt/": ["/help/pt/"] * requests,
                "/help/pt/<id>": [f"/help/pt/{rng.choice(entries)}" for _ in range(requests)],
                "/help/pt/search?q=": [
                    f"/help/pt/search?q={sentence(rng, 5)}" for _ in range(requests)
                ],
                "/community/pt/": [
                    f"/community/pt/?page={rng.randrange(0, 50)}" for _ in range(requests)
                ],
                "/community/pt/<id>": [f"/community/pt/{rng.choice(ids)}" for _ in range(requests)],
                "/community/pt/?q=": [
                    f"/community/pt/?q={sentence(rng, 4)}" for _ in range(requests)
                ],
                "/help/sitemap.xml": ["/help/sitemap.xml"] * requests,
            }
            print(
                f"{questions:,} community questions stored in {seeded:.1f} s;"
                f" {requests} requests per page, one at a time\n"
            )
            print("| page | p50 ms | p99 ms | max ms |")
            print("|---|---|---|---|")
            async with aiohttp.ClientSession() as session:
                await measure(session, base, [p[0] for p in pages.values()])  # warm up
                for name, paths in pages.items():
                    times = sorted(await measure(session, base, paths))
                    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
                    print(
                        f"| `{name}` | {statistics.median(times):.1f} | {p99:.1f}"
                        f" | {times[-1]:.1f} |"
                    )
        finally:
            await server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    asyncio.run(main(args.questions, args.requests))
