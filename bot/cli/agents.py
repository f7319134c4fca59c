"""`balcao agents add|list`: manage the people who take conversations."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from typing import Any

from bot.core.agents import hash_password, new_agent
from bot.errors import InputError


def register(subparsers: Any) -> None:
    from bot.cli.program import add_setting_flags

    agents = subparsers.add_parser("agents", help="Manage agent and admin accounts.")
    sub = agents.add_subparsers(dest="agents_command", metavar="COMMAND", required=True)
    add = sub.add_parser("add", help="Create or update an agent (the password is read from stdin).")
    add.add_argument("email")
    add.add_argument("--name", required=True, help="Name shown to customers.")
    add.add_argument("--password-stdin", action="store_true", help="Read the password from stdin.")
    add.add_argument("--role", default="agent", choices=("agent", "admin"))
    add.add_argument("--languages", default="en", help="Comma-separated, e.g. en,pt.")
    add.add_argument("--skills", default="", help="Comma-separated, e.g. returns,billing.")
    add.add_argument("--max-chats", type=int, default=3, help="Most conversations at once.")
    add_setting_flags(add, ["db", "database"])
    add.set_defaults(handler=add_command)
    listing = sub.add_parser("list", help="List agents.")
    add_setting_flags(listing, ["db", "database"])
    listing.set_defaults(handler=list_command)


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


def add_command(args: argparse.Namespace) -> int:
    from bot.cli.program import settings_from

    agent = new_agent(
        args.email,
        args.name,
        args.role,
        _split(args.languages),
        _split(args.skills),
        args.max_chats,
    )
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"Password for {agent.email}: ")
    else:
        raise InputError("give the password on stdin with --password-stdin")
    password_hash = hash_password(password)
    settings = settings_from(args)

    async def save() -> None:
        from bot.adapters.sqlite.agents import SqliteAgentStore
        from bot.adapters.sqlite.database import SqliteDatabase
        from bot.app import MIGRATIONS

        if settings.database:
            from bot.adapters.postgres import PostgresAgentStore, PostgresDatabase

            postgres = await PostgresDatabase(settings.database, max_size=1).open()
            try:
                await PostgresAgentStore(postgres).save(agent, password_hash, time.time())
            finally:
                await postgres.close()
            return
        database = await SqliteDatabase(settings.db, MIGRATIONS).open()
        try:
            await SqliteAgentStore(database).save(agent, password_hash, time.time())
        finally:
            await database.close()

    asyncio.run(save())
    print(f"{agent.role} {agent.email} saved ({', '.join(agent.languages)})")
    return 0


def list_command(args: argparse.Namespace) -> int:
    from bot.cli.program import settings_from

    settings = settings_from(args)

    async def read() -> list[Any]:
        from bot.adapters.sqlite.agents import SqliteAgentStore
        from bot.adapters.sqlite.database import SqliteDatabase
        from bot.app import MIGRATIONS

        if settings.database:
            from bot.adapters.postgres import PostgresAgentStore, PostgresDatabase

            postgres = await PostgresDatabase(settings.database, max_size=1).open()
            try:
                return await PostgresAgentStore(postgres).all()
            finally:
                await postgres.close()
        database = await SqliteDatabase(settings.db, MIGRATIONS).open()
        try:
            return await SqliteAgentStore(database).all()
        finally:
            await database.close()

    for agent in asyncio.run(read()):
        print(
            f"{agent.email}\t{agent.name}\t{agent.role}\t{','.join(agent.languages)}\t{agent.status}"
        )
    return 0
