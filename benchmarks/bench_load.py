"""Load benchmark of the widget's WebSocket path (`make bench-load`).

    python benchmarks/bench_load.py [--sessions 1000] [--rate 200] [--duration 20]
                                    [--idle 10000] [--markdown]

Starts `balcao seed-demo` and `balcao serve` (SQLite in a temporary folder, the shipped
knowledge base) as a subprocess, waits for /health, and drives it from a separate client
process (this script with `--client`) over aiohttp client WebSockets on 127.0.0.1:

1. paced: --sessions widget sessions (hello -> welcome), together sending --rate
   messages/s (open loop, round robin over the sessions) for --duration seconds;
2. max: closed loop, each session sends its next message as soon as the previous
   one's ack arrives, for --duration seconds;
3. idle: --idle more sessions connect, say hello and stay quiet; the server's RSS
   (/proc/PID/status VmRSS) is read before and after: memory per connection.

Then the same phases against benchmarks/echo_server.py (bare aiohttp WebSocket: one
ack frame per message) and the ratios Balcão / echo.

Messages are drawn per session in the session's language (en 50 %, pt 25 %, es 25 %)
from the shipped knowledge base: 75 % questions and examples of FAQ entries, 15 %
greetings/thanks/goodbyes, 10 % out-of-scope questions, never two out-of-scope in a
row (two misses in a row hand the conversation to a person, which stops bot replies).
Entries that run an action or hand over are left out; a session that is handed over
anyway is counted in `handoffs` (its messages are still acknowledged). With
--messages paraphrases, the FAQ messages are benchmarks/cases' paraphrases of those
entries instead: never trained on, so with --encoder on each English one is encoded.

Definitions:
  msg/s       acks received during the phase's window / window seconds
  latency     reply latency: from sending a message frame to receiving the first of
              its ack or its first bot `message` frame (p50/p95/p99, ms)
  bot p99     from sending to the first bot `message` frame of that turn
  errors      error frames + messages not acknowledged within --timeout seconds after
              the window + connections that failed or closed unexpectedly
  CPU         server (or client) CPU seconds / wall seconds during the window
              (100 % = one core; this machine has two, shared by server and client)
  KiB/conn    (RSS with the idle sessions open - RSS before) / idle sessions

Every client is 127.0.0.1, so the server runs with the per-conversation and per-address
limits lifted (--messages-per-minute, --ip-messages-per-minute, --max-connections-per-ip);
the limiter still counts every message.

--processes N --database postgresql://... --redis redis://... starts N `balcao serve`
processes on PostgreSQL and Redis and splits the sessions between them round robin (N
echo servers for the baseline); RSS and CPU are the sum over the processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import itertools
import json
import os
import platform
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
CASES = ROOT / "benchmarks" / "cases"
SECTION = "## Load (make bench-load)"
BEGIN, END = "<!-- bench-load:begin -->", "<!-- bench-load:end -->"
RESULT = "BENCH-LOAD-RESULT "

LANGUAGE_MIX = (("en", 0.5), ("pt", 0.25), ("es", 0.25))
KIND_MIX = (("faq", 0.75), ("smalltalk", 0.15), ("unknown", 0.10))
SMALLTALK_TAGS = frozenset({"smalltalk", "conversa", "conversacion"})  # en, pt, es
OUT_OF_SCOPE = {
    "en": [
        "what's the weather on Mars",
        "who won the football last night",
        "can you write me a poem about the sea",
        "what is the capital of Australia",
        "recommend a good film for tonight",
        "how do I fix my car's gearbox",
        "tell me a joke about astronauts",
        "what is the square root of 1764",
    ],
    "pt": [
        "como está o tempo em marte hoje",
        "quem ganhou o jogo de futebol ontem",
        "escreve-me um poema sobre o mar",
        "qual é a capital da austrália",
        "como se arranja a caixa de velocidades do carro",
        "conta-me uma anedota sobre astronautas",
    ],
    "es": [
        "cuéntame un chiste sobre astronautas",
        "qué tiempo hace en marte",
        "quién ganó el partido de fútbol anoche",
        "escríbeme un poema sobre el mar",
        "cuál es la capital de australia",
        "cómo arreglo la caja de cambios del coche",
    ],
}


# --------------------------------------------------------------------------- messages


def load_messages(kb: Path, source: str = "knowledge") -> dict[str, dict[str, list[str]]]:
    """{language: {"faq" | "smalltalk" | "unknown": [text...]}} from the knowledge files;
    with `source` "paraphrases", the FAQ messages are benchmarks/cases/<language>.csv's
    paraphrases of the same entries instead: texts the server never trained on, so that
    with the encoder each one is really encoded (a knowledge example's vector is cached
    from training)."""
    import yaml

    pools: dict[str, dict[str, list[str]]] = {}
    for language, _ in LANGUAGE_MIX:
        faq: list[str] = []
        smalltalk: list[str] = []
        kept: set[str] = set()
        for path in sorted((kb / language).glob("*.md")):
            parts = path.read_text(encoding="utf-8").split("---", 2)
            if len(parts) < 3:
                continue
            meta = yaml.safe_load(parts[1]) or {}
            if meta.get("handoff") or meta.get("action"):
                continue
            texts = [meta.get("question"), *(meta.get("examples") or [])]
            texts = [t for t in texts if isinstance(t, str) and t.strip()]
            small = SMALLTALK_TAGS.intersection(meta.get("tags") or ())
            (smalltalk if small else faq).extend(texts)
            if not small:
                kept.add(str(meta.get("id") or path.stem))
        if source == "paraphrases":
            faq = paraphrases(language, kept)
        pools[language] = {"faq": faq, "smalltalk": smalltalk, "unknown": OUT_OF_SCOPE[language]}
        if not faq or not smalltalk:
            raise SystemExit(f"no FAQ or small-talk entries for {language!r} in {kb}")
    return pools


def paraphrases(language: str, entries: set[str]) -> list[str]:
    """The paraphrase cases of `entries` (FAQ entries that neither act nor hand over)."""
    with (CASES / f"{language}.csv").open(encoding="utf-8", newline="") as handle:
        return [r["text"] for r in csv.DictReader(handle) if r["category"] in entries]


def _pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    roll, total = rng.random(), 0.0
    for name, weight in mix:
        total += weight
        if roll < total:
            return name
    return mix[-1][0]


# --------------------------------------------------------------------------- client


@dataclass
class Phase:
    """What one phase measured; records: message id -> [sent, ack, first bot reply]."""

    records: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    closed_loop: bool = False
    running: bool = False
    window_start: float = 0.0
    window_end: float = float("inf")
    acked_in_window: int = 0
    outstanding: int = 0  # sent, neither acknowledged nor refused
    drained: asyncio.Event = field(default_factory=asyncio.Event)

    def settle(self) -> None:
        self.outstanding -= 1
        if not self.running and self.outstanding <= 0:
            self.drained.set()


class Session:
    __slots__ = (
        "idx",
        "language",
        "rng",
        "ws",
        "counter",
        "last_kind",
        "turn",
        "inflight",
        "handed_over",
        "welcome",
        "reader",
        "client",
    )

    def __init__(self, client: Client, idx: int, rng: random.Random) -> None:
        self.client = client
        self.idx = idx
        self.rng = rng
        self.language = _pick(rng, LANGUAGE_MIX)
        self.ws: Any = None
        self.counter = 0
        self.last_kind = ""
        self.turn: str | None = None
        self.inflight = 0
        self.handed_over = False
        self.welcome = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None

    def next_text(self) -> str:
        kind = _pick(self.rng, KIND_MIX)
        if kind == "unknown" and self.last_kind == "unknown":
            kind = "faq"
        self.last_kind = kind
        return self.rng.choice(self.client.pools[self.language][kind])

    async def connect(self, url: str) -> None:
        self.ws = await self.client.http.ws_connect(url, autoping=True, max_msg_size=0)
        self.reader = asyncio.create_task(self.read())
        await self.ws.send_str(json.dumps({"type": "hello", "language": self.language}))
        await asyncio.wait_for(self.welcome.wait(), self.client.timeout)

    async def send(self) -> None:
        phase = self.client.phase
        self.counter += 1
        message_id = f"s{self.idx}m{self.counter}"
        frame = json.dumps(
            {"type": "message", "id": message_id, "text": self.next_text()}, ensure_ascii=False
        )
        phase.records[message_id] = [time.perf_counter(), 0.0, 0.0]
        phase.outstanding += 1
        self.inflight += 1
        try:
            await self.ws.send_str(frame)
        except Exception as exc:  # the connection went away
            phase.errors[f"send:{type(exc).__name__}"] += 1
            phase.records.pop(message_id, None)
            phase.settle()
            self.inflight -= 1

    async def read(self) -> None:
        from aiohttp import WSMsgType

        ws = self.ws
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                now = time.perf_counter()
                frame = json.loads(msg.data)
                kind = frame.get("type")
                phase = self.client.phase
                if kind == "ack":  # the turn's bot messages follow their ack
                    self.turn = frame.get("id")
                    self.inflight = max(0, self.inflight - 1)
                    record = phase.records.get(frame.get("id"))
                    if record is not None and not record[1]:
                        record[1] = now
                        phase.settle()
                        if phase.window_start <= now <= phase.window_end:
                            phase.acked_in_window += 1
                        if phase.closed_loop and phase.running:
                            await self.send()
                elif kind == "message":
                    if frame.get("role") == "bot" and self.turn is not None:
                        record = phase.records.get(self.turn)
                        if record is not None and not record[2]:
                            record[2] = now
                elif kind == "welcome":
                    self.welcome.set()
                elif kind == "queue":
                    self.handed_over = True
                elif kind == "error":
                    phase.errors[f"frame:{frame.get('code')}"] += 1
                    record = phase.records.pop(frame.get("id") or "", None)
                    if record is not None and not record[1]:
                        self.inflight = max(0, self.inflight - 1)
                        phase.settle()
        except Exception as exc:
            self.client.phase.errors[f"read:{type(exc).__name__}"] += 1
        finally:
            if not self.client.closing:
                self.client.phase.errors["closed"] += 1


class Client:
    def __init__(self, args: argparse.Namespace) -> None:
        self.urls: list[str] = args.url
        self.server_pids: list[int] = args.server_pid or []
        self.timeout: float = args.timeout
        self.pools = load_messages(Path(args.kb), args.messages)
        self.rng = random.Random(args.seed)
        self.phase = Phase()
        self.closing = False
        self.http: Any = None
        self.trace = open(args.trace, "w") if args.trace else None  # noqa: SIM115
        if self.trace is not None:
            self.trace.write("phase,sent_at,ack_ms,bot_ms\n")

    # -- measurements of the server process(es)

    def rss(self) -> int:
        return sum(_rss(pid) for pid in self.server_pids)

    def server_cpu(self) -> float:
        return sum(_cpu_seconds(pid) for pid in self.server_pids)

    # -- sessions

    async def open(self, count: int, first: int = 0) -> list[Session]:
        sessions = [
            Session(self, first + i, random.Random(self.rng.random())) for i in range(count)
        ]
        gate = asyncio.Semaphore(200)

        async def connect(session: Session) -> None:
            async with gate:
                try:
                    await session.connect(self.urls[session.idx % len(self.urls)])
                except Exception as exc:
                    self.phase.errors[f"connect:{type(exc).__name__}"] += 1

        await asyncio.gather(*(connect(s) for s in sessions))
        return [s for s in sessions if s.welcome.is_set()]

    async def close(self, sessions: list[Session]) -> None:
        self.closing = True
        gate = asyncio.Semaphore(500)

        async def close(session: Session) -> None:
            async with gate:
                with contextlib.suppress(Exception):
                    await session.ws.close()
                if session.reader is not None:
                    session.reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await session.reader

        await asyncio.gather(*(close(s) for s in sessions))
        self.closing = False

    # -- phases

    async def run_phase(
        self, name: str, sessions: list[Session], duration: float, rate: float | None
    ) -> dict[str, Any]:
        phase = self.phase = Phase(closed_loop=rate is None, running=True)
        cpu0, usage0 = self.server_cpu(), _own_cpu()
        start = time.perf_counter()
        phase.window_start, phase.window_end = start, start + duration
        if rate is None:
            for session in sessions:
                await session.send()
            await asyncio.sleep(duration)
        else:
            await self._paced(sessions, rate, start, duration)
        phase.running = False
        end = time.perf_counter()
        cpu1, usage1 = self.server_cpu(), _own_cpu()
        # let the stragglers arrive, then whatever has no ack is an error
        if phase.outstanding <= 0:
            phase.drained.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(phase.drained.wait(), self.timeout)
        missing = sum(1 for r in phase.records.values() if not r[1])
        if missing:
            phase.errors["no_ack"] += missing
        window = end - start
        reply = sorted(
            (min(r[1], r[2]) if r[2] else r[1]) - r[0]
            for r in phase.records.values()
            if r[1] and r[0] <= end
        )
        bot = sorted(r[2] - r[0] for r in phase.records.values() if r[2] and r[0] <= end)
        if self.trace is not None:  # wall-clock send time, then ack and bot delays in ms
            wall = time.time() - time.perf_counter()
            for r in phase.records.values():
                ack = f"{(r[1] - r[0]) * 1000:.3f}" if r[1] else ""
                first = f"{(r[2] - r[0]) * 1000:.3f}" if r[2] else ""
                self.trace.write(f"{name},{wall + r[0]:.6f},{ack},{first}\n")
        sent = sum(1 for r in phase.records.values() if r[0] <= end)
        return {
            "phase": name,
            "sessions": len(sessions),
            "target": rate,
            "seconds": round(window, 2),
            "sent": sent,
            "acked": phase.acked_in_window,
            "rate": phase.acked_in_window / window,
            "p50": _percentile(reply, 50),
            "p95": _percentile(reply, 95),
            "p99": _percentile(reply, 99),
            "bot_p99": _percentile(bot, 99),
            "bot_replies": len(bot),
            "errors": sum(phase.errors.values()),
            "error_kinds": dict(phase.errors),
            "handoffs": sum(1 for s in sessions if s.handed_over),
            "server_cpu": (cpu1 - cpu0) / window,
            "client_cpu": (usage1 - usage0) / window,
            "rss": self.rss(),
        }

    async def _paced(
        self, sessions: list[Session], rate: float, start: float, duration: float
    ) -> None:
        """Open loop: message k leaves at start + k / rate, round robin over idle sessions."""
        count, sent = len(sessions), 0
        cursor = itertools.cycle(range(count))
        while True:
            elapsed = time.perf_counter() - start
            if elapsed >= duration:
                return
            due = min(int(elapsed * rate) + 1, int(duration * rate)) - sent
            for _ in range(due):
                for _ in range(count):  # prefer a session with nothing in flight
                    session = sessions[next(cursor)]
                    if not session.inflight:
                        break
                await session.send()
            sent += max(due, 0)
            await asyncio.sleep(max(0.0, start + (sent / rate) - time.perf_counter()))

    async def idle(self, count: int, first: int) -> dict[str, Any]:
        self.phase = Phase()
        await asyncio.sleep(0.2)  # what the previous phases freed, freed
        before = self.rss()
        start = time.perf_counter()
        sessions = await self.open(count, first)
        connect_s = time.perf_counter() - start
        await asyncio.sleep(0.2 + count / 10_000)  # settle: listeners started, buffers filled
        after = self.rss()
        result = {
            "phase": "idle",
            "sessions": len(sessions),
            "target": count,
            "connect_s": round(connect_s, 2),
            "rss_before": before,
            "rss": after,
            "per_conn": (after - before) / max(1, len(sessions)),
            "errors": sum(self.phase.errors.values()) + (count - len(sessions)),
            "error_kinds": dict(self.phase.errors),
        }
        await self.close(sessions)
        return result


async def client_main(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    client = Client(args)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    results: dict[str, Any] = {"phases": []}
    async with aiohttp.ClientSession(connector=connector) as http:
        client.http = http
        sessions = await client.open(args.sessions)
        results["connect_errors"] = dict(client.phase.errors)
        if len(sessions) < args.sessions:
            results["phases"].append(
                {"phase": "connect", "errors": args.sessions - len(sessions), "sessions": 0}
            )
        if args.warmup > 0:  # a few messages per session through the whole path
            await client.run_phase("warmup", sessions, args.warmup, args.rate)
        results["phases"].append(
            await client.run_phase("paced", sessions, args.duration, args.rate)
        )
        results["phases"].append(await client.run_phase("max", sessions, args.duration, None))
        await client.close(sessions)
        if args.idle > 0:
            results["phases"].append(await client.idle(args.idle, args.sessions))
    if client.trace is not None:
        client.trace.close()
    return results


# --------------------------------------------------------------------------- processes


def raise_nofile() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit: one descriptor per connection."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 16)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _rss(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _cpu_seconds(pid: int) -> float:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _percentile(values: list[float], pct: float) -> float | None:
    """Nearest rank, in milliseconds."""
    if not values:
        return None
    rank = max(0, min(len(values) - 1, int(round(pct / 100 * len(values) + 0.5)) - 1))
    return values[rank] * 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server subprocess: Balcão (`python -m bot serve`) or the echo baseline."""

    def __init__(self, kind: str, workdir: Path, kb: Path, extra: list[str]) -> None:
        self.kind = kind
        self.port = free_port()
        self.log_path = workdir / f"{kind}-{self.port}.log"
        if kind == "balcao":
            db = workdir / "balcao.sqlite3"
            if not db.exists():
                subprocess.run(
                    [sys.executable, "-m", "bot", "seed-demo", "--db", str(db)],
                    cwd=ROOT,
                    check=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            argv = [sys.executable, "-m", "bot", "serve"]
            if "--database" not in extra:  # one store per deployment: --db only for SQLite
                argv += ["--db", str(db)]
            argv += ["--kb", str(kb), "--port", str(self.port), "--log-level", "WARNING", *extra]
        else:
            argv = [sys.executable, str(ROOT / "benchmarks" / "echo_server.py")]
            argv += ["--port", str(self.port)]
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(argv, cwd=ROOT, stdout=self.log, stderr=self.log)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ws"

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.kind} server exited:\n{self.tail()}")
            health = f"http://127.0.0.1:{self.port}/health"
            with contextlib.suppress(OSError), urllib.request.urlopen(health, timeout=2):
                return
            time.sleep(0.2)
        raise SystemExit(f"{self.kind} server not healthy in {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        self.log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def run_client(args: argparse.Namespace, servers: list[Server]) -> dict[str, Any]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--client", "--kb", str(args.kb)]
    argv += ["--messages", args.messages]
    for server in servers:
        argv += ["--url", server.url, "--server-pid", str(server.process.pid)]
    for name in ("sessions", "rate", "duration", "idle", "timeout", "warmup", "seed"):
        argv += [f"--{name}", str(getattr(args, name))]
    if args.trace:
        argv += ["--trace", f"{args.trace}.{servers[0].kind}.csv"]
    if args.no_uvloop:
        argv.append("--no-uvloop")
    done = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            return dict(json.loads(line[len(RESULT) :]))
    raise SystemExit(f"the client process failed (exit {done.returncode})")


