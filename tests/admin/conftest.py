"""Admin fixtures: a real app with a real admin (and a plain agent) logged in, once on each
store (SQLite and PostgreSQL): the dashboard API, analytics, drafts and suggestions are
checked for parity."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from channels.keys import AGENTS
from tests.browser.conftest import browser as browser
from tests.browser.conftest import server as server

PASSWORD = "correct horse battery"


async def add_agent(client: TestClient, email: str, role: str) -> dict[str, str]:
    store = client.app[AGENTS]
    await store.save(
        new_agent(email, email.split("@")[0].title(), role), hash_password(PASSWORD), time.time()
    )
    response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status == 200, await response.text()
    token = (await response.json())["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def admin_client(
    aiohttp_client: Any, make_settings: Callable[..., Settings], store_overrides: dict[str, Any]
) -> TestClient:
    return await aiohttp_client(create_app(make_settings(**store_overrides)))


@pytest.fixture
async def admin_headers(admin_client: TestClient) -> dict[str, str]:
    return await add_agent(admin_client, "ana@example.com", "admin")


@pytest.fixture
async def agent_headers(admin_client: TestClient) -> dict[str, str]:
    return await add_agent(admin_client, "rui@example.com", "agent")
