"""PostgresDatabase: an asyncpg connection pool, migrated when it opens.

The PostgreSQL adapters (`bot.adapters.postgres.*`) borrow connections from it.
asyncpg and OS errors become `StorageError`, as SQLite's do in `SqliteDatabase`.
The pool is opened by the composition root's cleanup context, or lazily at first
use when built with `lazy=True` (the actions' own store).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg

from bot.errors import StorageError

logger = logging.getLogger(__name__)
# what a query may raise when the server or the connection fails: InternalClientError is
# what asyncpg raises when the server dropped the connection in the middle of a query (#18:
# it escaped this translation and closed the agent console's socket)
DATABASE_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)


def redacted(url: str) -> str:
    """The URL without its password, for logs."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at:
        return url
    user = credentials.partition(":")[0]
    return f"{scheme}://{user}@{host}"


class PostgresDatabase:
    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        migrate: bool = True,
        lazy: bool = False,
    ) -> None:
        self.url = url
        self.min_size = min_size
        self.max_size = max_size
        self.migrate = migrate
        self.lazy = lazy
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None

    async def open(self) -> PostgresDatabase:
        from bot.adapters.postgres.migrations import apply_migrations

        try:
            pool = await asyncpg.create_pool(
                self.url, min_size=self.min_size, max_size=self.max_size, command_timeout=60
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StorageError(f"cannot connect to {redacted(self.url)}: {exc}") from exc
        assert pool is not None
        self._pool = pool
        if self.migrate:
            async with self.connection() as conn:
                await apply_migrations(conn)
        logger.info("PostgreSQL store open at %s", redacted(self.url))
        return self

    async def _ready(self) -> asyncpg.Pool:
        if self._pool is None:
            if not self.lazy:
                raise StorageError("the database is not open")
            if self._opening is None:
                self._opening = asyncio.Lock()
            async with self._opening:
                if self._pool is None:
                    await self.open()
        assert self._pool is not None
        return self._pool

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; database errors become StorageError."""
        pool = await self._ready()
        try:
            async with pool.acquire() as conn:
                yield conn
        except DATABASE_ERRORS as exc:
            logger.error("PostgreSQL error: %s", exc)
            raise StorageError(f"database error: {exc}") from exc

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection inside a transaction (committed on success)."""
        async with self.connection() as conn, conn.transaction():
            yield conn

    async def probe(self) -> None:
        """A round trip to the server: raises StorageError when it cannot be reached."""
        async with self.connection() as conn:
            await conn.fetchval("SELECT 1")

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    def terminate(self) -> None:
        """Close without waiting (from synchronous code, or another event loop)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()
