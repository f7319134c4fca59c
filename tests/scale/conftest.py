"""Scale-out fixtures: a fresh PostgreSQL database and a private Redis channel prefix per test.

The services default to this machine's (PostgreSQL on 127.0.0.1:5432 with trust auth,
Redis on 127.0.0.1:6379); BALCAO_TEST_POSTGRES and BALCAO_TEST_REDIS point elsewhere.
Tests are skipped, with the reason, when a service cannot be reached.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

POSTGRES = os.environ.get("BALCAO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BALCAO_TEST_REDIS", "redis://127.0.0.1:6379/0")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs a PostgreSQL server (BALCAO_TEST_POSTGRES)")
    config.addinivalue_line("markers", "redis: needs a Redis server (BALCAO_TEST_REDIS)")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    name = f"balcao_test_{secrets.token_hex(6)}"
    try:
        asyncio.run(_admin(f"CREATE DATABASE {name}"))
    except (OSError, ConnectionError) as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES}: {exc}. Start it (README: Running as"
            " several processes) or point BALCAO_TEST_POSTGRES at one."
        )
    try:
        yield _with_database(POSTGRES, name)
    finally:
        asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def _ping(url: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        await client.ping()
    finally:
        await client.aclose()


@pytest.fixture
def redis_url() -> str:
    """The Redis URL with a channel prefix of this test's own."""
    try:
        asyncio.run(_ping(REDIS))
    except (OSError, ConnectionError) as exc:
        pytest.fail(
            f"Redis is not reachable at {REDIS}: {exc}. Start it (README: Running as several"
            " processes) or point BALCAO_TEST_REDIS at one."
        )
    return f"{REDIS}?channel_prefix=balcao-test-{secrets.token_hex(6)}:"
