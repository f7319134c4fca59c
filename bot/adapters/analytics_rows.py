"""The analytics stores' rows, shared by the SQLite and PostgreSQL AnalyticsStores.

Both read conversations started in [start, end) a batch at a time (keyset pagination on
(created_at, id)), and customers' suggestions no admin has accepted or dismissed (an `audit`
row on `event:<id>`). The suggestions' SELECT is written with SQLite's `?` placeholders
(`customer_rows.numbered` turns them into asyncpg's); how each store reads a batch of
conversations is its own, what it makes of the rows is here.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any

from bot.core.analytics import ConversationLog, Suggestion
from bot.core.events import Event

BATCH = 500
DECIDED = ("suggestion.accepted", "suggestion.dismissed")

# parameters: the suggestion event's kind, then DECIDED
SUGGESTIONS = (
    'SELECT e.id, e.conversation_id, e.data, e."timestamp", c.language FROM events e'
    " JOIN conversations c ON c.id = e.conversation_id"
    " WHERE e.kind = ? AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.subject = 'event:' || e.id"
    " AND a.action IN (?, ?))"
)
NEWEST_FIRST = ' ORDER BY e."timestamp" DESC, e.id DESC LIMIT ?'

Cursor = tuple[float, str]  # (created_at, id) of the last conversation read
START: Cursor = (float("-inf"), "")


async def in_batches(
    batch: Callable[[Cursor], Awaitable[tuple[list[ConversationLog], Cursor]]], size: int
) -> AsyncIterator[ConversationLog]:
    """Every log, reading `size` conversations at a time after the cursor."""
    cursor = START
    while True:
        logs, cursor = await batch(cursor)
        for log in logs:
            yield log
        if len(logs) < size:
            return


def conversation_logs(
    conversations: Sequence[Any], events: Iterable[Any]
) -> tuple[list[ConversationLog], Cursor]:
    """Logs of `conversations` (id, channel, language, created_at; at least one) from their
    `events` (conversation_id, seq, kind, data, timestamp), and the cursor after the last."""
    by_conversation: dict[str, list[Event]] = {r[0]: [] for r in conversations}
    for cid, seq, kind, data, ts in events:
        by_conversation[cid].append(Event(kind, json.loads(data), ts, seq))
    logs = [
        ConversationLog(cid, tuple(by_conversation[cid]), channel or "", language)
        for cid, channel, language, _ in conversations
    ]
    return logs, (conversations[-1][3], conversations[-1][0])


def suggestion_row(row: Any) -> Suggestion:
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
