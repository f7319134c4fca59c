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
from typing import Any, TypeVar

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.adapters.sqlite.database import DatabaseRunner
from bot.core.privacy import (
    CUSTOMER_SLOT,
    FORGOTTEN_AUTHOR,
    names_customer,
    redact,
    retention_cutoff,
    search_terms,
)
from bot.errors import InputError
from bot.ports import Erasure

logger = logging.getLogger(__name__)

T = TypeVar("T")

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


SKIP_TABLES = frozenset({"audit", "_sqlite_migrations"})
CONVERSATION_COLUMNS = ("conversation_id", "conversation")


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
    db.execute(
        "INSERT INTO audit (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)",
        [at, actor, action, subject, json.dumps(details or {}, sort_keys=True)],
    )


def audit_records(db: sqlite_utils.Database, subject: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT id, at, actor, action, subject, details FROM audit"
    rows = db.execute(
        sql + (" WHERE subject = ?" if subject else "") + " ORDER BY id",
        [subject] if subject else [],
    ).fetchall()
    return [
        {
            "id": r[0],
            "at": r[1],
            "actor": r[2],
            "action": r[3],
            "subject": r[4],
            "details": json.loads(r[5]),
        }
        for r in rows
    ]


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


def _columns(db: sqlite_utils.Database, table: str) -> set[str]:
    return {row[1] for row in db.execute(f'PRAGMA table_info("{table}")').fetchall()}


def _tables(db: sqlite_utils.Database) -> list[str]:
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows if r[0] not in SKIP_TABLES and not r[0].startswith("_")]


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
    chosen: list[tuple[str, str, list[Any]]] = []
    for table in tables:
        columns = _columns(db, table)
        clauses: list[str] = []
        params: list[Any] = []
        if "customer_id" in columns:
            clauses.append("customer_id = ?")
            params.append(customer_id)
        if "order_id" in columns and orders:
            marks, values = _in(orders)
            clauses.append(f"order_id IN ({marks})")
            params.extend(values)
        for column in CONVERSATION_COLUMNS:
            if column in columns and conversations:
                marks, values = _in(conversations)
                clauses.append(f"{column} IN ({marks})")
                params.extend(values)
        if table == "conversations" and conversations:
            marks, values = _in(conversations)
            clauses.append(f"id IN ({marks})")
            params.extend(values)
        if clauses:
            chosen.append((table, " OR ".join(clauses), params))
    return chosen


