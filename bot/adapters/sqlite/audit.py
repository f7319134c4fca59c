"""The audit log and the data-protection operations it records, on SQLite.

Table `audit` (migration set "audit"): who did what to which subject, when; details
hold counts, never personal data. Recorded: customer export and erasure, retention
runs, and admins' decisions on suggestions.

`SqlitePrivacyStore` (the PrivacyStore port, run by bot/services/privacy.py) exports or erases everything
about one customer: rows of any table with a `customer_id` column, rows of any table
with an `order_id` column for the customer's orders, their conversations (those where a
`customer_id` slot named them, or whose text mentions their email, phone or order
numbers) and rows of any table with a `conversation_id` or
`conversation` column for those conversations. Tables added later are covered too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.adapters.personal_data import (
    COMMUNITY_EXPORT,
    CONVERSATION,
    CONVERSATION_EVENTS,
    INSERT_AUDIT,
    REDACTED,
    RETENTION_COMMUNITY,
    RETENTION_EVENTS,
    RETENTION_NOTICES,
    SELECT_AUDIT,
    SKIP_TABLES,
    SUPPRESS,
    WAREHOUSE_EXPORTS,
    anonymised_posts,
    audit_params,
    audit_record,
    blanked_events,
    community_author,
    conversation_document,
    customer_document,
    export_details,
    iso_instant,
    ordered,
    reaches,
    retention_details,
    warehouse_export,
)
from bot.adapters.sqlite.database import DatabaseRunner
from bot.core.privacy import (
    CUSTOMER_SLOT,
    FORGOTTEN_AUTHOR,
    names_customer,
    retention_cutoff,
    search_terms,
    suppression_key,
)
from bot.ports import Erasure

logger = logging.getLogger(__name__)

migrations = Migrations("audit")


@migrations()
def m001_audit(db: sqlite_utils.Database) -> None:
    db["audit"].create(  # type: ignore[union-attr]
        {
            "id": int,
            "at": float,
            "actor": str,
            "action": str,
            "subject": str,
            "details": str,
        },
        pk="id",
    )
    db["audit"].create_index(["subject"])  # type: ignore[union-attr]
    db["audit"].create_index(["at"])  # type: ignore[union-attr]


def record(
    db: sqlite_utils.Database,
    *,
    at: float,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one audit record (inside the caller's transaction, on the database thread)."""
    db.execute(INSERT_AUDIT, audit_params(at, actor, action, subject, details))


def audit_records(db: sqlite_utils.Database, subject: str | None = None) -> list[dict[str, Any]]:
    rows = db.execute(
        SELECT_AUDIT + (" WHERE subject = ?" if subject else "") + " ORDER BY id",
        [subject] if subject else [],
    ).fetchall()
    return [audit_record(r) for r in rows]


class SqliteAuditLog:
    """The audit log for the server: every call on the database thread."""

    def __init__(self, database: DatabaseRunner) -> None:
        self.database = database

    async def record(
        self,
        *,
        at: float,
        actor: str,
        action: str,
        subject: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        def write(db: sqlite_utils.Database) -> None:
            with db.atomic():
                record(db, at=at, actor=actor, action=action, subject=subject, details=details)

        await self.database.run(write)


# --- the customer's data -------------------------------------------------------------


def schema(db: sqlite_utils.Database) -> dict[str, set[str]]:
    """Every table's columns (the migrations' bookkeeping and SQLite's own left out)."""
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    ).fetchall()
    return {
        r[0]: {c[1] for c in db.execute(f'PRAGMA table_info("{r[0]}")').fetchall()}
        for r in rows
        if not r[0].startswith("_") and not r[0].startswith("community_fts_")
    }


def _tables(db: sqlite_utils.Database) -> dict[str, set[str]]:
    return {t: c for t, c in schema(db).items() if t not in SKIP_TABLES}


def customer_conversations(db: sqlite_utils.Database, customer_id: str) -> list[str]:
    rows = db.execute(
        "SELECT DISTINCT conversation_id, kind, data FROM events WHERE kind = 'slot'"
        " AND json_extract(data, '$.name') = ?",
        [CUSTOMER_SLOT],
    ).fetchall()
    return sorted(
        {cid for cid, kind, data in rows if names_customer(kind, json.loads(data), customer_id)}
    )


