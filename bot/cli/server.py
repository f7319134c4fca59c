"""Server commands: `balcao serve` and `balcao seed-demo`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.cli.demo_history import DEMO_TEAM
from bot.core.dialogue import Brain
from bot.errors import ConfigError
from channels.keys import RELOADER

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    from bot.cli.program import add_setting_flags

    serve = subparsers.add_parser("serve", help="Serve the widget, REST channel and pages.")
    add_setting_flags(serve)
    serve.set_defaults(handler=serve_command)

    seed = subparsers.add_parser(
        "seed-demo",
        help="Create the demo shop's database, with demo agents whose password is public;"
        " refuses a file that holds another shop's customers or agents.",
    )
    seed.add_argument("--db", help="SQLite file (BALCAO_DB; default var/balcao.sqlite3).")
    seed.add_argument(
        "--force",
        action="store_true",
        help="Seed even a file that holds data that is not the demo's (adds a public admin).",
    )
    seed.set_defaults(handler=seed_command)


def serve_command(args: argparse.Namespace) -> int:
    from bot.app import create_app  # the whole app: imported when serving, not per command
    from bot.cli.program import settings_from

    settings = settings_from(args)
    loop = event_loop(settings.loop)
    one_blas_thread()
    try:
        app = create_app(settings)
        app.cleanup_ctx.append(_quiet_garbage_collector)
    except BaseException:
        loop.close()  # run_app closes it once it runs
        raise

    def serving(_: object) -> None:  # once the stores are open and the socket listens
        print(f"Balcão is serving on http://{settings.host}:{settings.port}/", flush=True)

    web.run_app(app, host=settings.host, port=settings.port, print=serving, loop=loop)
    return 0


def one_blas_thread() -> Any:
    """BLAS on one thread for the life of the server; the limiter (None without threadpoolctl).

    A server scores many small messages, one matrix-vector product at a time, while other
    conversations' turns want the other cores: BLAS' own worker threads only spin beside
    it. `make bench-cost` measured understanding at 3-4x the CPU per message with them
    (docs/benchmarks.md); the encoder limited BLAS during its own call only."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # scikit-learn brings it; without it there is nothing to limit
        return None
    return threadpool_limits(limits=1, user_api="blas")


LOOPS = ("auto", "uvloop", "asyncio")


def event_loop(kind: str) -> asyncio.AbstractEventLoop:
    """A new event loop of the kind a setting names. uvloop's transports and timers are
    written in C, which the server's closed-loop load spends less CPU on
    (docs/benchmarks.md)."""
    if kind not in LOOPS:
        raise ConfigError(f"loop must be one of {', '.join(LOOPS)}, not {kind!r}")
    if kind != "asyncio":
        try:
            import uvloop
        except ImportError:
            if kind == "uvloop":
                raise ConfigError("loop 'uvloop' asks for uvloop, which is not installed") from None
        else:
            logger.debug("event loop: uvloop")
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


async def _quiet_garbage_collector(app: web.Application) -> AsyncIterator[None]:
    """Keep full collections off the reply path.

    What start-up built (the knowledge, the model, the imports) lives as long as the
    process: frozen, the collector stops walking it; fewer, larger young collections
    follow. Measured with `make bench-load`: full collections of 180-400 ms every few
    seconds were behind every reply slower than 50 ms (docs/benchmarks.md).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    reloader = app[RELOADER]
    previous = reloader.on_change

    def refreeze(brain: Brain) -> None:
        if previous is not None:
            previous(brain)
        gc.collect()
        gc.freeze()

    reloader.on_change = refreeze
    yield


# the demo team (bot/cli/demo_history.py) logs in with this password
DEMO_PASSWORD = "balcao-demo"


def seed_command(args: argparse.Namespace) -> int:
    """Import the demo shop's CSVs (data/demo) into the store; idempotent (upsert)."""
    from bot.cli.program import settings_from
    from bot.cli.shop import not_the_demos, seed_demo

    settings = settings_from(args)
    foreign = not_the_demos(settings.db, frozenset(email for email, *_ in DEMO_TEAM))
    if foreign and not args.force:
        raise ConfigError(
            f"{settings.db} is not the demo's ({', '.join(foreign)} of its own); seed-demo would"
            " add an admin whose password is public: seed an empty file, or pass --force"
        )
    result = seed_demo(settings.db)
    counts = ", ".join(f"{n} {k}" for k, n in result.totals.items())
    if result.conversations:
        counts += f", {result.conversations} demo conversations"
    print(f"demo store ready at {settings.db}: {counts} ({result.seconds:.2f} s)")
    created = asyncio.run(_seed_team(settings.db))
    if created:
        print(f"demo team (password '{DEMO_PASSWORD}'): {', '.join(created)}")
    return 0


async def _seed_team(db: Path) -> list[str]:
    from bot.adapters.sqlite.agents import SqliteAgentStore
    from bot.adapters.sqlite.database import SqliteDatabase
    from bot.app import MIGRATIONS
    from bot.core.agents import hash_password, new_agent

    database = await SqliteDatabase(db, MIGRATIONS).open()
    created = []
    try:
        store = SqliteAgentStore(database)
        for email, name, role, languages in DEMO_TEAM:
            if await store.get(email) is None:
                agent = new_agent(email, name, role, languages)
                await store.save(agent, hash_password(DEMO_PASSWORD), time.time())
                created.append(email)
    finally:
        await database.close()
    return created
