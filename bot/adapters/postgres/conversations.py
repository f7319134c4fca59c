"""PostgresConversationStore: the event log of every conversation, shared by processes.

Seq numbers stay unique under concurrent appends from several processes: one
upsert of the conversation row both takes its row lock (held until commit) and
reserves the next `len(events)` numbers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.adapters.postgres.database import PostgresDatabase
from bot.core.events import LANGUAGE, Event
from bot.ports import ConversationInfo

_RESERVE = """
INSERT INTO conversations AS c (id, sender, channel, language, created_at, updated_at, last_seq)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (id) DO UPDATE SET
    last_seq = c.last_seq + EXCLUDED.last_seq,
    updated_at = EXCLUDED.updated_at,
    language = COALESCE(EXCLUDED.language, c.language)
RETURNING last_seq
"""
_INSERT_EVENTS = """
INSERT INTO events (conversation_id, seq, kind, data, "timestamp")
SELECT $1, * FROM unnest($2::integer[], $3::text[], $4::text[], $5::double precision[])
"""
_INFO_SQL = "SELECT id, sender, channel, created_at, updated_at, language FROM conversations"


class PostgresConversationStore:
    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def append(
        self, conversation_id: str, events: Sequence[Event], *, sender: str, channel: str
    ) -> list[Event]:
        if not events:
            return []
        language = next((e.data["language"] for e in reversed(events) if e.kind == LANGUAGE), None)
        async with self.database.transaction() as conn:
            last = await conn.fetchval(
                _RESERVE,
                conversation_id,
                sender,
                channel,
                language,
                events[0].timestamp,
                events[-1].timestamp,
                len(events),
            )
            first = int(last) - len(events)
            stored = [e.with_seq(first + i) for i, e in enumerate(events, start=1)]
            await conn.execute(
                _INSERT_EVENTS,
                conversation_id,
                [e.seq for e in stored],
                [e.kind for e in stored],
                [json.dumps(e.data, ensure_ascii=False) for e in stored],
                [e.timestamp for e in stored],
            )
        return stored

    async def load(self, conversation_id: str) -> list[Event]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                'SELECT seq, kind, data, "timestamp" FROM events WHERE conversation_id = $1'
                " ORDER BY seq",
                conversation_id,
            )
        return [Event(r[1], json.loads(r[2]), r[3], r[0]) for r in rows]

    async def info(self, conversation_id: str) -> ConversationInfo | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow(_INFO_SQL + " WHERE id = $1", conversation_id)
        return _info(row) if row else None

    async def list_conversations(
        self, *, limit: int = 50, offset: int = 0
    ) -> list[ConversationInfo]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                _INFO_SQL + " ORDER BY updated_at DESC LIMIT $1 OFFSET $2", limit, offset
            )
        return [_info(r) for r in rows]


def _info(row: Any) -> ConversationInfo:
    return ConversationInfo(row[0], row[1], row[2], row[3], row[4], row[5])