def _in(values: Iterable[str]) -> tuple[str, list[str]]:
    items = list(values)
    return ", ".join("?" for _ in items), items


def _selections(
    db: sqlite_utils.Database, customer_id: str, conversations: list[str]
) -> list[tuple[str, str, list[Any]]]:
    """(table, WHERE clause, parameters) of every row about the customer, children first."""
    tables = _tables(db)
    orders: list[str] = []
    if "orders" in tables:
        orders = [
            r[0]
            for r in db.execute("SELECT order_id FROM orders WHERE customer_id = ?", [customer_id])
        ]
    values = {"customer_id": [customer_id], "order_id": orders}
    chosen: list[tuple[str, str, list[Any]]] = []
    for table in ordered(tables):
        keys = [*reaches(tables[table]), *(["id"] if table == "conversations" else [])]
        clauses: list[str] = []
        params: list[Any] = []
        for key in keys:
            wanted = values.get(key, conversations)
            if wanted:
                marks, items = _in(wanted)
                clauses.append(f'"{key}" IN ({marks})')
                params.extend(items)
        if clauses:
            chosen.append((table, " OR ".join(clauses), params))
    return chosen


class SqlitePrivacyStore:
    """The PrivacyStore port on SQLite: every call on the database thread, each write in
    one transaction with its audit record."""

    def __init__(self, database: DatabaseRunner) -> None:
        self.database = database

    async def search_terms(self, customer_id: str) -> tuple[str, ...]:
        def read(db: sqlite_utils.Database) -> tuple[str, ...]:
            tables = _tables(db)
            email = phone = None
            if "customers" in tables:
                row = db.execute(
                    "SELECT email, phone FROM customers WHERE customer_id = ?", [customer_id]
                ).fetchone()
                if row:
                    email, phone = row
            orders: list[str] = []
            if "orders" in tables:
                orders = [
                    str(r[0])
                    for r in db.execute(
                        "SELECT order_id FROM orders WHERE customer_id = ?", [customer_id]
                    )
                ]
            return search_terms(email, phone, orders)

        return await self.database.run(read)

    async def export_customer(self, customer_id: str, *, actor: str, now: float) -> dict[str, Any]:
        def write(db: sqlite_utils.Database) -> dict[str, Any]:
            with db.atomic():
                conversations = customer_conversations(db, customer_id)
                tables: dict[str, list[dict[str, Any]]] = {}
                for table, where, params in _selections(db, customer_id, conversations):
                    if table not in ("events", "conversations"):
                        tables[table] = _rows(db, f'SELECT * FROM "{table}" WHERE {where}', params)
                present = _tables(db)
                for table, sql in COMMUNITY_EXPORT.items():
                    if table in present:
                        tables[table] = _rows(db, sql, [community_author(customer_id)])
                document = customer_document(
                    customer_id,
                    now,
                    {t: r for t, r in tables.items() if r},
                    [_conversation(db, cid) for cid in conversations],
                )
                record(
                    db, at=now, actor=actor, action="customer.export", subject=f"customer:{customer_id}",
                    details=export_details(document),
                )  # fmt: skip
            return document

        return await self.database.run(write)

    async def forget_customer(
        self,
        customer_id: str,
        *,
        terms: Sequence[str],
        also_redact: Sequence[str],
        actor: str,
        now: float,
        extra: dict[str, int] | None = None,
    ) -> Erasure:
        def write(db: sqlite_utils.Database) -> Erasure:
            counts: dict[str, int] = {}
            with db.atomic():
                db.execute("PRAGMA defer_foreign_keys = ON")
                named = customer_conversations(db, customer_id)
                mentioned = _mentioning(db, terms)
                conversations = sorted(set(named) | set(mentioned))
                for table, where, params in _selections(db, customer_id, conversations):
                    counts[table] = db.execute(
                        f'DELETE FROM "{table}" WHERE {where}', params
                    ).rowcount
                counts["unverified conversations"] = len(set(mentioned) - set(named))
                counts["audit details"] = _redact_audit(db, [*terms, *also_redact])
                counts["community posts"] = _anonymise_posts(db, customer_id)
                if "notice_suppressions" in _tables(db):
                    db.execute(SUPPRESS, [suppression_key(customer_id), now])
                counts.update(extra or {})
                record(
                    db, at=now, actor=actor, action="customer.forget", subject=f"customer:{customer_id}",
                    details={t: n for t, n in counts.items() if n},
                )  # fmt: skip
            logger.info("forgot a customer: %d conversations", len(conversations))
            return Erasure(counts, tuple(conversations))

        return await self.database.run(write)

    async def warehouse_exports(self, before: float) -> list[tuple[str, float]]:
        return await self.database.run(
            lambda db: [warehouse_export(r) for r in db.execute(WAREHOUSE_EXPORTS, [before])]
        )

    async def apply_retention(self, days: int, *, actor: str, now: float) -> Erasure:
        cutoff = retention_cutoff(now, days)

        def write(db: sqlite_utils.Database) -> Erasure:
            with db.atomic():
                updates, touched = blanked_events(db.execute(RETENTION_EVENTS, [cutoff]).fetchall())
                db.conn.executemany(
                    "UPDATE events SET data = ? WHERE id = ?", [(d, i) for i, d in updates]
                )
                counts = {"events": len(updates)}
                tables = _tables(db)
                if "notices" in tables:
                    counts["notices"] = db.execute(
                        RETENTION_NOTICES, [iso_instant(cutoff)]
                    ).rowcount
                for table, sql in RETENTION_COMMUNITY:
                    if table in tables:
                        counts[table] = db.execute(sql, [cutoff]).rowcount
                record(
                    db, at=now, actor=actor, action="retention.apply", subject=f"events:before:{cutoff:.0f}",
                    details=retention_details(days, counts),
                )  # fmt: skip
            return Erasure(counts, tuple(sorted(touched)))

        return await self.database.run(write)


