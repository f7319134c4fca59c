"""The app on PostgreSQL in one process: SQLite-only features answer 501, not 500; goodwill
is a service over the customer store port, so it runs on PostgreSQL too."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from channels.keys import AGENTS
from tests.scale.servers import ROOT

pytestmark = pytest.mark.postgres
PASSWORD = "correct horse battery"


async def test_analytics_answers_501_and_goodwill_runs_on_postgresql(
    aiohttp_client: Any, make_settings: Callable[..., Settings], pg_url: str
) -> None:
    client = await aiohttp_client(create_app(make_settings(database=pg_url)))
    admin = new_agent("root@shop.example", "Root", "admin", ("en",), (), 3)
    await client.app[AGENTS].save(admin, hash_password(PASSWORD), time.time())
    resp = await client.post("/api/auth/login", json={"email": admin.email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {(await resp.json())['token']}"}
    for method, path in (
        ("GET", "/api/analytics/summary"),
        ("GET", "/api/analytics/suggestions"),
    ):
        resp = await client.request(method, path, headers=headers, json={})
        assert resp.status == 501, (path, await resp.text())
        assert (await resp.json())["error"]["code"] == "sqlite_only"
    body = {"kind": "credit", "amount": "5"}
    resp = await client.post("/api/handoffs/1/goodwill", headers=headers, json=body)
    assert resp.status == 404, await resp.text()  # no such handoff: the service ran
    resp = await client.post("/webhooks/rest/webhook", json={"sender": "s1", "message": "hello"})
    assert resp.status == 200 and (await resp.json())[0]["text"]


def test_retention_days_are_refused_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--database", pg_url, "--retention-days", "30",
         "--db", str(tmp_path / "x.sqlite3"), "--kb", "tests/fixtures/kb", "--port", "0",
         "--actions-package", "tests.support.echo_actions"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "balcao: BALCAO_RETENTION_DAYS works with SQLite only for now" in done.stderr
