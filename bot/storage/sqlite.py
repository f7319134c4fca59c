"""The embedded SQLite database: one file, one writer thread, migrations applied on open.

Every SQLite call runs on one dedicated thread (an executor with one worker) and
is awaited from the event loop, so no handler ever blocks on the disk; writes
go inside `db.atomic()` (the Datasette pattern).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.errors import StorageError

logger = logging.getLogger(__name__)

T = TypeVar("T")


def connect(path: Path | str, migrations: Iterable[Migrations] = ()) -> sqlite_utils.Database:
    """Open (creating if needed) the SQLite file, tune it, apply pending migrations."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    db.execute("PRAGMA foreign_keys=ON")
    for migration_set in migrations:
        migration_set.apply(db)
    return db


class SqliteDatabase:
    """A sqlite-utils Database confined to one worker thread."""

    def __init__(self, path: Path | str, migrations: Iterable[Migrations] = ()) -> None:
        self.path = Path(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._migrations = tuple(migrations)
        self._db: sqlite_utils.Database | None = None

    async def open(self) -> SqliteDatabase:
        self._db = await self._submit(lambda: connect(self.path, self._migrations))
        logger.info("SQLite store open at %s", self.path)
        return self

    async def run(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """Run `fn(db)` on the database thread. SQLite errors become StorageError."""
        db = self._db
        if db is None:
            raise StorageError("the database is not open")
        try:
            return await self._submit(lambda: fn(db))
        except sqlite3.Error as exc:
            logger.error("SQLite error: %s", exc)
            raise StorageError(f"database error: {exc}") from exc

    async def _submit(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn)

    async def close(self) -> None:
        db = self._db
        self._db = None
        if db is not None:
            await self._submit(db.close)
        self._executor.shutdown(wait=True)