def _rows(db: sqlite_utils.Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _conversation(db: sqlite_utils.Database, conversation_id: str) -> dict[str, Any]:
    return conversation_document(
        conversation_id,
        db.execute(CONVERSATION, [conversation_id]).fetchone(),
        db.execute(CONVERSATION_EVENTS, [conversation_id]).fetchall(),
    )


def _mentioning(db: sqlite_utils.Database, terms: Sequence[str]) -> list[str]:
    """Conversations with an event whose data mentions one of `terms` (lower-case)."""
    if not terms:
        return []
    clause = " OR ".join("instr(lower(data), ?) > 0" for _ in terms)
    rows = db.execute(
        f"SELECT DISTINCT conversation_id FROM events WHERE {clause}", list(terms)
    ).fetchall()
    return [r[0] for r in rows]


def _redact_audit(db: sqlite_utils.Database, terms: Sequence[str]) -> int:
    wanted = [t.lower() for t in terms if t]
    if not wanted:
        return 0
    clause = " OR ".join("instr(lower(details), ?) > 0" for _ in wanted)
    return db.execute(f"UPDATE audit SET details = ? WHERE {clause}", [REDACTED, *wanted]).rowcount


COMMUNITY_POSTS = ("community_questions", "community_answers")


def _anonymise_posts(db: sqlite_utils.Database, customer_id: str) -> int:
    """Her posts' author and words replaced (two updates), her votes and reports deleted;
    how many posts."""
    if not set(db.table_names()).issuperset(COMMUNITY_POSTS):
        return 0
    if "community_fts" in db.table_names():  # the search index holds the words too
        text = FORGOTTEN_AUTHOR[2]
        db.execute(
            "UPDATE community_fts SET title = ?, body = ? WHERE rowid IN"
            " (SELECT id FROM community_questions WHERE author_id = ?)",
            [text, text, community_author(customer_id)],
        )
    changed = [db.execute(sql, params).rowcount for sql, params in anonymised_posts(customer_id)]
    return sum(changed[:2])
