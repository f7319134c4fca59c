"""PostgresAnalyticsStore: the AnalyticsStore port on PostgreSQL, as SqliteAnalyticsStore
does it: conversations started in [start, end) a batch at a time (keyset pagination), and
customers' suggestions no admin has accepted or dismissed (an `audit` row on `event:<id>`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from bot.adapters.postgres.database import PostgresDatabase
from bot.core.analytics import ConversationLog, Suggestion
from bot.core.events import SUGGESTION, Event

BATCH = 500
DECIDED = ["suggestion.accepted", "suggestion.dismissed"]

_SUGGESTIONS_SQL = (
    'SELECT e.id, e.conversation_id, e.data, e."timestamp", c.language FROM events e'
    " JOIN conversations c ON c.id = e.conversation_id"
    " WHERE e.kind = $1 AND NOT EXISTS (SELECT 1 FROM audit a"
    " WHERE a.subject = 'event:' || e.id::text AND a.action = ANY($2::text[]))"
)


class PostgresAnalyticsStore:
    def __init__(self, database: PostgresDatabase, batch: int = BATCH) -> None:
        self.database = database
        self.batch = batch

    async def stream_logs(self, start: float, end: float) -> AsyncIterator[ConversationLog]:
        cursor: tuple[float, str] = (float("-inf"), "")
        while True:
            logs, cursor = await self._batch(start, end, cursor)
            for log in logs:
                yield log
            if len(logs) < self.batch:
                return

    async def _batch(
        self, start: float, end: float, after: tuple[float, str]
    ) -> tuple[list[ConversationLog], tuple[float, str]]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                "SELECT id, channel, language, created_at FROM conversations"
                " WHERE created_at >= $1 AND created_at < $2 AND (created_at, id) > ($3, $4)"
                " ORDER BY created_at, id LIMIT $5",
                start, end, after[0], after[1], self.batch,
            )  # fmt: skip
            if not rows:
                return [], after
            ids = [r[0] for r in rows]
            found = await conn.fetch(
                'SELECT conversation_id, seq, kind, data, "timestamp" FROM events'
                " WHERE conversation_id = ANY($1::text[]) ORDER BY conversation_id, seq",
                ids,
            )
        events: dict[str, list[Event]] = {cid: [] for cid in ids}
        for cid, seq, kind, data, ts in found:
            events[cid].append(Event(kind, json.loads(data), ts, seq))
        logs = [
            ConversationLog(cid, tuple(events[cid]), channel or "", language)
            for cid, channel, language, _ in rows
        ]
        return logs, (rows[-1][3], rows[-1][0])

    async def logs(self, start: float, end: float) -> list[ConversationLog]:
        return [log async for log in self.stream_logs(start, end)]

    async def suggestions(self, limit: int = 100) -> list[Suggestion]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                _SUGGESTIONS_SQL + ' ORDER BY e."timestamp" DESC, e.id DESC LIMIT $3',
                SUGGESTION, DECIDED, limit,
            )  # fmt: skip
        return [s for s in map(_suggestion, rows) if s.text]

    async def suggestion(self, event_id: int) -> Suggestion | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow(
                _SUGGESTIONS_SQL + " AND e.id = $3", SUGGESTION, DECIDED, event_id
            )
        return _suggestion(row) if row else None


def _suggestion(row: Any) -> Suggestion:
    data = json.loads(row[2])
    entry = data.get("entry")
    return Suggestion(
        id=row[0],
        conversation_id=row[1],
        entry=entry if isinstance(entry, str) else None,
        text=str(data.get("text", "")),
        language=row[4],
        timestamp=row[3],
    )