# every client is 127.0.0.1: the per-address limits would refuse the load itself; the
# limiter still runs on every message, so its cost stays in the path
LIFTED_LIMITS = [
    "--messages-per-minute",
    "1000000",
    "--ip-messages-per-minute",
    "1000000000",
    "--max-connections-per-ip",
    "1000000",
    "--ip-handoffs-per-hour",
    "1000000",
]


def start_servers(args: argparse.Namespace, kind: str, workdir: Path) -> list[Server]:
    extra: list[str] = []
    if kind == "balcao":
        extra += LIFTED_LIMITS + ["--encoder", args.encoder]
        if args.database:
            extra += ["--database", args.database]
        if args.redis:
            extra += ["--redis", args.redis]
    return [Server(kind, workdir, Path(args.kb), extra) for _ in range(args.processes)]


def bench(args: argparse.Namespace, kind: str, servers: list[Server]) -> dict[str, Any]:
    for server in servers:
        server.wait_healthy()
    results = run_client(args, servers)
    for server in servers:
        if server.process.poll() is not None:
            raise SystemExit(f"{kind} server died during the run:\n{server.tail()}")
    return results


# --------------------------------------------------------------------------- report


COLUMNS = (
    "server",
    "phase",
    "sessions",
    "target msg/s",
    "msg/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "bot p99 ms",
    "errors",
    "handoffs",
    "server CPU",
    "client CPU",
    "server RSS MiB",
    "KiB/conn",
)


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def rows(name: str, results: dict[str, Any]) -> list[list[str]]:
    out = []
    for p in results["phases"]:
        if p["phase"] == "idle":
            out.append(
                [
                    name,
                    f"idle ({p['connect_s']} s to connect)",
                    _fmt(p["sessions"]),
                    "-",
                    "-",
                    "-",
                    "-",
                    "-",
                    "-",
                    _fmt(p["errors"]),
                    "-",
                    "-",
                    "-",
                    f"{p['rss_before'] / 2**20:,.0f} → {p['rss'] / 2**20:,.0f}",
                    _fmt(p["per_conn"] / 1024),
                ]
            )
        elif p["phase"] == "connect":
            out.append([name, "connect", "-", *["-"] * 6, _fmt(p["errors"]), *["-"] * 5])
        else:
            out.append(
                [
                    name,
                    p["phase"] + (" (open loop)" if p["target"] else " (closed loop)"),
                    _fmt(p["sessions"]),
                    _fmt(p["target"], 0) if p["target"] else "max",
                    _fmt(p["rate"], 0),
                    _fmt(p["p50"], 2),
                    _fmt(p["p95"], 2),
                    _fmt(p["p99"], 2),
                    _fmt(p["bot_p99"], 2),
                    _fmt(p["errors"]),
                    _fmt(p["handoffs"]),
                    f"{p['server_cpu'] * 100:.0f} %",
                    f"{p['client_cpu'] * 100:.0f} %",
                    f"{p['rss'] / 2**20:,.0f}",
                    "-",
                ]
            )
    return out


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for name, result in results.items():
        lines += ["| " + " | ".join(r) + " |" for r in rows(name, result)]
    return "\n".join(lines)


