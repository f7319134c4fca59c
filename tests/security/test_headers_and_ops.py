"""What the staff pages, /metrics and /health give away (issue #15, low findings):
no security headers on /console and /admin, /metrics always public, /health showing
absolute paths of the server's disk."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from bot.understanding.matching import FuzzyMatcher
from tests.services.test_reloader import touch_later


async def _client(aiohttp_client: Any, settings: Settings) -> TestClient:
    client: TestClient = await aiohttp_client(create_app(settings, matcher_factory=FuzzyMatcher))
    return client


@pytest.mark.parametrize("page", ["/console", "/admin"])
async def test_staff_pages_send_security_headers(app_client: TestClient, page: str) -> None:
    response = await app_client.get(page)
    assert response.status == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_metrics_are_open_by_default(app_client: TestClient) -> None:
    response = await app_client.get("/metrics")
    assert response.status == 200
    assert "balcao_messages_total" in await response.text()


async def test_metrics_can_require_a_token(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await _client(aiohttp_client, make_settings(metrics_token="scrape-me-please"))
    assert (await client.get("/metrics")).status == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status == 401
    assert (await wrong.json())["error"]["code"] == "unauthorized"
    right = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"})
    assert right.status == 200


async def test_metrics_can_be_turned_off(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await _client(aiohttp_client, make_settings(metrics=False))
    response = await client.get("/metrics")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_health_names_a_broken_knowledge_file_without_its_absolute_path(
    aiohttp_client: Any, make_settings: Callable[..., Settings], kb_dir: Path
) -> None:
    client = await _client(aiohttp_client, make_settings())
    path = kb_dir / "en" / "returns.md"
    path.write_text("---\nid: returns\n---\n", encoding="utf-8")
    touch_later(path)
    body: dict[str, Any] = {}
    for _ in range(100):
        body = await (await client.get("/health")).json()
        if body["knowledge"]["last_error"]:
            break
        await asyncio.sleep(0.05)
    error = body["knowledge"]["last_error"]
    assert error and error.startswith("en/returns.md")
    assert str(kb_dir) not in str(body) and not error.startswith("/")
