"""The actions' access to the customer store: one SQLite file, one thread, or PostgreSQL.

`configure(db_path)` points the actions at a store (the bot's composition root
calls it; a standalone action server reads BALCAO_DB, default
var/balcao.sqlite3). The connection is opened lazily on the store's own thread,
so nothing blocks the event loop and nothing is opened at import time.
`configure(database_url=...)` (or BALCAO_DATABASE for a standalone action server)
uses PostgreSQL instead, through a small pool opened at first use.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from bot.adapters.sqlite.customers import SqliteCustomerStore
from bot.adapters.sqlite.customers import migrations as customer_migrations
from bot.adapters.sqlite.database import connect
from bot.ports import CustomerStore

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_DB = Path("var/balcao.sqlite3")
Clock = Callable[[], datetime]


class LazySqlite:
    """A DatabaseRunner that connects on its worker thread at first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="actions-sqlite")
        self._db: sqlite_utils.Database | None = None

    def _connection(self) -> sqlite_utils.Database:
        if self._db is None:
            self._db = connect(self.path, (customer_migrations,))
            logger.info("actions use the store at %s", self.path)
        return self._db

    async def run(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(self._connection()))

    def close(self) -> None:
        def shut() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        self._executor.submit(shut)
        self._executor.shutdown(wait=False)


class _Config:
    database: LazySqlite | None = None
    postgres: Any = None  # a lazy bot.adapters.postgres.PostgresDatabase
    store: CustomerStore | None = None
    clock: Clock = staticmethod(lambda: datetime.now(UTC))


def configure(
    db_path: Path | str | None = None,
    *,
    clock: Clock | None = None,
    database_url: str | None = None,
) -> None:
    """Use the store at `db_path` (BALCAO_DB or var/balcao.sqlite3 if None) from now on,
    or the PostgreSQL database at `database_url` (BALCAO_DATABASE when neither is given)."""
    close()
    if database_url is None and db_path is None:
        database_url = os.environ.get("BALCAO_DATABASE") or None
    if database_url:
        from bot.adapters.postgres import PostgresCustomerStore, PostgresDatabase

        _Config.postgres = PostgresDatabase(database_url, max_size=4, lazy=True)
        _Config.store = PostgresCustomerStore(_Config.postgres)
    else:
        path = Path(db_path) if db_path else Path(os.environ.get("BALCAO_DB") or DEFAULT_DB)
        _Config.database = LazySqlite(path)
        _Config.store = SqliteCustomerStore(_Config.database)
    _Config.clock = clock or (lambda: datetime.now(UTC))


def close() -> None:
    if _Config.database is not None:
        _Config.database.close()
    if _Config.postgres is not None:
        _Config.postgres.terminate()
    _Config.database = None
    _Config.postgres = None
    _Config.store = None


def customer_store() -> CustomerStore:
    if _Config.store is None:
        configure()
    assert _Config.store is not None
    return _Config.store


def now() -> datetime:
    return _Config.clock()
