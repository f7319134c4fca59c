"""A customer's chat beside each attack of issue #15 (`make bench-abuse`).

    python benchmarks/bench_abuse.py [--seconds 30] [--rate 8] [--markdown]

Seeds the demo shop into a temporary SQLite file with 10,000 customers waiting for a
person, starts `balcao serve` (the shipped knowledge base, default limits) as a subprocess,
and measures one customer chatting over REST from 127.0.0.1 (--rate messages/s, fresh
sender per message, texts drawn from benchmarks/cases' paraphrases so no cache has seen
them) while an attacker on another loopback address (127.0.0.2) runs, one at a time:

  quiet          nothing
  login storm    100 logins at once with invented emails, again and again
  regex          5 messages/s of "1" * 2000 and other worst-case digit runs
  queue          an agent claiming and going online/offline with 10,000 waiting
  feedback       POST /api/feedback as fast as it answers, with made-up ratings

For each phase: the customer's reply latency p50/p95/p99 (ms) and the ratio of p99 to the
quiet p99. The bar (issue #15): every ratio within 2x. The customer first sends 3 s of
messages that are not counted (the first turns of a new process warm its caches).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import itertools
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
AGENT = ("ana.costa@casabalcao.example", "balcao-demo")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def customer_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "benchmarks" / "cases").glob("*.csv")):
        with path.open(encoding="utf-8") as handle:
            texts += [row["text"] for row in csv.DictReader(handle) if row.get("text")]
    random.Random(7).shuffle(texts)
    return texts


async def fill_queue(db: Path, waiting: int) -> None:
    sys.path.insert(0, str(ROOT))
    from bot.adapters.sqlite.database import SqliteDatabase
    from bot.adapters.sqlite.handoffs import SqliteHandoffStore
    from bot.app import MIGRATIONS
    from bot.core.handoff import Handoff

    database = await SqliteDatabase(db, MIGRATIONS).open()
    store, now = SqliteHandoffStore(database), time.time()
    for i in range(waiting):
        await store.create(Handoff(0, f"q{i}", f"q{i}", "rest", "asked_for_person", "en", 1, now))
    await database.close()


class Customer:
    """One customer chatting at `rate` messages a second; latencies of each reply."""

    def __init__(self, url: str, texts: list[str], rate: float) -> None:
        self.url, self.texts, self.rate = url, itertools.cycle(texts), rate
        self.serial = itertools.count()

    async def chat(self, seconds: float) -> list[float]:
        latencies: list[float] = []
        async with aiohttp.ClientSession() as session:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                body = {"sender": f"customer-{next(self.serial)}", "message": next(self.texts)}
                started = time.perf_counter()
                async with session.post(f"{self.url}/webhooks/rest/webhook", json=body) as resp:
                    await resp.read()
                    if resp.status == 200:
                        latencies.append((time.perf_counter() - started) * 1000)
                spent = time.perf_counter() - started
                await asyncio.sleep(max(0.0, 1 / self.rate - spent))
        return latencies


def attacker_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.0.2", 0)))


async def login_storm(url: str, stop: asyncio.Event) -> None:
    async with attacker_session() as session:
        n = 0
        while not stop.is_set():

            async def one(i: int) -> None:
                body = {"email": f"nobody{i}@example.com", "password": "not-the-password"}
                async with session.post(f"{url}/api/auth/login", json=body) as resp:
                    await resp.read()

            await asyncio.gather(*(one(n + i) for i in range(100)), return_exceptions=True)
            n += 100


async def regex_flood(url: str, stop: asyncio.Event) -> None:
    runs = ["1" * 2000, "1 " * 1000, "111 " * 500, "1." * 1000, "€1 " * 660]
    async with attacker_session() as session:
        for i in itertools.count():
            if stop.is_set():
                return
            body = {"sender": f"attacker-{i}", "message": runs[i % len(runs)]}
            async with session.post(f"{url}/webhooks/rest/webhook", json=body) as resp:
                await resp.read()
            await asyncio.sleep(0.2)


async def queue_work(url: str, stop: asyncio.Event) -> None:
    async with attacker_session() as session:
        login = {"email": AGENT[0], "password": AGENT[1]}
        async with session.post(f"{url}/api/auth/login", json=login) as resp:
            token = (await resp.json())["token"]
        headers = {"Authorization": f"Bearer {token}"}
        status = itertools.cycle(["online", "offline"])
        while not stop.is_set():
            body = {"status": next(status)}
            async with session.post(
                f"{url}/api/agents/me/status", json=body, headers=headers
            ) as resp:
                await resp.read()
            async with session.get(f"{url}/api/handoffs?status=waiting", headers=headers) as resp:
                waiting = await resp.json()
            if waiting and isinstance(waiting, list):
                claim = f"{url}/api/handoffs/{waiting[0]['id']}/claim"
                async with session.post(claim, headers=headers) as resp:
                    await resp.read()


async def feedback_flood(url: str, stop: asyncio.Event) -> None:
    async with attacker_session() as session:
        for i in itertools.count():
            if stop.is_set():
                return
            body = {"sender": f"victim-{i % 50}", "entry": "shipping", "helpful": False,
                    "seq": i, "token": "made-up"}  # fmt: skip
            async with session.post(f"{url}/api/feedback", json=body) as resp:
                await resp.read()


ATTACKS: dict[str, Callable[[str, asyncio.Event], Awaitable[None]] | None] = {
    "quiet": None,
    "login storm": login_storm,
    "regex worst case": regex_flood,
    "queue of 10k": queue_work,
    "feedback flood": feedback_flood,
}


async def measure(
    url: str, seconds: float, rate: float, phases: list[str]
) -> dict[str, list[float]]:
    customer = Customer(url, customer_texts(), rate)
    await customer.chat(3.0)  # warm-up, not counted
    results: dict[str, list[float]] = {}
    for name, attack in ATTACKS.items():
        if name not in phases:
            continue
        stop = asyncio.Event()
        task = asyncio.create_task(attack(url, stop)) if attack else None
        await asyncio.sleep(1.0 if attack else 0)  # let the attack build up
        results[name] = await customer.chat(seconds)
        stop.set()
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 30)
    return results


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=8.0)
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument(
        "--phases", default=",".join(ATTACKS), help="comma-separated, of: " + ", ".join(ATTACKS)
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "balcao.sqlite3"
        bin_ = [sys.executable, "-m", "bot"]
        subprocess.run([*bin_, "seed-demo", "--db", str(db)], cwd=ROOT, check=True,
                       capture_output=True)  # fmt: skip
        asyncio.run(fill_queue(db, args.waiting))
        port = free_port()
        server = subprocess.Popen(
            [*bin_, "serve", "--db", str(db), "--kb", "knowledge", "--port", str(port)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "BALCAO_AUTO_ASSIGN": "false"},
        )  # fmt: skip
        try:
            assert server.stdout is not None
            server.stdout.readline()  # "Balcão is serving on ..."
            phases = ["quiet"] + [p.strip() for p in args.phases.split(",") if p.strip()]
            results = asyncio.run(
                measure(f"http://127.0.0.1:{port}", args.seconds, args.rate, phases)
            )
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(30)
    quiet = percentile(results["quiet"], 99)
    lines = [
        "| phase | replies | p50 ms | p95 ms | p99 ms | p99 / quiet p99 |",
        "|---|---|---|---|---|---|",
    ]
    for name, values in results.items():
        p99 = percentile(values, 99)
        lines.append(
            f"| {name} | {len(values)} | {statistics.median(values):.1f}"
            f" | {percentile(values, 95):.1f} | {p99:.1f} | {p99 / quiet:.2f} |"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
