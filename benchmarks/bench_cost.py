"""Where the CPU time of one customer message goes, and a projection per core (`make bench-cost`).

    python benchmarks/bench_cost.py [--stores sqlite,postgres] [--loaded 600] [--markdown]

Starts a server subprocess (this script with `--serve`: the `balcao serve` app, with every
stage of a message's way wrapped in a CPU meter) on SQLite, then on PostgreSQL + Redis
(a fresh database on --postgres, a private `redis-server` on a free port, so that Redis'
own counters count this run only), and sends it widget messages over real WebSockets from
this process:

1. sequential: every paraphrase of benchmarks/cases (texts the server never trained on,
   so the encoder encodes each one; the encoder caches training texts only), one message
   in flight at a time, three per conversation, each in the conversation's language. With
   one message in flight, the process's CPU during a stage is that stage's: each stage's
   *self* CPU time (time.process_time, every thread of the process, the encoder's included,
   minus the stages it calls) is summed and divided by the messages.
2. loaded: --concurrency sessions in a closed loop, --loaded messages in all: only totals
   per message (stages overlap there), with SQLite's group commit and the pooled
   connections amortised as under load.

CPU per message, in each phase: the server process (time.process_time, all threads),
PostgreSQL (the backends serving this run's database: utime + stime in /proc, read by
their pids in pg_stat_activity; the WAL writer, checkpointer and the other shared
processes are left out), Redis (`INFO cpu`, used_cpu_user + used_cpu_sys, of the private
redis-server) and this client. CPU time, not wall time: the machine is shared, so wall
figures are noisy; the wall msg/s is printed for reference only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import math
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
from bench_load import LIFTED_LIMITS, Server, load_messages  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench-cost:begin -->", "<!-- bench-cost:end -->"
PER_CONVERSATION = 3
BATCH = 10  # conversations open at a time in the sequential phase
TEXT = 1  # aiohttp.WSMsgType.TEXT
HEADROOM = 0.7  # a core planned at 70 % busy
LOADS = (100, 500, 2000)  # msg/s for the projection table

# the stages, in the order of the way; `remainder` is the process's CPU outside all of them
STAGES = (
    ("channel", "widget channel: frame JSON, checks, rate limits"),
    ("service", "chat service: lock, cached state, metrics, the turn's value"),
    ("fold", "state fold (`ConversationState.apply_all`)"),
    ("dialogue", "dialogue policy (without understanding)"),
    ("understanding", "understanding: language, entities, encoder, engine"),
    ("store", "store: load + append (client side; SQLite's writer thread included)"),
    ("broker", "publish: event frames + broker (in-process / Redis client)"),
    ("desk", "desk (handoffs only)"),
    ("reply", "reply frames: JSON + socket write"),
    ("remainder", "aiohttp (HTTP/WebSocket framing), event loop, GC, other"),
)


# --------------------------------------------------------------------------- the server side


class Meter:
    """Self CPU time per stage (time.process_time), with a stack per asyncio task."""

    def __init__(self) -> None:
        self.spent: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.stacks: dict[object, list[list[Any]]] = {}
        self.started = time.process_time()

    def reset(self) -> None:
        self.spent.clear()
        self.calls.clear()
        self.started = time.process_time()

    def _stack(self) -> list[list[Any]]:
        try:
            task: object = asyncio.current_task()
        except RuntimeError:
            task = None
        return self.stacks.setdefault(task, [])

    def enter(self, name: str) -> None:
        self._stack().append([name, time.process_time(), 0.0])

    def leave(self) -> None:
        stack = self._stack()
        name, start, inner = stack.pop()
        spent = time.process_time() - start
        self.spent[name] += spent - inner
        self.calls[name] += 1
        if stack:
            stack[-1][2] += spent
        else:
            self.stacks.pop(asyncio.current_task(), None)

    def timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        if asyncio.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                self.enter(name)
                try:
                    return await fn(*args, **kwargs)
                finally:
                    self.leave()

            return run_async

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            self.enter(name)
            try:
                return fn(*args, **kwargs)
            finally:
                self.leave()

        return run

    def report(self) -> dict[str, Any]:
        return {
            "cpu": time.process_time() - self.started,
            "spent": dict(self.spent),
            "calls": dict(self.calls),
        }


def serve(argv: list[str]) -> int:
    """The `balcao serve` app with the stages wrapped; GET /bench/meter[?reset=1]."""
    from aiohttp import web

    from bot.app import create_app
    from bot.cli.program import build_parser, settings_from
    from bot.cli.server import _quiet_garbage_collector, event_loop, one_blas_thread
    from bot.core import dialogue
    from bot.core.conversation import ConversationState
    from bot.services.chat import ChatService
    from bot.services.conversation_log import ConversationLog
    from channels import widget
    from channels.keys import LIMITS, SERVICE
    from channels.limits import Limits

    meter = Meter()
    args = build_parser().parse_args(["serve", *argv])
    settings = settings_from(args)
    loop = event_loop(settings.loop)
    one_blas_thread()  # as `balcao serve` does
    session = widget._Session  # noqa: SLF001 (the benchmark reaches in to time it)
    session.on_text = meter.timed("channel", session.on_text)  # type: ignore[method-assign]
    session.send = meter.timed("reply", session.send)  # type: ignore[method-assign]
    ChatService.handle = meter.timed("service", ChatService.handle)  # type: ignore[method-assign]
    ConversationLog.publish = meter.timed("broker", ConversationLog.publish)  # type: ignore[method-assign]
    ConversationState.apply_all = meter.timed("fold", ConversationState.apply_all)  # type: ignore[method-assign]
    dialogue.Dialogue.respond = meter.timed("dialogue", dialogue.Dialogue.respond)  # type: ignore[method-assign]
    dialogue._match = meter.timed("understanding", dialogue._match)  # noqa: SLF001
    Limits.allow_message = meter.timed("channel", Limits.allow_message)  # type: ignore[method-assign]

    async def instrument(app: web.Application) -> None:
        service = app[SERVICE]
        store = service.log.store
        store.load = meter.timed("store", store.load)  # type: ignore[method-assign]
        store.append = meter.timed("store", store.append)  # type: ignore[method-assign]
        if service.open_handoff is not None:
            service.open_handoff = meter.timed("desk", service.open_handoff)
        assert app[LIMITS] is not None

    async def read_meter(request: web.Request) -> web.Response:
        body = meter.report()
        if request.query.get("reset"):
            meter.reset()
        return web.json_response(body)

    app = create_app(settings)
    app.cleanup_ctx.append(_quiet_garbage_collector)
    app.on_startup.append(instrument)
    app.router.add_get("/bench/meter", read_meter)
    web.run_app(app, host=settings.host, port=settings.port, print=None, loop=loop)
    return 0


# --------------------------------------------------------------------------- the client side


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def messages() -> list[tuple[str, str]]:
    """(language, text): every FAQ paraphrase of benchmarks/cases, in a fixed order."""
    pools = load_messages(ROOT / "knowledge", "paraphrases")
    return [(language, text) for language, pool in pools.items() for text in pool["faq"]]


class Conversation:
    def __init__(self, http: Any, url: str, language: str) -> None:
        self.http, self.url, self.language = http, url, language
        self.ws: Any = None
        self.count = 0

    async def open(self) -> None:
        self.ws = await self.http.ws_connect(self.url, max_msg_size=0)
        await self.ws.send_str(json.dumps({"type": "hello", "language": self.language}))
        await self._until("welcome")

    async def _until(self, kind: str) -> dict[str, Any]:
        while True:
            msg = await asyncio.wait_for(self.ws.receive(), 30)
            if msg.type != TEXT:
                raise SystemExit(f"the server closed a socket: {msg}")
            frame = json.loads(msg.data)
            if frame.get("type") == kind:
                return dict(frame)
            if frame.get("type") == "error":
                raise SystemExit(f"error frame: {frame}")

    async def say(self, text: str, drain: float) -> None:
        """One message; back once its ack came and the socket went quiet for `drain` s
        (the turn's bot frames follow its ack); with no drain, as soon as the ack came."""
        self.count += 1
        frame = {"type": "message", "id": f"m{self.count}", "text": text}
        await self.ws.send_str(json.dumps(frame, ensure_ascii=False))
        await self._until("ack")
        with contextlib.suppress(TimeoutError):
            while drain:
                msg = await self.ws.receive(timeout=drain)
                if msg.type != TEXT:
                    raise SystemExit(f"the server closed a socket: {msg}")

    async def close(self) -> None:
        await self.ws.close()


class Outside:
    """CPU seconds of PostgreSQL's backends for one database and of a private Redis."""

    def __init__(self, pg_url: str | None, redis_url: str | None) -> None:
        self.pg_url, self.redis_url = pg_url, redis_url
        self.ticks = os.sysconf("SC_CLK_TCK")

    async def postgres(self) -> dict[int, float]:
        if not self.pg_url:
            return {}
        import asyncpg

        conn = await asyncpg.connect(self.pg_url)
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()
        return {row["pid"]: cpu for row in rows if (cpu := self.cpu_of(row["pid"])) is not None}

    def cpu_of(self, pid: int) -> float | None:
        """utime + stime of a process, in seconds (/proc/PID/stat), None once it is gone."""
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / self.ticks

    async def redis(self) -> float:
        if not self.redis_url:
            return 0.0
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.redis_url)
        try:
            info = await client.info("cpu")
        finally:
            await client.aclose()
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])

    async def sample(self) -> tuple[dict[int, float], float]:
        return await self.postgres(), await self.redis()

    @staticmethod
    def spent(
        before: tuple[dict[int, float], float], after: tuple[dict[int, float], float]
    ) -> tuple[float, float]:
        pg = sum(cpu - before[0].get(pid, 0.0) for pid, cpu in after[0].items())
        return pg, after[1] - before[1]


