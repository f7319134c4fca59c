"""Two server processes on one Redis share the ratings allowance: a flood split between
them stops at one conversation's limit, not at twice it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from bot.app import create_app
from bot.config import Settings

pytestmark = pytest.mark.redis


async def test_feedback_limits_are_shared_by_processes_on_redis(
    aiohttp_client: Any, make_settings: Callable[..., Settings], redis_url: str
) -> None:
    settings = make_settings(redis=redis_url, feedback_per_minute=10)
    first = await aiohttp_client(create_app(settings))
    second = await aiohttp_client(create_app(settings))
    response = await first.post("/webhooks/rest/webhook", json={"sender": "v", "message": "hi"})
    assert response.status == 200
    body = {"conversation": "v", "channel": "rest", "rating": 2}
    responses = await asyncio.gather(
        *(c.post("/api/feedback", json=body) for _ in range(50) for c in (first, second))
    )
    assert [r.status for r in responses].count(201) == 10