def ratios(results: dict[str, dict[str, Any]]) -> list[str]:
    if "echo" not in results:
        return []
    ours = {p["phase"]: p for p in results["balcao"]["phases"]}
    echo = {p["phase"]: p for p in results["echo"]["phases"]}
    out = []
    for phase in ("paced", "max"):
        a, b = ours.get(phase), echo.get(phase)
        if a and b and b["rate"] and b["p99"] and a["p99"]:
            out.append(
                f"{phase}: Balcão / echo throughput {a['rate'] / b['rate']:.2f}"
                f" ({a['rate']:,.0f} / {b['rate']:,.0f} msg/s),"
                f" p50 latency ×{a['p50'] / b['p50']:.1f}, p99 latency ×{a['p99'] / b['p99']:.1f}"
            )
    a, b = ours.get("idle"), echo.get("idle")
    if a and b and b["per_conn"] > 0:
        out.append(
            f"idle: Balcão / echo memory per connection {a['per_conn'] / b['per_conn']:.1f}"
            f" ({a['per_conn'] / 1024:,.1f} / {b['per_conn'] / 1024:,.1f} KiB)"
        )
    return out


def errors_detail(results: dict[str, dict[str, Any]]) -> list[str]:
    out = []
    for name, result in results.items():
        for p in result["phases"]:
            if p.get("error_kinds"):
                out.append(f"{name} {p['phase']}: {p['error_kinds']}")
    return out


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def report(args: argparse.Namespace, results: dict[str, dict[str, Any]], load: str) -> str:
    command = "python benchmarks/bench_load.py " + " ".join(
        f"--{n} {getattr(args, n):g}" for n in ("sessions", "rate", "duration", "idle")
    )
    if args.processes > 1:
        command += f" --processes {args.processes} --database URL --redis URL"
    if args.encoder != "off":
        command += f" --encoder {args.encoder}"
    if args.messages != "knowledge":
        command += f" --messages {args.messages}"
    lines = [
        f"`{command}` on {date.today().isoformat()}: {os.cpu_count()} cores"
        f" ({platform.processor() or platform.machine()}), Python {platform.python_version()},"
        f" server and client on the same machine; load average before the run {load}.",
        "",
        table(results),
        "",
    ]
    lines += [f"- {line}" for line in ratios(results) + errors_detail(results)]
    return "\n".join(lines).rstrip() + "\n"


