"""The AnalyticsStore port on SQLite and on PostgreSQL: the same conversations in the same
batches, the same suggestions left once an admin decided on one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.postgres import (
    PostgresAnalyticsStore,
    PostgresAuditLog,
    PostgresConversationStore,
    PostgresDatabase,
)
from bot.adapters.sqlite.analytics import SqliteAnalyticsStore
from bot.adapters.sqlite.audit import SqliteAuditLog
from bot.adapters.sqlite.conversations import SqliteConversationStore
from bot.adapters.sqlite.database import SqliteDatabase
from bot.app import MIGRATIONS
from bot.core.events import LANGUAGE, SUGGESTION, USER, Event
from bot.ports import AnalyticsStore, AuditLog, ConversationStore

Stores = tuple[ConversationStore, AuditLog, AnalyticsStore]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store of each kind: a SQLite file's path or a PostgreSQL database's URL."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "analytics.sqlite3")


@pytest.fixture
async def stores(where: str) -> AsyncIterator[Stores]:
    """A conversation store, an audit log and an analytics store reading two conversations
    a batch, on one database."""
    if not where.startswith("postgresql:"):
        db = await SqliteDatabase(where, MIGRATIONS).open()
        yield SqliteConversationStore(db), SqliteAuditLog(db), SqliteAnalyticsStore(db, batch=2)
        await db.close()
    else:
        pg = await PostgresDatabase(where).open()
        yield (
            PostgresConversationStore(pg),
            PostgresAuditLog(pg),
            PostgresAnalyticsStore(pg, batch=2),
        )
        await pg.close()


async def test_logs_come_in_start_order_across_batches_within_the_range(stores: Stores) -> None:
    conversations, _, analytics = stores
    # two conversations start at the same instant: the id breaks the tie across a batch
    for cid, at in (("web:e", 50.0), ("web:a", 10.0), ("web:c", 30.0), ("web:b", 30.0)):
        await conversations.append(
            cid, [Event(USER, {"text": cid}, at), Event(LANGUAGE, {"language": "pt"}, at + 1)],
            sender=cid, channel="web",
        )  # fmt: skip
    await conversations.append("rest:d", [Event(USER, {"text": "d"}, 40.0)], sender="d", channel="")
    logs = await analytics.logs(10.0, 50.0)
    assert [log.conversation_id for log in logs] == ["web:a", "web:b", "web:c", "rest:d"]
    assert [e.data for e in logs[0].events] == [{"text": "web:a"}, {"language": "pt"}]
    assert [e.seq for e in logs[0].events] == [1, 2]
    assert (logs[0].channel, logs[0].language) == ("web", "pt")
    assert (logs[3].channel, logs[3].language) == ("", None)
    streamed = [log.conversation_id async for log in analytics.stream_logs(0.0, 40.0)]
    assert streamed == ["web:a", "web:b", "web:c"]
    assert await analytics.logs(60.0, 90.0) == []


async def test_suggestions_are_newest_first_until_an_admin_decides(stores: Stores) -> None:
    conversations, audit, analytics = stores
    await conversations.append(
        "web:s",
        [
            Event(LANGUAGE, {"language": "es"}, 1.0),
            Event(SUGGESTION, {"text": "sell gift cards", "entry": "gifts"}, 2.0),
            Event(SUGGESTION, {"text": "open on sundays", "entry": 7}, 3.0),
            Event(SUGGESTION, {"text": ""}, 4.0),  # nothing said: not listed
        ],
        sender="s",
        channel="web",
    )
    listed = await analytics.suggestions()
    assert [(s.text, s.entry, s.language, s.timestamp) for s in listed] == [
        ("open on sundays", None, "es", 3.0),
        ("sell gift cards", "gifts", "es", 2.0),
    ]
    assert [s.text for s in await analytics.suggestions(limit=2)] == ["open on sundays"]
    first = listed[1]
    assert await analytics.suggestion(first.id) == first
    await audit.record(
        at=5.0, actor="ana@shop.example", action="suggestion.accepted", subject=f"event:{first.id}"
    )
    assert [s.text for s in await analytics.suggestions()] == ["open on sundays"]
    assert await analytics.suggestion(first.id) is None
    assert await analytics.suggestion(10**9) is None
