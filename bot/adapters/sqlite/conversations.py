"""SqliteConversationStore: the event log of every conversation."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.adapters import conversation_rows as shared
from bot.adapters.sqlite.database import GroupCommit, SqliteDatabase
from bot.core.events import Event
from bot.ports import ConversationInfo

migrations = Migrations("conversations")


@migrations()
def m001_conversations_and_events(db: sqlite_utils.Database) -> None:
    db.table("conversations").create(
        {
            "id": str,
            "sender": str,
            "channel": str,
            "language": str,
            "created_at": float,
            "updated_at": float,
            "last_seq": int,
        },
        pk="id",
    )
    db.table("conversations").create_index(["updated_at"])
    db.table("events").create(
        {
            "id": int,
            "conversation_id": str,
            "seq": int,
            "kind": str,
            "data": str,
            "timestamp": float,
        },
        pk="id",
        foreign_keys=[("conversation_id", "conversations", "id")],
    )
    db.table("events").create_index(["conversation_id", "seq"], unique=True)
    db.table("events").create_index(["kind", "timestamp"])


_INSERT_EVENTS = (
    "INSERT INTO events (conversation_id, seq, kind, data, timestamp) VALUES (?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class _Append:
    conversation_id: str
    events: Sequence[Event]
    sender: str
    channel: str


def _write(conn: sqlite3.Connection, append: _Append) -> list[Event]:
    """On the database thread, inside the group commit's transaction."""
    events = append.events
    language = shared.language_of(events)
    [(last,)] = conn.execute(
        shared.RESERVE,
        (
            append.conversation_id,
            append.sender,
            append.channel,
            language,
            events[0].timestamp,
            events[-1].timestamp,
            len(events),
        ),
    ).fetchall()
    first = last - len(events)
    stored = [e.with_seq(first + i) for i, e in enumerate(events, start=1)]
    conn.executemany(
        _INSERT_EVENTS,
        [
            (
                append.conversation_id,
                e.seq,
                e.kind,
                json.dumps(e.data, ensure_ascii=False),
                e.timestamp,
            )
            for e in stored
        ],
    )
    return stored


class SqliteConversationStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database
        self._appends = GroupCommit(database, _write)

    async def append(
        self, conversation_id: str, events: Sequence[Event], *, sender: str, channel: str
    ) -> list[Event]:
        """Appends of many conversations waiting at once share one transaction."""
        if not events:
            return []
        return await self._appends.submit(_Append(conversation_id, tuple(events), sender, channel))

    async def load(self, conversation_id: str) -> list[Event]:
        def read(db: sqlite_utils.Database) -> list[Event]:
            rows = db.execute(shared.EVENTS_OF, [conversation_id]).fetchall()
            return [shared.event_row(r) for r in rows]

        return await self.database.run(read)

    async def info(self, conversation_id: str) -> ConversationInfo | None:
        def read(db: sqlite_utils.Database) -> ConversationInfo | None:
            row = db.execute(shared.INFO_SELECT + " WHERE id = ?", [conversation_id]).fetchone()
            return shared.info_row(row) if row else None

        return await self.database.run(read)

    async def list_conversations(
        self, *, limit: int = 50, offset: int = 0
    ) -> list[ConversationInfo]:
        def read(db: sqlite_utils.Database) -> list[ConversationInfo]:
            rows = db.execute(
                shared.INFO_SELECT + " ORDER BY updated_at DESC LIMIT ? OFFSET ?", [limit, offset]
            ).fetchall()
            return [shared.info_row(r) for r in rows]

        return await self.database.run(read)
