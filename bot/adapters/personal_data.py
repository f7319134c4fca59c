"""Where a customer's personal data lives, and what both PrivacyStores share to reach it.

The SQLite and PostgreSQL privacy stores (bot/adapters/{sqlite,postgres}/audit.py) run the
same statements and map the same rows: they are written here once, with SQLite's `?`
placeholders (the PostgreSQL store numbers them, as goodwill's shared SQL does).

How `forget` reaches each kind of row:
- a table with a `customer_id` column: her rows are deleted (orders, notices, consent,
  watches and occasions, service requests... and any table added later);
- a table with an `order_id` column: the rows of her orders;
- a table with a `conversation_id` or `conversation` column, and `conversations` itself:
  the rows of her conversations (those a `customer_id` slot ties to her, and those whose
  text mentions her email, phone or order numbers);
- EXPLICIT below: columns that name her another way (community authors and voters, audit
  details), each with what forget does to them;
- NOT_PERSONAL below: columns whose names look personal but hold no customer's data.

`unreached(schema)` lists the columns that look like a customer's data and none of these
rules reaches; tests/admin/test_personal_data.py runs it on both real schemas, so a new
table holding customer data that forget does not reach fails the suite.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.core.privacy import FORGOTTEN_AUTHOR, redact
from bot.errors import InputError

SKIP_TABLES = frozenset({"audit", "_sqlite_migrations", "balcao_migrations"})
ROW_KEYS = ("customer_id", "order_id", "conversation_id", "conversation")
CONVERSATION_COLUMNS = ("conversation_id", "conversation")
# rows that others reference go last (events and handoffs before conversations)
LAST = ("conversations", "agents")

# columns that name a customer without a customer_id column, and what forget does to them
EXPLICIT: Mapping[tuple[str, str], str] = {
    ("community_questions", "author_id"): "anonymised: author, name and words replaced",
    ("community_questions", "author_name"): "anonymised with author_id",
    ("community_answers", "author_id"): "anonymised: author, name and words replaced",
    ("community_answers", "author_name"): "anonymised with author_id",
    ("community_votes", "voter"): "deleted",
    ("community_reports", "reporter"): "deleted",
    ("audit", "details"): "blanked where they mention her email, phone or orders",
    ("notice_suppressions", "customer_hash"): "kept on purpose: a hash, so that an import "
    "does not record her consent again (README, Privacy)",
}
# columns whose names look personal but hold no customer's data
NOT_PERSONAL: Mapping[tuple[str, str], str] = {
    ("agents", "email"): "staff accounts",
    ("agents", "name"): "staff accounts",
    ("agent_sessions", "agent"): "staff sessions",
    ("balcao_migrations", "name"): "the schema's versions",
    ("handoffs", "agent"): "staff",
    ("products", "name"): "the shop's catalogue",
    ("community_fts", "title"): "the search index, rewritten with the question",
    ("community_fts", "body"): "the search index, rewritten with the question",
}
LOOKS_PERSONAL = re.compile(
    r"customer|email|phone|conversation|author|voter|reporter|sender|name|address|postcode",
    re.IGNORECASE,
)


def unreached(schema: Mapping[str, Iterable[str]]) -> list[str]:
    """`table.column` of every column that looks like a customer's data (by its name) and
    that forget reaches by no rule above."""
    found: list[str] = []
    for table, columns in sorted(schema.items()):
        names = set(columns)
        by_row = bool(names & set(ROW_KEYS)) or table in ("conversations", "events")
        for column in sorted(names):
            if not LOOKS_PERSONAL.search(column):
                continue
            key = (table, column)
            if by_row or key in EXPLICIT or key in NOT_PERSONAL:
                continue
            found.append(f"{table}.{column}")
    return found


def reaches(columns: Iterable[str]) -> tuple[str, ...]:
    """The ROW_KEYS a table has: how its rows are chosen for export and erasure."""
    names = set(columns)
    return tuple(key for key in ROW_KEYS if key in names)


def ordered(tables: Iterable[str]) -> list[str]:
    return sorted(tables, key=lambda table: (table in LAST, table))


# --- the audit log ---------------------------------------------------------------------

INSERT_AUDIT = "INSERT INTO audit (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)"
SELECT_AUDIT = "SELECT id, at, actor, action, subject, details FROM audit"
REDACTED = '{"redacted": true}'
WAREHOUSE_EXPORTS = (
    "SELECT subject, max(at) FROM audit WHERE action = 'warehouse.export' AND at <= ?"
    " GROUP BY subject ORDER BY max(at)"
)


def audit_params(
    at: float, actor: str, action: str, subject: str, details: dict[str, Any] | None
) -> list[Any]:
    return [at, actor, action, subject, json.dumps(details or {}, sort_keys=True)]


def audit_record(row: Sequence[Any]) -> dict[str, Any]:
    return {
        "id": row[0],
        "at": row[1],
        "actor": row[2],
        "action": row[3],
        "subject": row[4],
        "details": json.loads(row[5]),
    }


def warehouse_export(row: Sequence[Any]) -> tuple[str, float]:
    return str(row[0]).removeprefix("warehouse:"), float(row[1])


# --- one customer's document -------------------------------------------------------------

CONVERSATION = "SELECT channel, sender, created_at, language FROM conversations WHERE id = ?"
CONVERSATION_EVENTS = (
    'SELECT seq, kind, data, "timestamp" FROM events WHERE conversation_id = ? ORDER BY seq'
)
# her community posts and votes (the posts' search column is left out: it is derived)
COMMUNITY_EXPORT = {
    "community_questions": "SELECT id, language, title, body, author_name, created_at,"
    " answers, accepted_answer, hidden, locked FROM community_questions WHERE author_id = ?",
    "community_answers": "SELECT id, question_id, body, author_name, created_at, votes, hidden"
    " FROM community_answers WHERE author_id = ?",
    "community_votes": "SELECT answer_id FROM community_votes WHERE voter = ?",
    "community_reports": "SELECT kind, post_id, at FROM community_reports WHERE reporter = ?",
}


def community_author(customer_id: str) -> str:
    return f"customer:{customer_id}"


# --- forget ------------------------------------------------------------------------------


def anonymised_posts(customer_id: str) -> list[tuple[str, list[str]]]:
    """(statement, parameters) that keep her posts for the others, without her as author,
    her shown name or her words."""
    new_id, name, text = FORGOTTEN_AUTHOR
    author = community_author(customer_id)
    return [
        (
            "UPDATE community_questions SET author_id = ?, author_name = ?, title = ?, body = ?"
            " WHERE author_id = ?",
            [new_id, name, text, text, author],
        ),
        (
            "UPDATE community_answers SET author_id = ?, author_name = ?, body = ?"
            " WHERE author_id = ?",
            [new_id, name, text, author],
        ),
        ("DELETE FROM community_votes WHERE voter = ?", [author]),
        ("DELETE FROM community_reports WHERE reporter = ?", [author]),
    ]


# what is kept of a forgotten customer: a hash of her id, so that a later import does not
# record her consent to marketing again (bot.core.privacy.suppression_key)
SUPPRESS = (
    "INSERT INTO notice_suppressions (customer_hash, at) VALUES (?, ?)"
    " ON CONFLICT (customer_hash) DO NOTHING"
)


def conversation_document(
    conversation_id: str, row: Sequence[Any] | None, events: Iterable[Sequence[Any]]
) -> dict[str, Any]:
    return {
        "id": conversation_id,
        "channel": row[0] if row else None,
        "sender": row[1] if row else None,
        "created_at": row[2] if row else None,
        "language": row[3] if row else None,
        "events": [
            {"seq": e[0], "kind": e[1], "data": json.loads(e[2]), "timestamp": e[3]} for e in events
        ],
    }


def customer_document(
    customer_id: str,
    now: float,
    tables: dict[str, list[dict[str, Any]]],
    conversations: list[dict[str, Any]],
) -> dict[str, Any]:
    if not tables and not conversations:
        raise InputError(f"no data about customer '{customer_id}'", code="unknown_customer")
    return {
        "customer_id": customer_id,
        "exported_at": now,
        "tables": tables,
        "conversations": conversations,
    }


def export_details(document: Mapping[str, Any]) -> dict[str, int]:
    """The audit record's details of an export: counts, never the data."""
    tables: Mapping[str, list[Any]] = document["tables"]
    return {
        "conversations": len(document["conversations"]),
        **{t: len(r) for t, r in tables.items()},
    }


