"""SqliteConversationStore on a real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.sqlite.conversations import SqliteConversationStore, migrations
from bot.adapters.sqlite.database import SqliteDatabase
from bot.core import events as ev
from bot.core.events import Event
from bot.errors import StorageError


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    db = await SqliteDatabase(tmp_path / "store.sqlite3", [migrations]).open()
    yield db
    await db.close()


@pytest.fixture
def store(database: SqliteDatabase) -> SqliteConversationStore:
    return SqliteConversationStore(database)


def said(text: str, ts: float = 1.0) -> Event:
    return ev.user_said(text, ts)


async def test_appended_events_get_consecutive_seq_numbers(store: SqliteConversationStore) -> None:
    first = await store.append("c1", [said("a"), said("b")], sender="s", channel="web")
    second = await store.append("c1", [said("c")], sender="s", channel="web")
    assert [e.seq for e in first + second] == [1, 2, 3]
    loaded = await store.load("c1")
    assert [(e.seq, e.data["text"]) for e in loaded] == [(1, "a"), (2, "b"), (3, "c")]


async def test_event_data_round_trips_unicode_and_structures(
    store: SqliteConversationStore,
) -> None:
    event = ev.bot_said("Olá, ¿qué tal? 😀", 5.5, buttons=[{"title": "Sí", "payload": "/yes"}])
    await store.append("c1", [event], sender="s", channel="web")
    [loaded] = await store.load("c1")
    assert loaded == event.with_seq(1)


async def test_conversation_info_tracks_sender_channel_language(
    store: SqliteConversationStore,
) -> None:
    await store.append(
        "c1",
        [said("a", 10.0), Event(ev.LANGUAGE, {"language": "pt"}, 11.0)],
        sender="s",
        channel="rest",
    )
    info = await store.info("c1")
    assert info is not None
    assert (info.sender, info.channel, info.language) == ("s", "rest", "pt")
    assert (info.created_at, info.updated_at) == (10.0, 11.0)
    assert await store.info("nope") is None


async def test_list_conversations_newest_first(store: SqliteConversationStore) -> None:
    await store.append("old", [said("a", 1.0)], sender="s", channel="web")
    await store.append("new", [said("b", 2.0)], sender="s", channel="web")
    assert [c.conversation_id for c in await store.list_conversations()] == ["new", "old"]


async def test_concurrent_appends_never_share_a_seq(store: SqliteConversationStore) -> None:
    await asyncio.gather(
        *(
            store.append("c1", [said(str(i)), said(str(i))], sender="s", channel="web")
            for i in range(20)
        )
    )
    seqs = [e.seq for e in await store.load("c1")]
    assert seqs == list(range(1, 41))


async def test_events_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    db = await SqliteDatabase(path, [migrations]).open()
    await SqliteConversationStore(db).append("c1", [said("kept")], sender="s", channel="web")
    await db.close()
    db = await SqliteDatabase(path, [migrations]).open()
    assert [e.data["text"] for e in await SqliteConversationStore(db).load("c1")] == ["kept"]
    await db.close()


async def test_a_failed_append_writes_nothing(
    store: SqliteConversationStore, database: SqliteDatabase
) -> None:
    await store.append("c1", [said("a")], sender="s", channel="web")

    def break_next_insert(db: object) -> None:
        database._db.execute(  # type: ignore[union-attr]
            "CREATE TRIGGER no_b BEFORE INSERT ON events WHEN json_extract(NEW.data, '$.text') = 'b'"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )

    await database.run(break_next_insert)
    with pytest.raises(StorageError):
        await store.append("c1", [said("ok"), said("b")], sender="s", channel="web")
    loaded = await store.load("c1")
    assert [e.data["text"] for e in loaded] == ["a"]
    info = await store.info("c1")
    assert info is not None
    assert (await store.append("c1", [said("c")], sender="s", channel="web"))[0].seq == 2


async def test_waiting_appends_share_one_transaction(
    store: SqliteConversationStore, database: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops = 0
    run = database.run

    async def counting_run(fn: Any) -> Any:
        nonlocal hops
        hops += 1
        return await run(fn)

    monkeypatch.setattr(database, "run", counting_run)
    stored = await asyncio.gather(
        *(store.append(f"c{i}", [said(str(i))], sender="s", channel="web") for i in range(50))
    )
    assert hops <= 2  # the first append's own batch, then everything that queued behind it
    assert [[e.seq for e in events] for events in stored] == [[1]] * 50
    for i in range(50):
        assert [e.data["text"] for e in await store.load(f"c{i}")] == [str(i)]


async def test_a_failed_append_does_not_fail_the_others_of_its_batch(
    store: SqliteConversationStore, database: SqliteDatabase
) -> None:
    def refuse_b(db: object) -> None:
        database._db.execute(  # type: ignore[union-attr]
            "CREATE TRIGGER no_b BEFORE INSERT ON events WHEN json_extract(NEW.data, '$.text') = 'b'"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )

    await database.run(refuse_b)
    results = await asyncio.gather(
        store.append("c1", [said("a")], sender="s", channel="web"),
        store.append("c2", [said("ok"), said("b")], sender="s", channel="web"),
        store.append("c3", [said("c")], sender="s", channel="web"),
        return_exceptions=True,
    )
    assert isinstance(results[1], StorageError)
    assert [e.data["text"] for e in await store.load("c1")] == ["a"]
    assert await store.load("c2") == [] and await store.info("c2") is None
    assert [e.data["text"] for e in await store.load("c3")] == ["c"]


async def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    for _ in range(2):
        db = await SqliteDatabase(path, [migrations]).open()
        await db.close()
    rows = (
        sqlite3.connect(path)
        .execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'conversations'")
        .fetchall()
    )
    assert rows == [("m001_conversations_and_events",)]
