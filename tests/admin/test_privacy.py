"""customer export / forget and retention apply on a real SQLite file, with the audit trail."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bot.adapters.sqlite.analytics import SqliteAnalyticsStore
from bot.adapters.sqlite.audit import audit_records
from bot.adapters.sqlite.audit import migrations as audit_migrations
from bot.adapters.sqlite.conversations import SqliteConversationStore
from bot.adapters.sqlite.conversations import migrations as conversation_migrations
from bot.adapters.sqlite.customers import migrations as customer_migrations
from bot.adapters.sqlite.database import SqliteDatabase, connect
from bot.cli.program import main
from bot.core.events import Event

OLD = time.time() - 40 * 86_400
NEW = time.time() - 3_600


@pytest.fixture
async def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "balcao.sqlite3"
    database = await SqliteDatabase(path, (conversation_migrations, customer_migrations)).open()
    store = SqliteConversationStore(database)
    await store.append(
        "web:s1",
        [
            Event("user", {"text": "my order 1001, email me@example.com", "decision": "unknown", "metadata": {"ip": "x"}}, OLD),
            Event("slot", {"name": "customer_id", "value": "C1"}, OLD),
            Event("bot", {"text": "Your order is on its way", "entry": "order-status"}, OLD),
        ],
        sender="s1", channel="web",
    )  # fmt: skip
    await store.append(
        "web:s2", [Event("user", {"text": "hello", "decision": "answer", "entry": "greeting"}, NEW)],
        sender="s2", channel="web",
    )  # fmt: skip
    await store.append(
        "web:s3", [Event("user", {"text": "another customer", "decision": "answer"}, NEW),
                   Event("slot", {"name": "customer_id", "value": "C2"}, NEW)],
        sender="s3", channel="web",
    )  # fmt: skip
    await database.close()
    db = connect(path)
    db["customers"].insert_all(
        [  # type: ignore[union-attr]
            {"customer_id": "C1", "name": "Maria", "email": "me@example.com"},
            {"customer_id": "C2", "name": "João", "email": "j@example.com"},
        ]
    )
    db["orders"].insert_all(
        [{"order_id": "1001", "customer_id": "C1"}, {"order_id": "2002", "customer_id": "C2"}]
    )  # type: ignore[union-attr]
    db["order_items"].insert_all(
        [
            {"order_id": "1001", "sku": "MUG", "quantity": 1},
            {"order_id": "2002", "sku": "MUG", "quantity": 2},
        ]
    )  # type: ignore[union-attr]
    db.close()
    return path


def test_customer_export_has_rows_and_conversations(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "c1.json"
    assert main(["customer", "export", "C1", "--db", str(db_path), "--out", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["tables"]["customers"] == [
        {"customer_id": "C1", "name": "Maria", "email": "me@example.com", "phone": None, "language": None,
         "postcode": None, "created_at": None, "account_manager": None, "extra": None}
    ]  # fmt: skip
    assert [r["order_id"] for r in document["tables"]["orders"]] == ["1001"]
    assert [r["sku"] for r in document["tables"]["order_items"]] == ["MUG"]
    assert [c["id"] for c in document["conversations"]] == ["web:s1"]
    assert [e["kind"] for e in document["conversations"][0]["events"]] == ["user", "slot", "bot"]
    db = connect(db_path, (audit_migrations,))
    [record] = audit_records(db, "customer:C1")
    assert (record["action"], record["details"]["conversations"]) == ("customer.export", 1)


def test_customer_forget_erases_only_that_customer(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["customer", "forget", "C1", "--db", str(db_path), "--by", "dpo"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "forgot customer C1: 1 conversations, 1 customers, 3 events, 1 order_items, 1 orders",
        "no warehouse export holds them",
    ]
    db = connect(db_path, (audit_migrations,))
    assert [r[0] for r in db.execute("SELECT customer_id FROM customers")] == ["C2"]
    assert [r[0] for r in db.execute("SELECT id FROM conversations ORDER BY id")] == [
        "web:s2",
        "web:s3",
    ]
    assert [r[0] for r in db.execute("SELECT order_id FROM order_items")] == ["2002"]
    [record] = audit_records(db, "customer:C1")
    assert (record["action"], record["actor"]) == ("customer.forget", "dpo")


def test_unknown_customer_is_bad_usage(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["customer", "export", "NOPE", "--db", str(db_path)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "balcao: no data about customer 'NOPE'"
    )


def test_retention_blanks_old_text_and_keeps_analytics(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["retention", "apply", "--days", "30", "--db", str(db_path)]) == 0
    assert capsys.readouterr().out.strip() == (
        "blanked the text of 2 events older than 30 days in 1 conversations"
    )
    db = connect(db_path, (audit_migrations,))
    rows = db.execute(
        "SELECT kind, data FROM events WHERE conversation_id = 'web:s1' ORDER BY seq"
    ).fetchall()
    assert [(k, json.loads(d)) for k, d in rows] == [
        ("user", {"text": "", "decision": "unknown", "redacted": True}),
        ("slot", {"name": "customer_id", "value": "C1"}),
        ("bot", {"text": "", "entry": "order-status", "redacted": True}),
    ]
    recent = db.execute("SELECT data FROM events WHERE conversation_id = 'web:s2'").fetchone()[0]
    assert json.loads(recent)["text"] == "hello"
    assert main(["retention", "apply", "--days", "30", "--db", str(db_path)]) == 0
    assert "blanked the text of 0 events" in capsys.readouterr().out


async def test_the_store_streams_conversations_by_time_range_in_batches(db_path: Path) -> None:
    database = await SqliteDatabase(db_path).open()
    try:
        store = SqliteAnalyticsStore(database, batch=1)
        recent = [log.conversation_id async for log in store.stream_logs(NEW - 10, NEW + 10)]
        everything = await store.logs(0, time.time() + 10)
    finally:
        await database.close()
    assert sorted(recent) == ["web:s2", "web:s3"]
    assert [log.conversation_id for log in everything][0] == "web:s1"
    assert len(everything) == 3
    assert [e.kind for e in everything[0].events] == ["user", "slot", "bot"]