# --- retention ---------------------------------------------------------------------------

RETENTION_EVENTS = (
    'SELECT id, conversation_id, kind, data FROM events WHERE "timestamp" < ?'
    " AND kind IN ('user', 'agent', 'bot', 'note', 'suggestion', 'feedback')"
    " AND data NOT LIKE '%\"redacted\": true%'"
)
# notices sent (or held back) before the cutoff keep their trigger, status and times, for
# the proactive figures; their words and placeholders' values go
RETENTION_NOTICES = (
    "UPDATE notices SET title = '', body = '', fields = '{}' WHERE created_at < ?"
    " AND status NOT IN ('due', 'sending') AND (title != '' OR body != '' OR fields != '{}')"
)
# community posts are published by their authors and stay (forget still reaches them); who
# reported or voted for what is private and goes with time
RETENTION_COMMUNITY = (
    ("community_reports", "DELETE FROM community_reports WHERE at < ?"),
    (
        "community_votes",
        "DELETE FROM community_votes WHERE answer_id IN"
        " (SELECT id FROM community_answers WHERE created_at < ?)",
    ),
)


def iso_instant(seconds: float) -> str:
    """UNIX seconds as the ISO 8601 text the notices tables keep (they compare as text)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def blanked_events(
    rows: Iterable[Sequence[Any]],
) -> tuple[list[tuple[int, str]], set[str]]:
    """(event id, blanked data) of the rows retention changes, and their conversations."""
    updates: list[tuple[int, str]] = []
    touched: set[str] = set()
    for row_id, conversation_id, kind, data in rows:
        blanked = redact(kind, json.loads(data))
        if blanked is not None:
            updates.append((row_id, json.dumps(blanked, ensure_ascii=False)))
            touched.add(conversation_id)
    return updates, touched


def retention_details(days: int, counts: Mapping[str, int]) -> dict[str, int]:
    return {"days": days, **counts}
