"""PostgresConversationStore: the event log of every conversation, shared by processes.

Seq numbers stay unique under concurrent appends from several processes: one
upsert of the conversation row both takes its row lock (held until commit) and
reserves the next `len(events)` numbers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.adapters import conversation_rows as shared
from bot.adapters.customer_rows import numbered
from bot.adapters.postgres.database import PostgresDatabase
from bot.core.events import Event
from bot.ports import ConversationInfo

_INSERT_EVENTS = """
INSERT INTO events (conversation_id, seq, kind, data, "timestamp")
SELECT $1, * FROM unnest($2::integer[], $3::text[], $4::text[], $5::double precision[])
"""
_RESERVE = numbered(shared.RESERVE)


class PostgresConversationStore:
    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def append(
        self, conversation_id: str, events: Sequence[Event], *, sender: str, channel: str
    ) -> list[Event]:
        if not events:
            return []
        language = shared.language_of(events)
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
            rows = await conn.fetch(numbered(shared.EVENTS_OF), conversation_id)
        return [shared.event_row(r) for r in rows]

    async def info(self, conversation_id: str) -> ConversationInfo | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow(shared.INFO_SELECT + " WHERE id = $1", conversation_id)
        return shared.info_row(row) if row else None

    async def list_conversations(
        self, *, limit: int = 50, offset: int = 0
    ) -> list[ConversationInfo]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                shared.INFO_SELECT + " ORDER BY updated_at DESC LIMIT $1 OFFSET $2", limit, offset
            )
        return [shared.info_row(r) for r in rows]