async def meter(http: Any, base: str, reset: bool = False) -> dict[str, Any]:
    async with http.get(f"{base}/bench/meter", params={"reset": "1"} if reset else {}) as resp:
        return dict(await resp.json())


async def measure(
    base: str, texts: list[tuple[str, str]], args: argparse.Namespace, outside: Outside
) -> dict[str, Any]:
    import aiohttp

    url = f"{base}/ws"
    async with aiohttp.ClientSession() as http:
        # sequential: one message in flight, three per conversation; conversations are
        # opened a batch at a time (an unread socket would miss the server's heartbeat),
        # and only the time between a batch's hellos and its end is counted
        chunks = [texts[i : i + PER_CONVERSATION] for i in range(0, len(texts), PER_CONVERSATION)]
        warm = Conversation(http, url, "en")
        await warm.open()
        for _, text in texts[: args.warmup]:  # not counted
            await warm.say(text, args.drain)
        await warm.close()
        spent: Counter[str] = Counter()
        calls: Counter[str] = Counter()
        server_s = pg_s = redis_s = client_s = wall_s = 0.0
        sent = 0
        for first in range(0, len(chunks), BATCH):
            batch = []
            for chunk in chunks[first : first + BATCH]:
                conversation = Conversation(http, url, chunk[0][0])
                await conversation.open()
                batch.append((conversation, [text for _, text in chunk]))
            before_server, before = await meter(http, base), await outside.sample()
            client_before, wall = time.process_time(), time.time()
            for conversation, chunk in batch:
                for text in chunk:
                    await conversation.say(text, args.drain)
                    sent += 1
            client_s += time.process_time() - client_before
            wall_s += time.time() - wall
            after_server = await meter(http, base)
            pg, redis = Outside.spent(before, await outside.sample())
            pg_s, redis_s = pg_s + pg, redis_s + redis
            server_s += after_server["cpu"] - before_server["cpu"]
            spent.update(after_server["spent"])
            spent.subtract(before_server["spent"])
            calls.update(after_server["calls"])
            calls.subtract(before_server["calls"])
            for conversation, _ in batch:
                await conversation.close()
        sequential = {
            "messages": sent,
            "server": server_s / sent,
            "stages": {k: v / sent for k, v in spent.items()},
            "calls": {k: v / sent for k, v in calls.items()},
            "postgres": pg_s / sent,
            "redis": redis_s / sent,
            "client": client_s / sent,
            "wall_msgs": sent / max(1e-9, wall_s - sent * args.drain),
        }

        # loaded: --concurrency conversations in a closed loop, the same texts again
        pool = list(texts)
        loaded_conversations = []
        for i in range(args.concurrency):
            conversation = Conversation(http, url, pool[i * 7 % len(pool)][0])
            await conversation.open()
            loaded_conversations.append(conversation)
        queue = [pool[i % len(pool)][1] for i in range(args.loaded)]
        await meter(http, base, reset=True)
        before, client_before, wall = await outside.sample(), time.process_time(), time.time()

        async def run(conversation: Conversation) -> None:
            while queue:
                await conversation.say(queue.pop(), 0.0)  # the next once acknowledged

        await asyncio.gather(*(run(c) for c in loaded_conversations))
        elapsed = time.time() - wall
        server = await meter(http, base, reset=True)
        pg, redis = Outside.spent(before, await outside.sample())
        loaded = {
            "messages": args.loaded,
            "server": server["cpu"] / args.loaded,
            "postgres": pg / args.loaded,
            "redis": redis / args.loaded,
            "client": (time.process_time() - client_before) / args.loaded,
            "wall_msgs": args.loaded / elapsed,
        }
        for conversation in loaded_conversations:
            await conversation.close()
    return {"sequential": sequential, "loaded": loaded}


