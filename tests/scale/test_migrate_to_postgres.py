"""`balcao migrate-to-postgres`: an SQLite store copied across, counted, idempotent."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.postgres import (
    PostgresAgentStore,
    PostgresConversationStore,
    PostgresCustomerStore,
    PostgresDatabase,
    PostgresHandoffStore,
)
from bot.adapters.sqlite.agents import SqliteAgentStore
from bot.adapters.sqlite.conversations import SqliteConversationStore
from bot.adapters.sqlite.customers import SqliteCustomerStore
from bot.adapters.sqlite.database import SqliteDatabase
from bot.adapters.sqlite.handoffs import SqliteHandoffStore
from bot.app import MIGRATIONS
from bot.core.agents import hash_password, new_agent
from bot.core.customers import ServiceRequest
from bot.core.events import BOT, USER, Event
from bot.core.handoff import Handoff
from tests.scale.servers import ROOT
from tests.shop.factory import make_shop_db

pytestmark = pytest.mark.postgres


async def _fill(path: Path) -> None:
    """The shop fixture plus a conversation, an agent, a handoff and a service request."""
    make_shop_db(path)
    database = await SqliteDatabase(path, MIGRATIONS).open()
    try:
        conversations = SqliteConversationStore(database)
        for cid in ("web:one", "rest:two"):
            await conversations.append(
                cid,
                [
                    Event(USER, {"text": "olá ✓"}, 1.0),
                    Event(BOT, {"text": "hi", "buttons": []}, 2.0),
                ],
                sender=cid.split(":")[1],
                channel=cid.split(":")[0],
            )
        agent = new_agent("ana@shop.example", "Ana", "admin", ("en", "pt"), ("returns",), 4)
        await SqliteAgentStore(database).save(agent, hash_password("long enough pw"), 3.0)
        handoffs = SqliteHandoffStore(database)
        await handoffs.create(
            Handoff(
                id=0, conversation_id="web:one", sender="one", channel="web", reason="asked",
                language="pt", priority=2, created_at=4.0, skills=("returns",),
            )
        )  # fmt: skip
        await SqliteCustomerStore(database).record_request(
            ServiceRequest("R-1", "return", "O1", "C1", datetime(2026, 6, 1, tzinfo=UTC))
        )
    finally:
        await database.close()


def _migrate(db: Path, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "migrate-to-postgres", "--db", str(db), "--database", url],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def _counts(stdout: str) -> dict[str, int]:
    rows = (line.split("\t") for line in stdout.splitlines() if "\t" in line)
    return {table: int(n) for table, n in rows}


async def test_an_sqlite_store_is_copied_with_counts_and_a_second_run_changes_nothing(
    tmp_path: Path, pg_url: str
) -> None:
    path = tmp_path / "store.sqlite3"
    await _fill(path)
    first = _migrate(path, pg_url)
    assert first.returncode == 0, first.stderr
    counts = _counts(first.stdout)
    assert counts["conversations"] == 2 and counts["events"] == 4
    assert counts["agents"] == 1 and counts["handoffs"] == 1 and counts["service_requests"] == 1
    assert counts["customers"] >= 3 and counts["orders"] >= 1 and counts["order_items"] >= 1
    assert "audit" in counts  # the table exists (empty) in a store made by the app's migrations
    second = _migrate(path, pg_url)
    assert second.returncode == 0, second.stderr
    assert _counts(second.stdout) == counts

    sqlite = await SqliteDatabase(path, MIGRATIONS).open()
    postgres = await PostgresDatabase(pg_url).open()
    try:
        async with postgres.connection() as conn:
            for table, count in counts.items():
                assert await conn.fetchval(f"SELECT count(*) FROM {table}") == count, table
        assert await PostgresConversationStore(postgres).load("web:one") == (
            await SqliteConversationStore(sqlite).load("web:one")
        )
        assert await PostgresAgentStore(postgres).get("ana@shop.example") == (
            await SqliteAgentStore(sqlite).get("ana@shop.example")
        )
        [copied] = await PostgresHandoffStore(postgres).list()
        assert [copied] == await SqliteHandoffStore(sqlite).list()
        pg_shop, sq_shop = PostgresCustomerStore(postgres), SqliteCustomerStore(sqlite)
        assert await pg_shop.customer("C1") == await sq_shop.customer("C1")
        assert await pg_shop.orders_of("C1") == await sq_shop.orders_of("C1")
        assert await pg_shop.purchase_summaries() == await sq_shop.purchase_summaries()
        assert await pg_shop.products() == await sq_shop.products()
        # the copy goes on: new ids and seq numbers follow the copied ones
        more = await PostgresConversationStore(postgres).append(
            "web:one", [Event(USER, {"text": "again"}, time.time())], sender="one", channel="web"
        )
        assert more[0].seq == 3
        await PostgresHandoffStore(postgres).resolve(copied.id, None, time.time())
        fresh = await PostgresHandoffStore(postgres).create(
            Handoff(
                id=0, conversation_id="web:one", sender="one", channel="web", reason="asked",
                language="pt", priority=2, created_at=5.0,
            )
        )  # fmt: skip
        assert fresh.id > copied.id
    finally:
        await sqlite.close()
        await postgres.close()


def test_a_missing_file_or_database_is_one_clear_line(tmp_path: Path) -> None:
    done = _migrate(tmp_path / "nope.sqlite3", "postgresql://postgres@127.0.0.1:5432/test")
    assert done.returncode == 2
    assert done.stderr.strip() == f"balcao: {tmp_path / 'nope.sqlite3'}: no such SQLite file"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "migrate-to-postgres", "--db", str(tmp_path / "x")],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env={"PATH": ""},
    )  # fmt: skip
    assert done.returncode == 2 and "--database" in done.stderr


async def test_the_actions_read_orders_from_postgresql(tmp_path: Path, pg_url: str) -> None:
    import actions
    from actions.store import close, customer_store

    path = make_shop_db(tmp_path / "shop.sqlite3")
    assert _migrate(path, pg_url).returncode == 0
    sqlite = await SqliteDatabase(path, MIGRATIONS).open()
    actions.configure(tmp_path / "ignored.sqlite3", database_url=pg_url)
    try:
        store = customer_store()
        assert isinstance(store, PostgresCustomerStore)
        order = await store.order("100001")
        assert order is not None and order.tracking_code == "RM123456789GB"
        assert order == await SqliteCustomerStore(sqlite).order("100001")
        items = await store.items_of(["100001"])
        assert [i.sku for i in items] == ["CUP-SET", "TEA-BAS"]
    finally:
        close()
        await sqlite.close()
