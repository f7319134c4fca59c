"""`balcao agents add|list|disable|remove`: manage the people who take conversations."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from typing import Any

from bot.core.agents import check_password, hash_password, new_agent
from bot.errors import InputError


def register(subparsers: Any) -> None:
    from bot.cli.program import add_setting_flags

    agents = subparsers.add_parser("agents", help="Manage agent and admin accounts.")
    sub = agents.add_subparsers(dest="agents_command", metavar="COMMAND", required=True)
    add = sub.add_parser(
        "add",
        help="Create or update an agent (the password is read from stdin); a new password"
        " ends the agent's sessions.",
    )
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
    disable = sub.add_parser(
        "disable",
        help="Stop an agent: no login, sessions ended, open consoles closed, no new"
        " conversations; the account stays for the record (`agents add` enables it again).",
    )
    disable.add_argument("email")
    add_setting_flags(disable, ["db", "database"])
    disable.set_defaults(handler=disable_command)
    remove = sub.add_parser("remove", help="Delete an agent and end their sessions.")
    remove.add_argument("email")
    add_setting_flags(remove, ["db", "database"])
    remove.set_defaults(handler=remove_command)


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


def add_command(args: argparse.Namespace) -> int:
    from bot.app import open_agent_store
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
    check_password(password, (agent.email, agent.name))
    password_hash = hash_password(password)
    settings = settings_from(args)

    async def save() -> None:
        async with open_agent_store(settings) as store:
            await store.save(agent, password_hash, time.time())

    asyncio.run(save())
    print(f"{agent.role} {agent.email} saved ({', '.join(agent.languages)})")
    return 0


def list_command(args: argparse.Namespace) -> int:
    from bot.app import open_agent_store
    from bot.cli.program import settings_from

    settings = settings_from(args)

    async def read() -> list[Any]:
        async with open_agent_store(settings) as store:
            return await store.all()

    for agent in asyncio.run(read()):
        status = "disabled" if agent.disabled else agent.status
        print(f"{agent.email}\t{agent.name}\t{agent.role}\t{','.join(agent.languages)}\t{status}")
    return 0


def disable_command(args: argparse.Namespace) -> int:
    from bot.app import open_agent_store
    from bot.cli.program import settings_from

    settings = settings_from(args)
    email = args.email.strip().lower()

    async def disable() -> bool:
        async with open_agent_store(settings) as store:
            return await store.disable(email, time.time())

    if not asyncio.run(disable()):
        raise InputError(f"no agent {email}")
    print(f"{email} disabled: sessions ended; open consoles close within the recheck interval")
    return 0


def remove_command(args: argparse.Namespace) -> int:
    from bot.app import open_agent_store
    from bot.cli.program import settings_from

    settings = settings_from(args)
    email = args.email.strip().lower()

    async def remove() -> bool:
        async with open_agent_store(settings) as store:
            return await store.remove(email)

    if not asyncio.run(remove()):
        raise InputError(f"no agent {email}")
    print(f"{email} removed")
    return 0