class _Privacy:
    """Export, erasure and retention on one connection, on the database thread."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def search_terms(self, customer_id: str) -> tuple[str, ...]:
        db = self.db
        tables = set(_tables(db))
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

    def export_customer(self, customer_id: str, *, actor: str, now: float) -> dict[str, Any]:
        db = self.db
        with db.atomic():
            conversations = customer_conversations(db, customer_id)
            tables: dict[str, list[dict[str, Any]]] = {}
            for table, where, params in _selections(db, customer_id, conversations):
                if table in ("events", "conversations"):
                    continue
                cursor = db.execute(f'SELECT * FROM "{table}" WHERE {where}', params)
                names = [d[0] for d in cursor.description]
                rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
                if rows:
                    tables[table] = rows
            if not tables and not conversations:
                raise InputError(f"no data about customer '{customer_id}'", code="unknown_customer")
            document = {
                "customer_id": customer_id,
                "exported_at": now,
                "tables": tables,
                "conversations": [self._conversation(cid) for cid in conversations],
            }
            record(
                db, at=now, actor=actor, action="customer.export", subject=f"customer:{customer_id}",
                details={"conversations": len(conversations), **{t: len(r) for t, r in tables.items()}},
            )  # fmt: skip
        return document

    def _conversation(self, conversation_id: str) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT channel, sender, created_at, language FROM conversations WHERE id = ?",
            [conversation_id],
        ).fetchone()
        events = self.db.execute(
            "SELECT seq, kind, data, timestamp FROM events WHERE conversation_id = ? ORDER BY seq",
            [conversation_id],
        ).fetchall()
        return {
            "id": conversation_id,
            "channel": row[0] if row else None,
            "sender": row[1] if row else None,
            "created_at": row[2] if row else None,
            "language": row[3] if row else None,
            "events": [
                {"seq": s, "kind": k, "data": json.loads(d), "timestamp": t}
                for s, k, d, t in events
            ],
        }

    def forget_customer(
        self,
        customer_id: str,
        *,
        terms: Sequence[str],
        also_redact: Sequence[str],
        actor: str,
        now: float,
        extra: dict[str, int] | None = None,
    ) -> Erasure:
        """Delete every row about the customer in one transaction; counts per table."""
        db = self.db
        counts: dict[str, int] = {}
        with db.atomic():
            db.execute("PRAGMA defer_foreign_keys = ON")
            named = customer_conversations(db, customer_id)
            mentioned = _mentioning(db, terms)
            conversations = sorted(set(named) | set(mentioned))
            for table, where, params in _selections(db, customer_id, conversations):
                counts[table] = db.execute(f'DELETE FROM "{table}" WHERE {where}', params).rowcount
            counts["unverified conversations"] = len(set(mentioned) - set(named))
            counts["audit details"] = _redact_audit(db, [*terms, *also_redact])
            counts["community posts"] = _anonymise_posts(db, customer_id)
            counts.update(extra or {})
            record(
                db, at=now, actor=actor, action="customer.forget", subject=f"customer:{customer_id}",
                details={t: n for t, n in counts.items() if n},
            )  # fmt: skip
        logger.info("forgot a customer: %d conversations", len(conversations))
        return Erasure(counts, tuple(conversations))

    def warehouse_exports(self, before: float) -> list[tuple[str, float]]:
        """(target, latest time) of every warehouse export recorded before `before`."""
        rows = self.db.execute(
            "SELECT subject, max(at) FROM audit WHERE action = 'warehouse.export' AND at <= ?"
            " GROUP BY subject ORDER BY max(at)",
            [before],
        ).fetchall()
        return [(str(subject).removeprefix("warehouse:"), float(at)) for subject, at in rows]

    def apply_retention(self, days: int, *, actor: str, now: float) -> Erasure:
        """Blank the text of events older than `days` days; counts and conversations changed."""
        cutoff = retention_cutoff(now, days)
        db = self.db
        with db.atomic():
            rows = db.execute(
                "SELECT id, conversation_id, kind, data FROM events WHERE timestamp < ?"
                " AND kind IN ('user', 'agent', 'bot', 'note', 'suggestion', 'feedback')"
                " AND json_extract(data, '$.redacted') IS NULL",
                [cutoff],
            ).fetchall()
            updates = []
            touched: set[str] = set()
            for row_id, conversation_id, kind, data in rows:
                blanked = redact(kind, json.loads(data))
                if blanked is not None:
                    updates.append((json.dumps(blanked, ensure_ascii=False), row_id))
                    touched.add(conversation_id)
            db.conn.executemany("UPDATE events SET data = ? WHERE id = ?", updates)
            record(
                db, at=now, actor=actor, action="retention.apply", subject=f"events:before:{cutoff:.0f}",
                details={"days": days, "events": len(updates)},
            )  # fmt: skip
        return Erasure({"events": len(updates)}, tuple(sorted(touched)))


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
    return db.execute(
        f"""UPDATE audit SET details = '{{"redacted": true}}' WHERE {clause}""", wanted
    ).rowcount


class SqlitePrivacyStore:
    """The PrivacyStore port on SQLite: every call on the database thread."""

    def __init__(self, database: DatabaseRunner) -> None:
        self.database = database

    async def search_terms(self, customer_id: str) -> tuple[str, ...]:
        return await self.database.run(lambda db: _Privacy(db).search_terms(customer_id))

    async def export_customer(self, customer_id: str, *, actor: str, now: float) -> dict[str, Any]:
        return await self.database.run(
            lambda db: _Privacy(db).export_customer(customer_id, actor=actor, now=now)
        )

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
        return await self.database.run(
            lambda db: _Privacy(db).forget_customer(
                customer_id, terms=terms, also_redact=also_redact, actor=actor, now=now, extra=extra
            )
        )

    async def warehouse_exports(self, before: float) -> list[tuple[str, float]]:
        return await self.database.run(lambda db: _Privacy(db).warehouse_exports(before))

    async def apply_retention(self, days: int, *, actor: str, now: float) -> Erasure:
        return await self.database.run(
            lambda db: _Privacy(db).apply_retention(days, actor=actor, now=now)
        )


COMMUNITY_POSTS = ("community_questions", "community_answers")


def _anonymise_posts(db: sqlite_utils.Database, customer_id: str) -> int:
    tables = set(db.table_names())
    if not tables.issuperset(COMMUNITY_POSTS):
        return 0
    author = f"customer:{customer_id}"
    new_id, name, text = FORGOTTEN_AUTHOR
    if "community_fts" in tables:  # the search index holds the words too
        db.execute(
            "UPDATE community_fts SET title = ?, body = ? WHERE rowid IN"
            " (SELECT id FROM community_questions WHERE author_id = ?)",
            [text, text, author],
        )
    changed = db.execute(
        "UPDATE community_questions SET author_id = ?, author_name = ?, title = ?, body = ?"
        " WHERE author_id = ?",
        [new_id, name, text, text, author],
    ).rowcount
    changed += db.execute(
        "UPDATE community_answers SET author_id = ?, author_name = ?, body = ? WHERE author_id = ?",
        [new_id, name, text, author],
    ).rowcount
    for table, column in (("community_votes", "voter"), ("community_reports", "reporter")):
        if table in tables:
            db.execute(f"DELETE FROM {table} WHERE {column} = ?", [author])
    return int(changed)