class Process(Server):
    """A subprocess with its log in a file: the server (its port given), or redis-server."""

    def __init__(self, argv: list[str], log: Path, port: int = 0, kind: str = "balcao") -> None:
        self.kind, self.port, self.log_path = kind, port, log
        self.log = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(argv, cwd=ROOT, stdout=self.log, stderr=self.log)


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def run_store(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    port = free_port()
    argv = [sys.executable, str(Path(__file__).resolve()), "--serve", "--", "--port", str(port)]
    argv += ["--kb", str(ROOT / "knowledge"), "--log-level", "WARNING", *LIFTED_LIMITS]
    argv += ["--encoder", args.encoder]
    pg_url = redis_url = None
    redis_server: Process | None = None
    if kind == "sqlite":
        argv += ["--db", str(workdir / "cost.sqlite3")]
    else:
        name = f"balcao_bench_cost_{secrets.token_hex(4)}"
        asyncio.run(_admin(args.postgres, f"CREATE DATABASE {name}"))
        pg_url = args.postgres.rsplit("/", 1)[0] + "/" + name
        redis_port = free_port()
        if args.redis:
            redis_url = args.redis
        else:
            binary = shutil.which("redis-server")
            if binary is None:
                raise SystemExit("no redis-server on PATH: pass --redis URL")
            redis_server = Process(
                [binary, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no"],
                workdir / "redis.log",
            )  # fmt: skip
            redis_url = f"redis://127.0.0.1:{redis_port}/0"
            time.sleep(0.5)
        argv += ["--database", pg_url, "--redis", redis_url]
    server = Process(argv, workdir / f"server-{kind}.log", port)
    try:
        server.wait_healthy(120.0)
        outside = Outside(pg_url, redis_url if redis_server is not None else None)
        try:
            result = asyncio.run(measure(f"http://127.0.0.1:{port}", messages(), args, outside))
        except SystemExit as exc:
            raise SystemExit(f"{exc}\nthe server's log ends:\n{server.tail()}") from None
        if server.process.poll() is not None:
            raise SystemExit(f"the server died:\n{server.tail()}")
        return result
    finally:
        server.stop()
        if redis_server is not None:
            redis_server.stop()
        if pg_url is not None:
            with contextlib.suppress(Exception):
                asyncio.run(_admin(args.postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


# --------------------------------------------------------------------------- report


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def report(results: dict[str, dict[str, Any]], args: argparse.Namespace, load: str) -> str:
    kinds = list(results)
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL + Redis"}
    lines = [
        f"Measured {date.today().isoformat()} on {os.cpu_count()} cores, load average {load}"
        " before the run; encoder "
        f"{args.encoder}; CPU ms per message (sequential: "
        f"{results[kinds[0]]['sequential']['messages']} paraphrases, one in flight).",
        "",
        "| stage | " + " | ".join(names[k] for k in kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for key, label in STAGES:
        cells = []
        for kind in kinds:
            seq = results[kind]["sequential"]
            if key == "remainder":
                value = seq["server"] - sum(seq["stages"].values())
            else:
                value = seq["stages"].get(key, 0.0)
            cells.append(ms(value))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for key, label in (
        ("server", "**server process, all stages**"),
        ("postgres", "PostgreSQL backends"),
        ("redis", "Redis"),
    ):
        cells = [ms(results[k]["sequential"][key]) for k in kinds]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    total = {
        k: sum(results[k]["sequential"][x] for x in ("server", "postgres", "redis")) for k in kinds
    }
    lines.append(
        "| **all server-side CPU** | " + " | ".join(f"**{ms(total[k])}**" for k in kinds) + " |"
    )
    lines.append(
        "| load client (not server cost) | "
        + " | ".join(ms(results[k]["sequential"]["client"]) for k in kinds)
        + " |"
    )
    lines.append(
        "| state folds per message | "
        + " | ".join(f"{results[k]['sequential']['calls'].get('fold', 0):.1f}" for k in kinds)
        + " |"
    )
    lines += [
        "",
        f"Loaded ({args.concurrency} conversations in a closed loop, {args.loaded} messages, the"
        " same unseen texts): CPU ms per message, and the wall rate for reference only.",
        "",
        "| | server | PostgreSQL | Redis | all server-side | client | wall msg/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in kinds:
        one = results[kind]["loaded"]
        every = one["server"] + one["postgres"] + one["redis"]
        lines.append(
            f"| {names[kind]} | {ms(one['server'])} | {ms(one['postgres'])} | {ms(one['redis'])}"
            f" | {ms(every)} | {ms(one['client'])} | {one['wall_msgs']:.0f} |"
        )
    lines += [
        "",
        f"**Projection** (from the loaded figures; a core planned at {HEADROOM:.0%} busy; one"
        " `balcao serve` process uses at most about one core, Python's GIL):",
        "",
        "| | msg/s per core, server only | msg/s per core, all server-side | "
        + " | ".join(f"{load} msg/s: processes / cores" for load in LOADS)
        + " |",
        "|---|---|---|" + "---|" * len(LOADS),
    ]
    for kind in kinds:
        one = results[kind]["loaded"]
        every = one["server"] + one["postgres"] + one["redis"]
        cells = []
        for load in LOADS:
            processes = math.ceil(load * one["server"] / HEADROOM)
            cores = math.ceil(load * every / HEADROOM)
            cells.append(
                f"{processes} / {cores}"
                if kind == "postgres"
                else (
                    f"{processes} / {cores}"
                    if processes <= 1
                    else f"1 process cannot ({processes} cores' work)"
                )
            )
        lines.append(
            f"| {names[kind]} | {1 / one['server']:.0f} | {1 / every:.0f} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def update_markdown(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    if BEGIN not in doc:
        raise SystemExit(f"{DOC} has no {BEGIN} ... {END} block")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stores", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BALCAO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"),
        help="a PostgreSQL server where a fresh database is created (and dropped)",
    )
    parser.add_argument("--redis", default="", help="a Redis URL (default: a private redis-server)")
    parser.add_argument("--encoder", default="on", help="--encoder of the server (on|off)")
    parser.add_argument("--concurrency", type=int, default=16, help="loaded phase: conversations")
    parser.add_argument("--loaded", type=int, default=600, help="loaded phase: messages")
    parser.add_argument("--warmup", type=int, default=10, help="conversations warmed, not counted")
    parser.add_argument("--drain", type=float, default=0.02, help="quiet seconds that end a turn")
    parser.add_argument("--markdown", action="store_true", help=f"update {DOC.relative_to(ROOT)}")
    return parser.parse_args(argv)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        rest = sys.argv[2:]
        return serve(rest[1:] if rest[:1] == ["--"] else rest)
    args = parse_args()
    load = f"{os.getloadavg()[0]:.2f}"
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.stores.split(","):
            results[kind] = run_store(kind, args, Path(tmp))
    text = report(results, args, load)
    print(text)
    print(json.dumps(results, indent=1), file=sys.stderr)
    if args.markdown:
        update_markdown(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
