"""The handoffs table's rows, shared by the SQLite and PostgreSQL HandoffStores.

Both keep the same table (skills and flags a JSON list, `offline` 0 or 1), so the queue's
SELECTs, the insert and the row mapping are written here once, with SQLite's `?`
placeholders (`customer_rows.numbered` turns them into asyncpg's). A row is anything
indexable by column name: an `sqlite3.Row`, sqlite-utils' dict or an `asyncpg.Record`.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from bot.core.handoff import Handoff

# the queue's head and a handoff's place in it; the order is core.handoff.queue_order's
QUEUE_HEAD = (
    "SELECT * FROM handoffs WHERE status = 'waiting' ORDER BY priority DESC, created_at, id LIMIT ?"
)
WAITING_COUNT = "SELECT count(*) FROM handoffs WHERE status = 'waiting'"
POSITION = (
    "SELECT count(*) FROM handoffs AS w JOIN handoffs AS h ON h.id = ?"
    " WHERE h.status = 'waiting' AND w.status = 'waiting' AND (w.priority > h.priority"
    " OR (w.priority = h.priority AND (w.created_at < h.created_at"
    " OR (w.created_at = h.created_at AND w.id <= h.id))))"
)
# the conversation's open handoff (a store keeps at most one)
OPEN_FOR = (
    "SELECT * FROM handoffs WHERE conversation_id = ? AND status IN ('waiting', 'assigned')"
    " ORDER BY id DESC LIMIT 1"
)

# every column but `id` (the store assigns it), in Handoff's order
COLUMNS = tuple(f.name for f in dataclasses.fields(Handoff) if f.name != "id")
INSERT = f"INSERT INTO handoffs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def handoff_values(handoff: Handoff) -> list[Any]:
    """A handoff's values in INSERT's order."""
    row: dict[str, Any] = dict(handoff.__dict__)
    row.update(
        skills=json.dumps(list(handoff.skills)),
        flags=json.dumps(list(handoff.flags)),
        offline=int(handoff.offline),
    )
    return [row[c] for c in COLUMNS]


def handoff_row(row: Any) -> Handoff:
    return Handoff(
        id=row["id"],
        conversation_id=row["conversation_id"],
        sender=row["sender"],
        channel=row["channel"],
        reason=row["reason"],
        language=row["language"],
        priority=row["priority"],
        created_at=row["created_at"],
        status=row["status"],
        tier=row["tier"],
        customer_id=row["customer_id"],
        account_manager=row["account_manager"],
        skills=tuple(json.loads(row["skills"] or "[]")),
        offline=bool(row["offline"]),
        agent=row["agent"],
        claimed_at=row["claimed_at"],
        resolved_at=row["resolved_at"],
        contact_email=row["contact_email"],
        flags=tuple(json.loads(row["flags"] or "[]")),
    )
