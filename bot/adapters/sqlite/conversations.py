"""SqliteConversationStore: the event log of every conversation."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.adapters.sqlite.database import GroupCommit, SqliteDatabase
from bot.core.events import LANGUAGE, Event
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


# One statement both creates the conversation's row (or updates it) and reserves
# the next len(events) seq numbers: no SELECT of last_seq before each append.
_RESERVE = """
INSERT INTO conversations AS c (id, sender, channel, language, created_at, updated_at, last_seq)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    last_seq = c.last_seq + excluded.last_seq,
    updated_at = excluded.updated_at,
    language = COALESCE(excluded.language, c.language)
RETURNING last_seq
"""
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
    language = next((e.data["language"] for e in reversed(events) if e.kind == LANGUAGE), None)
    [(last,)] = conn.execute(
        _RESERVE,
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
            rows = db.execute(
                "SELECT seq, kind, data, timestamp FROM events WHERE conversation_id = ?"
                " ORDER BY seq",
                [conversation_id],
            ).fetchall()
            return [Event(kind, json.loads(data), ts, seq) for seq, kind, data, ts in rows]

        return await self.database.run(read)

    async def info(self, conversation_id: str) -> ConversationInfo | None:
        def read(db: sqlite_utils.Database) -> ConversationInfo | None:
            row = db.execute(_INFO_SQL + " WHERE id = ?", [conversation_id]).fetchone()
            return _info(row) if row else None

        return await self.database.run(read)

    async def list_conversations(
        self, *, limit: int = 50, offset: int = 0
    ) -> list[ConversationInfo]:
        def read(db: sqlite_utils.Database) -> list[ConversationInfo]:
            rows = db.execute(
                _INFO_SQL + " ORDER BY updated_at DESC LIMIT ? OFFSET ?", [limit, offset]
            ).fetchall()
            return [_info(r) for r in rows]

        return await self.database.run(read)


_INFO_SQL = "SELECT id, sender, channel, created_at, updated_at, language FROM conversations"


def _info(row: Any) -> ConversationInfo:
    return ConversationInfo(row[0], row[1], row[2], row[3], row[4], row[5])
