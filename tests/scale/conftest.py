"""Scale-out fixtures: a private Redis channel prefix per test (the fresh PostgreSQL database,
`pg_url`, is in tests/conftest.py: the warehouse's tests use it too).

Redis defaults to this machine's (127.0.0.1:6379); BALCAO_TEST_REDIS points elsewhere.
Tests are skipped, with the reason, when a service cannot be reached.
"""

from __future__ import annotations

import asyncio
import os
import secrets

import pytest

REDIS = os.environ.get("BALCAO_TEST_REDIS", "redis://127.0.0.1:6379/0")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "redis: needs a Redis server (BALCAO_TEST_REDIS)")


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
