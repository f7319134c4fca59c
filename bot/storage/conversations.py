"""SqliteConversationStore: the event log of every conversation."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.events import LANGUAGE, Event
from bot.ports import ConversationInfo
from bot.storage.sqlite import SqliteDatabase

migrations = Migrations("conversations")


@migrations()
def m001_conversations_and_events(db: sqlite_utils.Database) -> None:
    db["conversations"].create(  # type: ignore[union-attr]
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
    db["conversations"].create_index(["updated_at"])  # type: ignore[union-attr]
    db["events"].create(  # type: ignore[union-attr]
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
    db["events"].create_index(["conversation_id", "seq"], unique=True)  # type: ignore[union-attr]
    db["events"].create_index(["kind", "timestamp"])  # type: ignore[union-attr]


class SqliteConversationStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    async def append(
        self, conversation_id: str, events: Sequence[Event], *, sender: str, channel: str
    ) -> list[Event]:
        if not events:
            return []

        def write(db: sqlite_utils.Database) -> list[Event]:
            with db.atomic():
                row = db.execute(
                    "SELECT last_seq FROM conversations WHERE id = ?", [conversation_id]
                ).fetchone()
                last = row[0] if row else 0
                first_ts = events[0].timestamp
                if row is None:
                    db.execute(
                        "INSERT INTO conversations (id, sender, channel, language, created_at,"
                        " updated_at, last_seq) VALUES (?, ?, ?, NULL, ?, ?, 0)",
                        [conversation_id, sender, channel, first_ts, first_ts],
                    )
                stored = [e.with_seq(last + i) for i, e in enumerate(events, start=1)]
                db.conn.executemany(
                    "INSERT INTO events (conversation_id, seq, kind, data, timestamp)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [
                        (
                            conversation_id,
                            e.seq,
                            e.kind,
                            json.dumps(e.data, ensure_ascii=False),
                            e.timestamp,
                        )
                        for e in stored
                    ],
                )
                language = next(
                    (e.data["language"] for e in reversed(stored) if e.kind == LANGUAGE), None
                )
                db.execute(
                    "UPDATE conversations SET last_seq = ?, updated_at = ?,"
                    " language = COALESCE(?, language) WHERE id = ?",
                    [stored[-1].seq, stored[-1].timestamp, language, conversation_id],
                )
            return stored

        return await self.database.run(write)

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
