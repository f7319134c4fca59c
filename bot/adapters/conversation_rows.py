"""The conversation log's rows, shared by the SQLite and PostgreSQL ConversationStores.

Both keep the same two tables (`conversations`, and `events` whose data is a JSON object)
and reserve seq numbers the same way: one upsert of the conversation's row both creates or
updates it and reserves the next len(events) numbers, so no SELECT of last_seq comes
before an append. Statements use SQLite's `?` placeholders (`customer_rows.numbered` turns
them into asyncpg's); a row is anything indexable by position.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.core.events import LANGUAGE, Event
from bot.ports import ConversationInfo

# parameters: id, sender, channel, language (None keeps the known one), created_at,
# updated_at, how many events; returns the last seq reserved
RESERVE = """
INSERT INTO conversations AS c (id, sender, channel, language, created_at, updated_at, last_seq)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    last_seq = c.last_seq + excluded.last_seq,
    updated_at = excluded.updated_at,
    language = COALESCE(excluded.language, c.language)
RETURNING last_seq
"""
EVENTS_OF = 'SELECT seq, kind, data, "timestamp" FROM events WHERE conversation_id = ? ORDER BY seq'
INFO_SELECT = "SELECT id, sender, channel, created_at, updated_at, language FROM conversations"


def language_of(events: Sequence[Event]) -> str | None:
    """The language the last `language` event of an append sets, if any."""
    return next((e.data["language"] for e in reversed(events) if e.kind == LANGUAGE), None)


def event_row(row: Any) -> Event:
    """An EVENTS_OF row as the event it stored."""
    return Event(row[1], json.loads(row[2]), row[3], row[0])


def info_row(row: Any) -> ConversationInfo:
    return ConversationInfo(row[0], row[1], row[2], row[3], row[4], row[5])
