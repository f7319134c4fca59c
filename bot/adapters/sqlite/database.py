"""The embedded SQLite database: one file, one writer thread, migrations applied on open.

Every SQLite call runs on one dedicated thread (an executor with one worker) and
is awaited from the event loop, so no handler ever blocks on the disk; writes
go inside `db.atomic()` (the Datasette pattern). Writes on the hot path go
through a `GroupCommit`: whatever waits is written in one transaction, one
thread hop and one COMMIT for many writers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.errors import StorageError

logger = logging.getLogger(__name__)

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 (an item to write)


SYNCHRONOUS = ("normal", "full")


def connect(
    path: Path | str, migrations: Iterable[Migrations] = (), synchronous: str = "normal"
) -> sqlite_utils.Database:
    """Open (creating if needed) the SQLite file, tune it, apply pending migrations.

    WAL with `synchronous=normal` (the default): a crash of the process loses nothing that
    was committed; a power cut or an OS crash may lose the last transactions before the
    last checkpoint. `full` syncs the WAL at every commit: nothing acknowledged is lost
    even then, for more time per write (README "Security": durability)."""
    if synchronous not in SYNCHRONOUS:
        raise StorageError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous.upper()}")
    db.execute("PRAGMA busy_timeout=5000")
    db.execute("PRAGMA foreign_keys=ON")
    for migration_set in migrations:
        migration_set.apply(db)
    return db


class DatabaseRunner(Protocol):
    """Runs a function on the database's own thread (`SqliteDatabase`); what the SQLite
    adapters are handed, so a test can hand them something else."""

    async def run(self, fn: Callable[[sqlite_utils.Database], T]) -> T: ...


class SqliteDatabase:
    """A sqlite-utils Database confined to one worker thread."""

    def __init__(
        self,
        path: Path | str,
        migrations: Iterable[Migrations] = (),
        synchronous: str = "normal",
    ) -> None:
        self.path = Path(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._migrations = tuple(migrations)
        self._synchronous = synchronous
        self._db: sqlite_utils.Database | None = None

    async def open(self) -> SqliteDatabase:
        """Open and migrate the file; a file that cannot be opened or written (a folder, a
        read-only file or disk, a full disk) is one StorageError naming it, not a traceback."""
        try:
            self._db = await self._submit(
                lambda: connect(self.path, self._migrations, self._synchronous)
            )
        except (sqlite3.Error, OSError) as exc:
            self._executor.shutdown(wait=False)
            raise StorageError(f"cannot open the store at {self.path}: {exc}") from exc
        logger.info("SQLite store open at %s", self.path)
        return self

    async def probe(self) -> None:
        """Write one row and commit: raises StorageError when the store cannot take a write
        now (a full disk, a read-only file), which reading alone would not show."""

        def write(db: sqlite_utils.Database) -> None:
            with db.atomic():
                db.execute(
                    "CREATE TABLE IF NOT EXISTS health_probe (id INTEGER PRIMARY KEY, at REAL)"
                )
                db.execute("INSERT OR REPLACE INTO health_probe (id, at) VALUES (1, julianday())")

        await self.run(write)

    async def run(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """Run `fn(db)` on the database thread. SQLite errors become StorageError."""
        db = self._db
        if db is None:
            raise StorageError("the database is not open")
        try:
            return await self._submit(lambda: fn(db))
        except sqlite3.Error as exc:
            raise _storage_error(exc) from exc

    async def _submit(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn)

    async def close(self) -> None:
        db = self._db
        self._db = None
        if db is not None:
            await self._submit(db.close)
        self._executor.shutdown(wait=True)


def _storage_error(exc: sqlite3.Error) -> StorageError:
    logger.error("SQLite error: %s", exc)
    return StorageError(f"database error: {exc}")


@dataclass(frozen=True)
class _Written(Generic[T]):
    """What one item's write returned (an item that failed has its exception instead)."""

    value: T


class GroupCommit(Generic[I, T]):
    """Writes from many callers, one transaction: group commit.

    `await submit(item)` queues the item; one writer task takes everything queued
    into one `BEGIN IMMEDIATE ... COMMIT` on the database thread, each item under
    its own savepoint, and wakes each caller with `write(connection, item)`'s
    result once the COMMIT is done (nothing is answered before it is durable).
    An item that fails is rolled back alone and its caller gets the error
    (SQLite errors as StorageError); a failed COMMIT fails the whole batch.
    """

    def __init__(
        self, database: SqliteDatabase, write: Callable[[sqlite3.Connection, I], T]
    ) -> None:
        self.database = database
        self._write = write
        self._queue: list[tuple[I, asyncio.Future[T]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: I) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append((item, future))
        if self._writer is None:
            self._writer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    outcomes = await self.database.run(
                        functools.partial(self._write_all, [item for item, _ in batch])
                    )
                except asyncio.CancelledError:
                    for _, future in batch:
                        future.cancel()
                    raise
                except Exception as exc:  # the batch is rolled back: every caller is told
                    outcomes = [exc] * len(batch)
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # its caller was cancelled; the write stands
                        continue
                    if isinstance(outcome, _Written):
                        future.set_result(outcome.value)
                    else:
                        future.set_exception(outcome)
        finally:
            self._writer = None

    def _write_all(
        self, items: Sequence[I], db: sqlite_utils.Database
    ) -> list[_Written[T] | Exception]:
        """On the database thread: every item under its own savepoint, then one COMMIT."""
        conn = db.conn
        outcomes: list[_Written[T] | Exception] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for item in items:
                conn.execute("SAVEPOINT item")
                try:
                    outcomes.append(_Written(self._write(conn, item)))
                except sqlite3.Error as exc:
                    conn.execute("ROLLBACK TO item")
                    error = _storage_error(exc)
                    error.__cause__ = exc
                    outcomes.append(error)
                except Exception as exc:  # handed to the item's caller
                    conn.execute("ROLLBACK TO item")
                    outcomes.append(exc)
                conn.execute("RELEASE item")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return outcomes


class LazySqliteDatabase:
    """A DatabaseRunner that connects on its own worker thread at first use, for code that
    runs outside the server's lifespan (a standalone action server, `kb test`)."""

    def __init__(self, path: Path | str, migrations: Iterable[Migrations] = ()) -> None:
        self.path = Path(path)
        self.migrations = tuple(migrations)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lazy-sqlite")
        self._db: sqlite_utils.Database | None = None

    def _connection(self) -> sqlite_utils.Database:
        if self._db is None:
            self._db = connect(self.path, self.migrations)
            logger.info("opened the store at %s", self.path)
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
