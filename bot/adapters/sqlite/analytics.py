"""SqliteAnalyticsStore: conversations' events by time range, and customers' suggestions.

`stream_logs(start, end)` yields one `ConversationLog` per conversation started in
[start, end), a batch of conversations at a time (keyset pagination), each read on
the database thread; the pure functions of bot/analytics.py do the arithmetic.
Suggestions an admin accepted or dismissed (an `audit` record on `event:<id>`) are
no longer listed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import sqlite_utils

from bot.adapters.sqlite.audit import migrations as audit_migrations
from bot.adapters.sqlite.database import DatabaseRunner
from bot.core.analytics import ConversationLog, Suggestion
from bot.core.events import SUGGESTION, Event

logger = logging.getLogger(__name__)

T = TypeVar("T")
BATCH = 500
DECIDED = ("suggestion.accepted", "suggestion.dismissed")


class SqliteAnalyticsStore:
    def __init__(self, database: DatabaseRunner, batch: int = BATCH) -> None:
        self.database = database
        self.batch = batch
        self._ready = False

    async def ensure_schema(self) -> None:
        """Apply the audit migrations (idempotent), for servers that did not list them."""
        if not self._ready:
            await self.database.run(audit_migrations.apply)
            self._ready = True

    async def stream_logs(self, start: float, end: float) -> AsyncIterator[ConversationLog]:
        cursor: tuple[float, str] = (float("-inf"), "")
        while True:
            logs, cursor = await self.database.run(_read_batch(start, end, cursor, self.batch))
            for log in logs:
                yield log
            if len(logs) < self.batch:
                return

    async def logs(self, start: float, end: float) -> list[ConversationLog]:
        return [log async for log in self.stream_logs(start, end)]

    async def suggestions(self, limit: int = 100) -> list[Suggestion]:
        await self.ensure_schema()

        def read(db: sqlite_utils.Database) -> list[Suggestion]:
            rows = db.execute(
                _SUGGESTIONS_SQL + " ORDER BY e.timestamp DESC, e.id DESC LIMIT ?",
                [SUGGESTION, *DECIDED, limit],
            )
            return [_suggestion(r) for r in rows.fetchall()]

        found = await self.database.run(read)
        return [s for s in found if s.text]

    async def suggestion(self, event_id: int) -> Suggestion | None:
        await self.ensure_schema()

        def read(db: sqlite_utils.Database) -> Suggestion | None:
            row = db.execute(
                _SUGGESTIONS_SQL + " AND e.id = ?", [SUGGESTION, *DECIDED, event_id]
            ).fetchone()
            return _suggestion(row) if row else None

        return await self.database.run(read)


_SUGGESTIONS_SQL = (
    "SELECT e.id, e.conversation_id, e.data, e.timestamp, c.language FROM events e"
    " JOIN conversations c ON c.id = e.conversation_id"
    " WHERE e.kind = ? AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.subject = 'event:' || e.id"
    " AND a.action IN (?, ?))"
)


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


def _read_batch(
    start: float, end: float, after: tuple[float, str], batch: int
) -> Callable[[sqlite_utils.Database], tuple[list[ConversationLog], tuple[float, str]]]:
    """The next `batch` conversations after the keyset cursor `after` = (created_at, id)."""

    def read(db: sqlite_utils.Database) -> tuple[list[ConversationLog], tuple[float, str]]:
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
        events: dict[str, list[Event]] = {cid: [] for cid in ids}
        for cid, seq, kind, data, ts in db.execute(
            "SELECT conversation_id, seq, kind, data, timestamp FROM events"
            f" WHERE conversation_id IN ({marks}) ORDER BY conversation_id, seq",
            ids,
        ).fetchall():
            events[cid].append(Event(kind, json.loads(data), ts, seq))
        logs = [
            ConversationLog(cid, tuple(events[cid]), channel or "", language)
            for cid, channel, language, _ in rows
        ]
        return logs, (rows[-1][3], rows[-1][0])

    return read
