"""Reading rows straight from whichever store a parity test's app runs on (SQL with `?`)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from bot.app import DATABASE
from channels.keys import SETTINGS


async def rows(app: web.Application, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    url = app[SETTINGS].database
    if url:
        import asyncpg

        numbered = iter(range(1, len(params) + 1))
        conn = await asyncpg.connect(url)
        try:
            found = await conn.fetch(re.sub(r"\?", lambda _: f"${next(numbered)}", sql), *params)
        finally:
            await conn.close()
        return [tuple(r) for r in found]
    return await app[DATABASE].run(lambda db: [tuple(r) for r in db.execute(sql, params)])


async def execute(app: web.Application, sql: str, *params: Any) -> None:
    url = app[SETTINGS].database
    if url:
        import asyncpg

        numbered = iter(range(1, len(params) + 1))
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(re.sub(r"\?", lambda _: f"${next(numbered)}", sql), *params)
        finally:
            await conn.close()
        return

    def run(db: Any) -> None:
        with db.atomic():
            db.execute(sql, params)

    await app[DATABASE].run(run)
