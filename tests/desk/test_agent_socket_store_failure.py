"""The agent console's socket outlives a store that fails (#18): the action that needed the
store is answered with an `unavailable` error frame that names nothing of the database, the
socket stays open and serves the next action, and the login recheck goes on afterwards.

The store fails for real: the PostgreSQL database stops taking connections and its
connections are dropped (`ALLOW_CONNECTIONS false`, then `pg_terminate_backend`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from channels.keys import AGENTS
from tests.channels.test_widget import receive
from tests.conftest import _admin
from tests.desk.test_agent_socket import closed_with

pytestmark = pytest.mark.postgres
PASSWORD = "correct horse battery"
RECHECK_S = 0.2


class Outage:
    """Takes the test database down (no new connections, the open ones dropped) and back."""

    def __init__(self, pg_url: str) -> None:
        self.name = pg_url.rsplit("/", 1)[1]

    async def start(self) -> None:
        await _admin(f"ALTER DATABASE {self.name} ALLOW_CONNECTIONS false")
        await _admin(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.name}'"
        )

    async def end(self) -> None:
        await _admin(f"ALTER DATABASE {self.name} ALLOW_CONNECTIONS true")


@pytest.fixture
async def outage(pg_url: str) -> AsyncIterator[Outage]:
    down = Outage(pg_url)
    try:
        yield down
    finally:
        await down.end()  # the database is dropped afterwards: it must take connections


@pytest.fixture
async def console(
    aiohttp_client: Any, make_settings: Callable[..., Settings], pg_url: str
) -> tuple[TestClient, str]:
    settings = make_settings(
        database=pg_url, business_hours="always", auto_assign=False,
        agent_recheck_seconds=RECHECK_S,
    )  # fmt: skip
    client = await aiohttp_client(create_app(settings))
    agent = new_agent("ana@shop.example", "Ana", "agent", ("en",), (), 3)
    await client.app[AGENTS].save(agent, hash_password(PASSWORD), time.time())
    resp = await client.post("/api/auth/login", json={"email": agent.email, "password": PASSWORD})
    return client, (await resp.json())["token"]


async def authenticated(client: TestClient, token: str) -> ClientWebSocketResponse:
    ws = await client.ws_connect("/api/agent/ws")
    await ws.send_json({"type": "auth", "token": token})
    await receive(ws, "ready")
    await receive(ws, "queue")
    return ws


async def test_a_failing_store_fails_the_action_not_the_console_socket(
    console: tuple[TestClient, str], outage: Outage
) -> None:
    client, token = console
    ws = await authenticated(client, token)
    await outage.start()
    await ws.send_json({"type": "watch", "handoff_id": 1})
    error = await receive(ws, "error")
    assert error["code"] == "unavailable"
    assert outage.name not in error["message"] and "database" not in error["message"]
    await outage.end()
    await ws.send_json({"type": "watch", "handoff_id": 1})  # the same socket, served again
    assert (await receive(ws, "error"))["code"] == "not_found"  # the store answered
    assert not ws.closed
    await ws.close()


async def test_the_login_recheck_goes_on_after_the_store_failed(
    console: tuple[TestClient, str], outage: Outage
) -> None:
    """The recheck failed during the outage; once the store is back, a session ended in the
    store (nobody announcing it) still closes the socket at the next recheck."""
    client, token = console
    ws = await authenticated(client, token)
    await outage.start()
    await asyncio.sleep(RECHECK_S * 3)  # rechecks fail meanwhile
    await outage.end()
    await client.app[AGENTS].end_session(token)
    code, _ = await closed_with(ws, wait=RECHECK_S * 20)
    assert code == 4401
