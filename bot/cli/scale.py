"""`balcao migrate-to-postgres`: copy an SQLite store into PostgreSQL for several processes."""

from __future__ import annotations

import argparse
from typing import Any

from bot.errors import InputError


def register(subparsers: Any) -> None:
    from bot.cli.program import add_setting_flags

    migrate = subparsers.add_parser(
        "migrate-to-postgres",
        help="Copy an SQLite store (conversations, shop, agents, handoffs) into PostgreSQL.",
    )
    add_setting_flags(migrate, ["db", "database"])
    migrate.set_defaults(handler=migrate_command)


def migrate_command(args: argparse.Namespace) -> int:
    from bot.cli.program import settings_from

    settings = settings_from(args, both_stores=True)
    if not settings.database:
        raise InputError("give --database postgresql://... (or BALCAO_DATABASE)")
    try:
        from bot.adapters.postgres.copy import copy_sqlite_to_postgres
    except ImportError as exc:  # asyncpg is the 'scale' extra
        raise InputError(f"install balcao[scale] first ({exc})") from exc
    counts = copy_sqlite_to_postgres(settings.db, settings.database)
    for table, count in counts.items():
        print(f"{table}\t{count}")
    print(f"copied {sum(counts.values())} rows from {settings.db} into PostgreSQL")
    return 0
