"""PostgresAnalyticsStore: the AnalyticsStore port on PostgreSQL, as SqliteAnalyticsStore
does it, with the SELECTs and row mappings of `bot.adapters.analytics_rows`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.adapters import analytics_rows as shared
from bot.adapters.customer_rows import numbered
from bot.adapters.postgres.database import PostgresDatabase
from bot.core.analytics import ConversationLog, Suggestion
from bot.core.events import SUGGESTION


class PostgresAnalyticsStore:
    def __init__(self, database: PostgresDatabase, batch: int = shared.BATCH) -> None:
        self.database = database
        self.batch = batch

    def stream_logs(self, start: float, end: float) -> AsyncIterator[ConversationLog]:
        return shared.in_batches(lambda after: self._batch(start, end, after), self.batch)

    async def _batch(
        self, start: float, end: float, after: shared.Cursor
    ) -> tuple[list[ConversationLog], shared.Cursor]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                "SELECT id, channel, language, created_at FROM conversations"
                " WHERE created_at >= $1 AND created_at < $2 AND (created_at, id) > ($3, $4)"
                " ORDER BY created_at, id LIMIT $5",
                start, end, after[0], after[1], self.batch,
            )  # fmt: skip
            if not rows:
                return [], after
            found = await conn.fetch(
                'SELECT conversation_id, seq, kind, data, "timestamp" FROM events'
                " WHERE conversation_id = ANY($1::text[]) ORDER BY conversation_id, seq",
                [r[0] for r in rows],
            )
        return shared.conversation_logs(rows, found)

    async def logs(self, start: float, end: float) -> list[ConversationLog]:
        return [log async for log in self.stream_logs(start, end)]

    async def suggestions(self, limit: int = 100) -> list[Suggestion]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                numbered(shared.SUGGESTIONS + shared.NEWEST_FIRST),
                SUGGESTION,
                *shared.DECIDED,
                limit,
            )
        return [s for s in map(shared.suggestion_row, rows) if s.text]

    async def suggestion(self, event_id: int) -> Suggestion | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow(
                numbered(shared.SUGGESTIONS + " AND e.id = ?"),
                SUGGESTION,
                *shared.DECIDED,
                event_id,
            )
        return shared.suggestion_row(row) if row else None
