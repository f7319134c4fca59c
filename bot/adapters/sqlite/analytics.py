"""SqliteAnalyticsStore: conversations' events by time range, and customers' suggestions.

`stream_logs(start, end)` yields one `ConversationLog` per conversation started in
[start, end), a batch of conversations at a time (keyset pagination), each read on
the database thread; the pure functions of bot/analytics.py do the arithmetic.
Suggestions an admin accepted or dismissed (an `audit` record on `event:<id>`) are
no longer listed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import sqlite_utils

from bot.adapters import analytics_rows as shared
from bot.adapters.sqlite.audit import migrations as audit_migrations
from bot.adapters.sqlite.database import DatabaseRunner
from bot.core.analytics import ConversationLog, Suggestion
from bot.core.events import SUGGESTION

logger = logging.getLogger(__name__)


class SqliteAnalyticsStore:
    def __init__(self, database: DatabaseRunner, batch: int = shared.BATCH) -> None:
        self.database = database
        self.batch = batch
        self._ready = False

    async def ensure_schema(self) -> None:
        """Apply the audit migrations (idempotent), for servers that did not list them."""
        if not self._ready:
            await self.database.run(audit_migrations.apply)
            self._ready = True

    def stream_logs(self, start: float, end: float) -> AsyncIterator[ConversationLog]:
        return shared.in_batches(
            lambda after: self.database.run(_read_batch(start, end, after, self.batch)),
            self.batch,
        )

    async def logs(self, start: float, end: float) -> list[ConversationLog]:
        return [log async for log in self.stream_logs(start, end)]

    async def suggestions(self, limit: int = 100) -> list[Suggestion]:
        await self.ensure_schema()

        def read(db: sqlite_utils.Database) -> list[Suggestion]:
            rows = db.execute(
                shared.SUGGESTIONS + shared.NEWEST_FIRST, [SUGGESTION, *shared.DECIDED, limit]
            )
            return [shared.suggestion_row(r) for r in rows.fetchall()]

        found = await self.database.run(read)
        return [s for s in found if s.text]

    async def suggestion(self, event_id: int) -> Suggestion | None:
        await self.ensure_schema()

        def read(db: sqlite_utils.Database) -> Suggestion | None:
            row = db.execute(
                shared.SUGGESTIONS + " AND e.id = ?", [SUGGESTION, *shared.DECIDED, event_id]
            ).fetchone()
            return shared.suggestion_row(row) if row else None

        return await self.database.run(read)


def _read_batch(
    start: float, end: float, after: shared.Cursor, batch: int
) -> Callable[[sqlite_utils.Database], tuple[list[ConversationLog], shared.Cursor]]:
    """The next `batch` conversations after the keyset cursor `after` = (created_at, id)."""

    def read(db: sqlite_utils.Database) -> tuple[list[ConversationLog], shared.Cursor]:
        rows = db.execute(
            "SELECT id, channel, language, created_at FROM conversations"
            " WHERE created_at >= ? AND created_at < ?"
            " AND (created_at > ? OR (created_at = ? AND id > ?))"
            " ORDER BY created_at, id LIMIT ?",
            [start, end, after[0], after[0], after[1], batch],
        ).fetchall()
        if not rows:
            return [], after
        ids = [r[0] for r in rows]
        marks = ", ".join("?" for _ in ids)
        events = db.execute(
            "SELECT conversation_id, seq, kind, data, timestamp FROM events"
            f" WHERE conversation_id IN ({marks}) ORDER BY conversation_id, seq",
            ids,
        ).fetchall()
        return shared.conversation_logs(rows, events)

    return read