def update_markdown(text: str) -> None:
    """Replace the generated part of this benchmark's section; leave the rest of the file be."""
    block = f"{BEGIN}\n{text}{END}"
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        doc = head + block + rest.split(END, 1)[1]
    elif SECTION in doc:
        head, rest = doc.split(SECTION, 1)
        nxt = re.search(r"^## ", rest, flags=re.M)
        body, tail = (rest[: nxt.start()], rest[nxt.start() :]) if nxt else (rest, "")
        doc = f"{head}{SECTION}{body.rstrip()}\n\n{block}\n\n{tail}"
    else:
        doc = f"{doc.rstrip()}\n\n{SECTION}\n\n```\nmake bench-load\n```\n\n{block}\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(doc.rstrip() + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load benchmark of the widget's WebSocket path against a bare aiohttp echo.",
        epilog="Definitions of every column: see the module docstring or docs/benchmarks.md.",
    )
    parser.add_argument("--sessions", type=int, default=1000, help="concurrent widget sessions")
    parser.add_argument("--rate", type=float, default=200.0, help="paced phase: total msg/s")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    parser.add_argument("--idle", type=int, default=10_000, help="idle sessions (0: skip)")
    parser.add_argument("--warmup", type=float, default=2.0, help="paced seconds not counted")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for acks")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the message mix")
    parser.add_argument("--kb", default=str(ROOT / "knowledge"), help="knowledge folder")
    parser.add_argument("--no-echo", action="store_true", help="skip the echo baseline")
    parser.add_argument("--no-uvloop", action="store_true", help="client on asyncio's loop")
    parser.add_argument("--trace", help="write every message's timings to TRACE.<server>.csv")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="server processes, clients split between them (>1 needs --database and --redis)",
    )
    parser.add_argument(
        "--encoder",
        default="off",
        choices=("off", "on"),
        help="the server's sentence encoder (default off: a plain `pip install`, without the"
        " optional weights; on: 5-15 ms of CPU per message more)",
    )
    parser.add_argument(
        "--messages",
        default="knowledge",
        choices=("knowledge", "paraphrases"),
        help="FAQ messages: the knowledge files' own questions and examples (default), or"
        " benchmarks/cases' paraphrases of them, which the server never trained on",
    )
    parser.add_argument("--database", default="", help="PostgreSQL URL for `balcao serve`")
    parser.add_argument("--redis", default="", help="Redis URL for `balcao serve`")
    parser.add_argument("--markdown", action="store_true", help=f"update {DOC.relative_to(ROOT)}")
    # the client process
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", action="append", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, action="append", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    limit = raise_nofile()
    if args.client:
        if not args.no_uvloop:
            with contextlib.suppress(ImportError):
                import uvloop

                uvloop.install()
        needed = args.sessions + args.idle + 64
        if limit < needed:
            print(f"warning: RLIMIT_NOFILE {limit} < {needed} sockets", file=sys.stderr)
        print(RESULT + json.dumps(asyncio.run(client_main(args))), flush=True)
        return 0
    if args.processes < 1 or (args.processes > 1 and not (args.database and args.redis)):
        raise SystemExit(
            "--processes > 1 needs --database postgresql://... and --redis redis://...:"
            " several `balcao serve` processes share their conversations and fan-out there"
        )
    load = load_average()
    results: dict[str, dict[str, Any]] = {}
    kinds = ("balcao",) if args.no_echo else ("balcao", "echo")
    servers: dict[str, list[Server]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        try:  # all start at once (the echo's boot overlaps Balcão's); one is loaded at a time
            for kind in reversed(kinds):
                servers[kind] = start_servers(args, kind, Path(tmp))
            for kind in kinds:
                print(f"[bench-load] {kind} ...", file=sys.stderr, flush=True)
                results[kind] = bench(args, kind, servers[kind])
        finally:
            for group in servers.values():
                for server in group:
                    server.stop()
    text = report(args, results, load)
    print(text, end="")
    if args.markdown:
        update_markdown(text)
        print(f"[bench-load] updated {DOC}", file=sys.stderr)
    return 1 if any(p.get("errors") for p in results["balcao"]["phases"]) else 0


if __name__ == "__main__":
    sys.exit(main())
