"""Desk fixtures: a real app with agents created through the real store."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from channels.keys import AGENTS

PASSWORD = "correct horse battery"


@pytest.fixture
def desk_settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(business_hours="always", auto_assign=False)


@pytest.fixture
async def desk_client(aiohttp_client: Any, desk_settings: Settings) -> TestClient:
    return await aiohttp_client(create_app(desk_settings))


AddAgent = Callable[..., Awaitable[str]]


@pytest.fixture
def add_agent(desk_client: TestClient) -> AddAgent:
    """Create an agent, log in, optionally go online; returns the Bearer token."""

    async def add(
        email: str = "ana@shop.example",
        name: str = "Ana",
        role: str = "agent",
        languages: tuple[str, ...] = ("en", "pt"),
        online: bool = True,
        max_chats: int = 3,
    ) -> str:
        agent = new_agent(email, name, role, languages, (), max_chats)
        await desk_client.app[AGENTS].save(agent, hash_password(PASSWORD), time.time())
        resp = await desk_client.post(
            "/api/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert resp.status == 200, await resp.text()
        token: str = (await resp.json())["token"]
        if online:
            resp = await desk_client.post(
                "/api/agents/me/status", json={"status": "online"}, headers=auth(token)
            )
            assert resp.status == 200
        return token

    return add


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
