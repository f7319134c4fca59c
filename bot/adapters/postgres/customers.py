"""PostgresCustomerStore: the CustomerStore port on PostgreSQL.

Same tables and value conventions as `bot.adapters.sqlite.customers` (dates ISO text in
UTC, amounts double precision, extra columns a JSON object), so rows read the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import asyncpg

from bot.adapters.postgres.database import PostgresDatabase
from bot.adapters.sqlite.customers import (
    _CUSTOMER,
    _ORDER,
    _PRODUCT,
    _SUMMARY,
    _TRANSACTION,
    CUSTOMER_BY_EMAIL,
    FAILED_IN_CONVERSATION,
    FAILED_ON_ORDER,
    GOODWILL_SUM,
    INSERT_TRANSACTION,
    _customer,
    _instant,
    _iso,
    _money,
    _order,
    _product,
    _summary,
    _transaction,
    _transaction_row,
)
from bot.core.customers import (
    AttemptCounts,
    Customer,
    Order,
    OrderItem,
    Product,
    PurchaseSummary,
    ServiceRequest,
    Transaction,
)

# text sorts as in SQLite (by code point), whatever the database's collation
_BY_SKU = ' ORDER BY sku COLLATE "C"'
_REQUEST = (
    "SELECT request_id, kind, order_id, customer_id, created_at, status, conversation"
    " FROM service_requests WHERE order_id = $1 AND status = 'open'"
)


class PostgresCustomerStore:
    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def customer(self, customer_id: str) -> Customer | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow(_CUSTOMER + " WHERE customer_id = $1", customer_id)
        return _customer(row) if row else None

    async def customer_by_email(self, email: str) -> Customer | None:
        async with self.database.connection() as conn:
            rows = await conn.fetch(_numbered(CUSTOMER_BY_EMAIL), email.strip().lower())
        return _customer(rows[0]) if len(rows) == 1 else None

    async def order(self, order_id: str) -> Order | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow(_ORDER + " WHERE order_id = $1", order_id)
        return _order(row) if row else None

    async def orders_of(self, customer_id: str, limit: int = 5) -> list[Order]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                _ORDER + " WHERE customer_id = $1 ORDER BY created_at DESC LIMIT $2",
                customer_id,
                limit,
            )
        return [_order(r) for r in rows]

    async def items_of(self, order_ids: Sequence[str]) -> list[OrderItem]:
        ids = list(order_ids)
        if not ids:
            return []
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                "SELECT order_id, sku, quantity, unit_price FROM order_items"
                ' WHERE order_id = ANY($1::text[]) ORDER BY order_id COLLATE "C", sku COLLATE "C"',
                ids,
            )
        return [OrderItem(r[0], r[1], int(r[2]), _money(r[3])) for r in rows]

    async def products(self, skus: Sequence[str] | None = None) -> list[Product]:
        async with self.database.connection() as conn:
            if skus is None:
                rows = await conn.fetch(_PRODUCT + _BY_SKU)
            elif not skus:
                return []
            else:
                rows = await conn.fetch(
                    _PRODUCT + " WHERE sku = ANY($1::text[])" + _BY_SKU, list(skus)
                )
        return [_product(r) for r in rows]

    async def transactions_of(
        self, customer_id: str, order_id: str | None = None
    ) -> list[Transaction]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                _TRANSACTION + " WHERE customer_id = $1 AND ($2::text IS NULL OR order_id = $2)"
                " ORDER BY created_at DESC",
                customer_id,
                order_id,
            )
        return [_transaction(r) for r in rows]

    async def purchase_summary(self, customer_id: str) -> PurchaseSummary | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow(
                _SUMMARY + " WHERE c.customer_id = $1 GROUP BY c.customer_id", customer_id
            )
        return _summary(row) if row else None

    async def purchase_summaries(self) -> list[PurchaseSummary]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                _SUMMARY + ' GROUP BY c.customer_id ORDER BY c.customer_id COLLATE "C"'
            )
        return [_summary(r) for r in rows]

    async def best_sellers(self, limit: int = 20) -> list[str]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                'SELECT sku FROM order_items GROUP BY sku ORDER BY sum(quantity) DESC, sku COLLATE "C"'
                " LIMIT $1",
                limit,
            )
        return [r[0] for r in rows]

    async def bought_together(self, skus: Sequence[str]) -> dict[str, dict[str, int]]:
        wanted = list(skus)
        if not wanted:
            return {}
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                "SELECT a.sku, b.sku, count(*) FROM order_items a"
                " JOIN order_items b ON a.order_id = b.order_id AND a.sku <> b.sku"
                " WHERE a.sku = ANY($1::text[]) GROUP BY a.sku, b.sku",
                wanted,
            )
        out: dict[str, dict[str, int]] = {}
        for a, b, n in rows:
            out.setdefault(a, {})[b] = int(n)
        return out

    async def record_request(self, request: ServiceRequest) -> ServiceRequest:
        async with self.database.transaction() as conn:
            # one writer per order at a time, whichever process it runs in
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", request.order_id)
            row = await conn.fetchrow(_REQUEST, request.order_id)
            if row:
                created = _instant(row[4])
                assert created is not None
                return ServiceRequest(row[0], row[1], row[2], row[3], created, row[5], row[6])
            request_id = request.request_id or f"R-{uuid.uuid4().hex[:10].upper()}"
            await conn.execute(
                "INSERT INTO service_requests VALUES ($1, $2, $3, $4, $5, $6, $7)",
                request_id,
                request.kind,
                request.order_id,
                request.customer_id,
                _iso(request.created_at),
                request.status,
                request.conversation,
            )
        return replace(request, request_id=request_id)

    async def record_attempt(
        self, conversation: str, order_id: str, ok: bool, at: datetime
    ) -> None:
        async with self.database.connection() as conn:
            await conn.execute(
                "INSERT INTO verification_attempts (conversation, order_id, ok, at)"
                " VALUES ($1, $2, $3, $4)",
                conversation,
                order_id,
                int(ok),
                _iso(at),
            )

    async def attempt_counts(
        self, conversation: str, order_id: str | None, since: datetime
    ) -> AttemptCounts:
        async with self.database.connection() as conn:
            return await _attempt_counts(conn, conversation, order_id, since)

    async def reserve_attempt(
        self,
        conversation: str,
        order_id: str,
        at: datetime,
        since: datetime,
        limits: tuple[int, int],
    ) -> tuple[AttemptCounts, int | None]:
        async with self.database.transaction() as conn:
            # one check of an order at a time, across every process
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", "verify:" + order_id)
            counts = await _attempt_counts(conn, conversation, order_id, since)
            if counts.conversation_failures >= limits[0] or counts.order_failures >= limits[1]:
                return counts, None
            attempt_id = await conn.fetchval(
                "INSERT INTO verification_attempts (conversation, order_id, ok, at)"
                " VALUES ($1, $2, 0, $3) RETURNING id",
                conversation,
                order_id,
                _iso(at),
            )
            return counts, int(attempt_id)

    async def settle_attempt(self, attempt_id: int, ok: bool) -> None:
        async with self.database.connection() as conn:
            await conn.execute(
                "UPDATE verification_attempts SET ok = $1 WHERE id = $2", int(ok), attempt_id
            )

    async def record_goodwill(
        self, transaction: Transaction, *, limit: Decimal | None, since: datetime
    ) -> Decimal | None:
        async with self.database.transaction() as conn:
            # one grant per customer at a time, across every process
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext($1))", "goodwill:" + transaction.customer_id
            )
            granted = await conn.fetchval(
                _numbered(GOODWILL_SUM),
                transaction.customer_id,
                _iso(since),
            )
            total = _money(granted) + transaction.amount
            if limit is not None and total > limit:
                return None
            await conn.execute(_numbered(INSERT_TRANSACTION), *_transaction_row(transaction))
            return total


def _numbered(sql: str) -> str:
    """SQLite's `?` placeholders as asyncpg's `$1, $2, ...`, for the statements both share."""
    parts = sql.split("?")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], start=1)) + parts[-1]


async def _attempt_counts(
    conn: asyncpg.Connection, conversation: str, order_id: str | None, since: datetime
) -> AttemptCounts:
    by_conversation = await conn.fetchval(_numbered(FAILED_IN_CONVERSATION), conversation)
    by_order = 0
    if order_id:
        by_order = await conn.fetchval(_numbered(FAILED_ON_ORDER), order_id, _iso(since))
    return AttemptCounts(int(by_conversation), int(by_order))
