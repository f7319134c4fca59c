"""Security fixtures: a real app (fast matcher), agents made through the real store, tokens."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from bot.understanding.matching import FuzzyMatcher
from channels.keys import AGENTS

PASSWORD = "correct horse battery staple"
SECRET = "s3rver-secret-for-identity-hashes"

Login = Callable[..., Awaitable[str]]


@pytest.fixture
def security_settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(business_hours="always", auto_assign=False, secret=SECRET)


@pytest.fixture
async def app_client(aiohttp_client: Any, security_settings: Settings) -> TestClient:
    return await aiohttp_client(create_app(security_settings, matcher_factory=FuzzyMatcher))


async def make_agent(
    client: TestClient,
    email: str,
    role: str = "agent",
    *,
    online: bool = True,
    max_chats: int = 3,
) -> str:
    """Create an agent through the store, log in over HTTP, go online; the Bearer token."""
    name = email.split("@")[0].title()
    agent = new_agent(email, name, role, ("en", "pt"), (), max_chats)
    await client.app[AGENTS].save(agent, hash_password(PASSWORD), time.time())
    response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status == 200, await response.text()
    token: str = (await response.json())["token"]
    if online:
        response = await client.post(
            "/api/agents/me/status", json={"status": "online"}, headers=bearer(token)
        )
        assert response.status == 200, await response.text()
    return token


@pytest.fixture
def login(app_client: TestClient) -> Login:
    async def make(email: str = "ana@shop.example", role: str = "agent", **kwargs: Any) -> str:
        return await make_agent(app_client, email, role, **kwargs)

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
