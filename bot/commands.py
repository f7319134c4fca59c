"""Server commands: `balcao serve` and `balcao seed-demo`."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from aiohttp import web

from bot.app import create_app

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    from bot.cli import add_setting_flags

    serve = subparsers.add_parser("serve", help="Serve the widget, REST channel and pages.")
    add_setting_flags(serve)
    serve.set_defaults(handler=serve_command)

    seed = subparsers.add_parser("seed-demo", help="Create the demo shop's database.")
    seed.add_argument("--db", help="SQLite file (BALCAO_DB; default var/balcao.sqlite3).")
    seed.set_defaults(handler=seed_command)


def serve_command(args: argparse.Namespace) -> int:
    from bot.cli import settings_from

    settings = settings_from(args)
    app = create_app(settings)
    print(f"Balcão is serving on http://{settings.host}:{settings.port}/", flush=True)
    web.run_app(app, host=settings.host, port=settings.port, print=None)
    return 0


def seed_command(args: argparse.Namespace) -> int:
    """Import the demo shop's CSVs (data/demo) into the store; idempotent (upsert)."""
    from bot.cli import settings_from
    from bot.shop_commands import seed_demo

    settings = settings_from(args)
    result = seed_demo(settings.db)
    counts = ", ".join(f"{n} {k}" for k, n in result.totals.items())
    print(f"demo store ready at {settings.db}: {counts} ({result.seconds:.2f} s)")
    return 0
