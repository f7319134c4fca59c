"""The app on PostgreSQL in one process: analytics, the audit log, goodwill and retention
run there too (no 501s left), and `--db` beside a PostgreSQL store is refused (exit 2).
Parity of each feature's behaviour is checked in tests/parity/, against both stores."""

from __future__ import annotations

import os
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


async def test_analytics_and_goodwill_answer_on_postgresql(
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
        assert resp.status == 200, (path, await resp.text())
    body = {"kind": "credit", "amount": "5"}
    resp = await client.post("/api/handoffs/1/goodwill", headers=headers, json=body)
    assert resp.status == 404, await resp.text()  # no such handoff: the service ran
    resp = await client.post("/webhooks/rest/webhook", json={"sender": "s1", "message": "hello"})
    assert resp.status == 200 and (await resp.json())[0]["text"]


def test_db_beside_a_postgresql_store_is_refused_in_one_line(tmp_path: Path, pg_url: str) -> None:
    stale = tmp_path / "x.sqlite3"
    for argv in (
        ["serve", "--database", pg_url, "--db", str(stale), "--kb", "tests/fixtures/kb",
         "--port", "0"],
        ["customer", "forget", "C00001", "--db", str(stale)],
        ["customer", "export", "C00001", "--db", str(stale)],
        ["retention", "apply", "--days", "30", "--db", str(stale)],
        ["agents", "list", "--db", str(stale)],
    ):  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "bot", *argv], cwd=ROOT, capture_output=True, text=True,
            timeout=60, env={**os.environ, "BALCAO_DATABASE": pg_url},
        )  # fmt: skip
        assert done.returncode == 2, (argv, done.stderr)
        assert done.stderr.splitlines() == [
            "balcao: --db names an SQLite file but this deployment's store is PostgreSQL"
            " (BALCAO_DATABASE or --database): drop --db, or unset BALCAO_DATABASE"
        ], argv
    assert not stale.exists()


def test_retention_days_run_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    """The server starts with a retention schedule (it refused one before)."""
    from tests.scale.servers import free_port

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--database", pg_url, "--retention-days", "30",
             "--kb", "tests/fixtures/kb", "--port", str(port),
             "--actions-package", "tests.support.echo_actions"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "retention: blanked" not in log.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
        assert "retention: blanked 0 events older than 30 days" in log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=30)
