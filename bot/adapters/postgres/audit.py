"""The audit log and the PrivacyStore port on PostgreSQL, as bot/adapters/sqlite/audit.py
does them on SQLite: export, erasure (rows of any table with a `customer_id`, `order_id`
of her orders, `conversation_id`/`conversation` of her conversations: tables added later
are covered too) and retention, each in one transaction with its audit row.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg

from bot.adapters.postgres.database import PostgresDatabase
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

SKIP_TABLES = frozenset({"audit", "balcao_migrations"})
CONVERSATION_COLUMNS = ("conversation_id", "conversation")
REDACTED = '{"redacted": true}'


async def record(
    conn: asyncpg.Connection,
    *,
    at: float,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO audit (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)",
        at, actor, action, subject, json.dumps(details or {}, sort_keys=True),
    )  # fmt: skip


class PostgresAuditLog:
    def __init__(self, database: PostgresDatabase) -> None:
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
        async with self.database.connection() as conn:
            await record(conn, at=at, actor=actor, action=action, subject=subject, details=details)


async def audit_records(
    database: PostgresDatabase, subject: str | None = None
) -> list[dict[str, Any]]:
    async with database.connection() as conn:
        rows = await conn.fetch(
            "SELECT id, at, actor, action, subject, details FROM audit"
            " WHERE $1::text IS NULL OR subject = $1 ORDER BY id",
            subject,
        )
    return [
        {"id": r[0], "at": r[1], "actor": r[2], "action": r[3], "subject": r[4],
         "details": json.loads(r[5])}
        for r in rows
    ]  # fmt: skip


async def _tables(conn: asyncpg.Connection) -> dict[str, set[str]]:
    rows = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name"
    )
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        if table not in SKIP_TABLES:
            tables.setdefault(table, set()).add(column)
    return tables


async def customer_conversations(conn: asyncpg.Connection, customer_id: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT DISTINCT conversation_id, kind, data FROM events WHERE kind = 'slot'"
        " AND data::jsonb ->> 'name' = $1",
        CUSTOMER_SLOT,
    )
    return sorted({r[0] for r in rows if names_customer(r[1], json.loads(r[2]), customer_id)})


async def _mentioning(conn: asyncpg.Connection, terms: Sequence[str]) -> list[str]:
    if not terms:
        return []
    rows = await conn.fetch(
        "SELECT DISTINCT conversation_id FROM events"
        " WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) t WHERE strpos(lower(data), t) > 0)",
        list(terms),
    )
    return [r[0] for r in rows]


async def _selections(
    conn: asyncpg.Connection, customer_id: str, conversations: list[str]
) -> list[tuple[str, str, list[Any]]]:
    """(table, WHERE clause with $1 = id, $2 = orders, $3 = conversations), children first."""
    tables = await _tables(conn)
    orders: list[str] = []
    if "orders" in tables:
        orders = [
            r[0]
            for r in await conn.fetch(
                "SELECT order_id FROM orders WHERE customer_id = $1", customer_id
            )
        ]
    chosen: list[tuple[str, str, list[Any]]] = []
    for table, columns in tables.items():
        clauses: list[str] = []
        if "customer_id" in columns:
            clauses.append("customer_id = $1")
        if "order_id" in columns and orders:
            clauses.append("order_id = ANY($2::text[])")
        for column in CONVERSATION_COLUMNS:
            if column in columns and conversations:
                clauses.append(f'"{column}" = ANY($3::text[])')
        if table == "conversations" and conversations:
            clauses.append("id = ANY($3::text[])")
        if clauses:
            chosen.append((table, " OR ".join(clauses), [customer_id, orders, conversations]))
    # rows that others reference go last (events and handoffs before conversations)
    chosen.sort(key=lambda item: (item[0] in ("conversations", "agents"), item[0]))
    return chosen


def _where(clause: str) -> str:
    # every parameter must be used by the statement for asyncpg to type it: mention all three
    return (
        f"({clause}) AND $1::text IS NOT NULL AND $2::text[] IS NOT NULL AND $3::text[] IS NOT NULL"
    )


class PostgresPrivacyStore:
    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def search_terms(self, customer_id: str) -> tuple[str, ...]:
        async with self.database.connection() as conn:
            tables = await _tables(conn)
            row = (
                await conn.fetchrow(
                    "SELECT email, phone FROM customers WHERE customer_id = $1", customer_id
                )
                if "customers" in tables
                else None
            )
            orders = (
                [
                    str(r[0])
                    for r in await conn.fetch(
                        "SELECT order_id FROM orders WHERE customer_id = $1", customer_id
                    )
                ]
                if "orders" in tables
                else []
            )
        return search_terms(row[0] if row else None, row[1] if row else None, orders)

    async def export_customer(self, customer_id: str, *, actor: str, now: float) -> dict[str, Any]:
        async with self.database.transaction() as conn:
            conversations = await customer_conversations(conn, customer_id)
            tables: dict[str, list[dict[str, Any]]] = {}
            for table, where, params in await _selections(conn, customer_id, conversations):
                if table in ("events", "conversations"):
                    continue
                rows = await conn.fetch(f'SELECT * FROM "{table}" WHERE {_where(where)}', *params)
                if rows:
                    tables[table] = [dict(r) for r in rows]
            if not tables and not conversations:
                raise InputError(f"no data about customer '{customer_id}'", code="unknown_customer")
            document = {
                "customer_id": customer_id,
                "exported_at": now,
                "tables": tables,
                "conversations": [await _conversation(conn, cid) for cid in conversations],
            }
            await record(
                conn, at=now, actor=actor, action="customer.export", subject=f"customer:{customer_id}",
                details={"conversations": len(conversations), **{t: len(r) for t, r in tables.items()}},
            )  # fmt: skip
        return document

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
        counts: dict[str, int] = {}
        async with self.database.transaction() as conn:
            named = await customer_conversations(conn, customer_id)
            mentioned = await _mentioning(conn, terms)
            conversations = sorted(set(named) | set(mentioned))
            for table, where, params in await _selections(conn, customer_id, conversations):
                status = await conn.execute(f'DELETE FROM "{table}" WHERE {_where(where)}', *params)
                counts[table] = int(status.split()[-1])
            counts["unverified conversations"] = len(set(mentioned) - set(named))
            wanted = [t.lower() for t in (*terms, *also_redact) if t]
            status = await conn.execute(
                "UPDATE audit SET details = $2 WHERE EXISTS"
                " (SELECT 1 FROM unnest($1::text[]) t WHERE strpos(lower(details), t) > 0)",
                wanted, REDACTED,
            )  # fmt: skip
            counts["audit details"] = int(status.split()[-1])
            counts["community posts"] = await _anonymise_posts(conn, customer_id)
            counts.update(extra or {})
            await record(
                conn, at=now, actor=actor, action="customer.forget", subject=f"customer:{customer_id}",
                details={t: n for t, n in counts.items() if n},
            )  # fmt: skip
        logger.info("forgot a customer: %d conversations", len(conversations))
        return Erasure(counts, tuple(conversations))

    async def warehouse_exports(self, before: float) -> list[tuple[str, float]]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                "SELECT subject, max(at) FROM audit WHERE action = 'warehouse.export'"
                " AND at <= $1 GROUP BY subject ORDER BY max(at)",
                before,
            )
        return [(str(r[0]).removeprefix("warehouse:"), float(r[1])) for r in rows]

    async def apply_retention(self, days: int, *, actor: str, now: float) -> Erasure:
        cutoff = retention_cutoff(now, days)
        async with self.database.transaction() as conn:
            rows = await conn.fetch(
                'SELECT id, conversation_id, kind, data FROM events WHERE "timestamp" < $1'
                " AND kind IN ('user', 'agent', 'bot', 'note', 'suggestion', 'feedback')"
                " AND (data::jsonb -> 'redacted') IS NULL",
                cutoff,
            )
            ids: list[int] = []
            data: list[str] = []
            touched: set[str] = set()
            for row_id, conversation_id, kind, text in rows:
                blanked = redact(kind, json.loads(text))
                if blanked is not None:
                    ids.append(row_id)
                    data.append(json.dumps(blanked, ensure_ascii=False))
                    touched.add(conversation_id)
            await conn.execute(
                "UPDATE events SET data = u.data FROM unnest($1::bigint[], $2::text[])"
                " AS u(id, data) WHERE events.id = u.id",
                ids, data,
            )  # fmt: skip
            await record(
                conn, at=now, actor=actor, action="retention.apply", subject=f"events:before:{cutoff:.0f}",
                details={"days": days, "events": len(ids)},
            )  # fmt: skip
        return Erasure({"events": len(ids)}, tuple(sorted(touched)))


async def _conversation(conn: asyncpg.Connection, conversation_id: str) -> dict[str, Any]:
    row = await conn.fetchrow(
        "SELECT channel, sender, created_at, language FROM conversations WHERE id = $1",
        conversation_id,
    )
    events = await conn.fetch(
        'SELECT seq, kind, data, "timestamp" FROM events WHERE conversation_id = $1 ORDER BY seq',
        conversation_id,
    )
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


async def _anonymise_posts(conn: asyncpg.Connection, customer_id: str) -> int:
    """As the SQLite store: the posts stay, their author and words go (the tsvector column is
    generated from the text, so the search forgets them too)."""
    exists = await conn.fetchval("SELECT to_regclass('community_questions') IS NOT NULL")
    if not exists:
        return 0
    author = f"customer:{customer_id}"
    new_id, name, text = FORGOTTEN_AUTHOR
    changed = 0
    for sql in (
        "UPDATE community_questions SET author_id = $1, author_name = $2, title = $3, body = $3"
        " WHERE author_id = $4",
        "UPDATE community_answers SET author_id = $1, author_name = $2, body = $3"
        " WHERE author_id = $4",
    ):
        status = await conn.execute(sql, new_id, name, text, author)
        changed += int(status.split()[-1])
    await conn.execute("DELETE FROM community_votes WHERE voter = $1", author)
    await conn.execute("DELETE FROM community_reports WHERE reporter = $1", author)
    return changed
