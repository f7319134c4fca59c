"""Fixtures that build real things: settings from a dict, a real SQLite file, a real app."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from tests.support.logs import own_logging_handlers  # noqa: F401  (autouse: every test owns its handlers)

# The suite runs the lexical engine, in process and in the servers it starts: the
# sentence encoder costs seconds per knowledge base and milliseconds per message.
# tests/understanding/test_encoder.py and the tests that ask for it run it for real.
os.environ.setdefault("BALCAO_ENCODER", "off")

FIXTURES = Path(__file__).parent / "fixtures"
TEST_ACTIONS = "tests.support.echo_actions"


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A private copy of the small test knowledge base, safe to edit."""
    target = tmp_path / "kb"
    shutil.copytree(FIXTURES / "kb", target)
    return target


@pytest.fixture
def make_settings(tmp_path: Path, kb_dir: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "db": tmp_path / "balcao.sqlite3",
            "kb": kb_dir,
            "actions_package": TEST_ACTIONS,
            "kb_poll_seconds": 0.1,
            "encoder": os.environ["BALCAO_ENCODER"],
        }
        values.update(overrides)
        return Settings.from_env({}, **values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings) -> TestClient:
    return await aiohttp_client(create_app(settings))


# PostgreSQL on this machine (127.0.0.1:5432, trust auth) unless BALCAO_TEST_POSTGRES says
POSTGRES = os.environ.get("BALCAO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


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


# --- parity: one test, both stores -------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store a parity test runs on: each such test runs once on each."""
    return str(request.param)


@pytest.fixture
def store_overrides(store_kind: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings that name the store: the SQLite file (make_settings' default) or a fresh
    PostgreSQL database."""
    if store_kind == "postgres":
        return {"database": request.getfixturevalue("pg_url")}
    return {}
