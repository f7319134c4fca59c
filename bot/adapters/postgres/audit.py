"""The audit log and the PrivacyStore port on PostgreSQL, as bot/adapters/sqlite/audit.py
does them on SQLite: export, erasure (rows of any table with a `customer_id`, `order_id`
of her orders, `conversation_id`/`conversation` of her conversations: tables added later
are covered too; her community posts and votes) and retention, each in one transaction
with its audit row. The statements and row mappings both stores share are in
bot/adapters/personal_data.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg

from bot.adapters import personal_data as shared
from bot.adapters.customer_rows import numbered as _numbered
from bot.adapters.postgres.database import PostgresDatabase
from bot.core.privacy import (
    CUSTOMER_SLOT,
    names_customer,
    retention_cutoff,
    search_terms,
    suppression_key,
)
from bot.ports import Erasure

logger = logging.getLogger(__name__)


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
        _numbered(shared.INSERT_AUDIT), *shared.audit_params(at, actor, action, subject, details)
    )


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
            shared.SELECT_AUDIT + " WHERE $1::text IS NULL OR subject = $1 ORDER BY id", subject
        )
    return [shared.audit_record(r) for r in rows]


async def schema(conn: asyncpg.Connection) -> dict[str, set[str]]:
    """Every table's columns in the current schema."""
    rows = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name"
    )
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    return tables


async def _tables(conn: asyncpg.Connection) -> dict[str, set[str]]:
    return {t: c for t, c in (await schema(conn)).items() if t not in shared.SKIP_TABLES}


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
    parameter = {"customer_id": "$1::text", "order_id": "ANY($2::text[])"}
    chosen: list[tuple[str, str, list[Any]]] = []
    for table in shared.ordered(tables):
        keys = [*shared.reaches(tables[table]), *(["id"] if table == "conversations" else [])]
        clauses = [
            f'"{key}" = {parameter.get(key, "ANY($3::text[])")}'
            for key in keys
            if {"customer_id": True, "order_id": bool(orders)}.get(key, bool(conversations))
        ]
        if clauses:
            chosen.append((table, " OR ".join(clauses), [customer_id, orders, conversations]))
    return chosen


def _where(clause: str) -> str:
    # every parameter must be used by the statement for asyncpg to type it: mention all three
    return (
        f"({clause}) AND $1::text IS NOT NULL AND $2::text[] IS NOT NULL AND $3::text[] IS NOT NULL"
    )


def _count(status: str) -> int:
    return int(status.split()[-1])


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
                if table not in ("events", "conversations"):
                    rows = await conn.fetch(
                        f'SELECT * FROM "{table}" WHERE {_where(where)}', *params
                    )
                    tables[table] = [dict(r) for r in rows]
            present = await _tables(conn)
            for table, sql in shared.COMMUNITY_EXPORT.items():
                if table in present:
                    rows = await conn.fetch(_numbered(sql), shared.community_author(customer_id))
                    tables[table] = [dict(r) for r in rows]
            document = shared.customer_document(
                customer_id,
                now,
                {t: r for t, r in tables.items() if r},
                [await _conversation(conn, cid) for cid in conversations],
            )
            await record(
                conn, at=now, actor=actor, action="customer.export", subject=f"customer:{customer_id}",
                details=shared.export_details(document),
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
                counts[table] = _count(status)
            counts["unverified conversations"] = len(set(mentioned) - set(named))
            wanted = [t.lower() for t in (*terms, *also_redact) if t]
            status = await conn.execute(
                "UPDATE audit SET details = $2 WHERE EXISTS"
                " (SELECT 1 FROM unnest($1::text[]) t WHERE strpos(lower(details), t) > 0)",
                wanted, shared.REDACTED,
            )  # fmt: skip
            counts["audit details"] = _count(status)
            counts["community posts"] = await _anonymise_posts(conn, customer_id)
            if "notice_suppressions" in await _tables(conn):
                await conn.execute(_numbered(shared.SUPPRESS), suppression_key(customer_id), now)
            counts.update(extra or {})
            await record(
                conn, at=now, actor=actor, action="customer.forget", subject=f"customer:{customer_id}",
                details={t: n for t, n in counts.items() if n},
            )  # fmt: skip
        logger.info("forgot a customer: %d conversations", len(conversations))
        return Erasure(counts, tuple(conversations))

    async def warehouse_exports(self, before: float) -> list[tuple[str, float]]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(_numbered(shared.WAREHOUSE_EXPORTS), before)
        return [shared.warehouse_export(r) for r in rows]

    async def apply_retention(self, days: int, *, actor: str, now: float) -> Erasure:
        cutoff = retention_cutoff(now, days)
        async with self.database.transaction() as conn:
            updates, touched = shared.blanked_events(
                await conn.fetch(_numbered(shared.RETENTION_EVENTS), cutoff)
            )
            await conn.execute(
                "UPDATE events SET data = u.data FROM unnest($1::bigint[], $2::text[])"
                " AS u(id, data) WHERE events.id = u.id",
                [i for i, _ in updates], [d for _, d in updates],
            )  # fmt: skip
            counts = {"events": len(updates)}
            tables = await _tables(conn)
            if "notices" in tables:
                status = await conn.execute(
                    _numbered(shared.RETENTION_NOTICES), shared.iso_instant(cutoff)
                )
                counts["notices"] = _count(status)
            for table, sql in shared.RETENTION_COMMUNITY:
                if table in tables:
                    counts[table] = _count(await conn.execute(_numbered(sql), cutoff))
            await record(
                conn, at=now, actor=actor, action="retention.apply", subject=f"events:before:{cutoff:.0f}",
                details=shared.retention_details(days, counts),
            )  # fmt: skip
        return Erasure(counts, tuple(sorted(touched)))


async def _conversation(conn: asyncpg.Connection, conversation_id: str) -> dict[str, Any]:
    return shared.conversation_document(
        conversation_id,
        await conn.fetchrow(_numbered(shared.CONVERSATION), conversation_id),
        await conn.fetch(_numbered(shared.CONVERSATION_EVENTS), conversation_id),
    )


async def _anonymise_posts(conn: asyncpg.Connection, customer_id: str) -> int:
    """As the SQLite store: the posts stay, their author and words go (the tsvector column is
    generated from the text, so the search forgets them too)."""
    exists = await conn.fetchval("SELECT to_regclass('community_questions') IS NOT NULL")
    if not exists:
        return 0
    changed = [
        _count(await conn.execute(_numbered(sql), *params))
        for sql, params in shared.anonymised_posts(customer_id)
    ]
    return sum(changed[:2])
