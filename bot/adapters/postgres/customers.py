"""PostgresCustomerStore: the CustomerStore port on PostgreSQL.

Same tables and value conventions as `bot.adapters.sqlite.customers` (dates ISO text in
UTC, amounts double precision, extra columns a JSON object): both read and write their
rows through `bot.adapters.customer_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import asyncpg

from bot.adapters.customer_rows import (
    BOUGHT_TOGETHER,
    CUSTOMER_BY_EMAIL,
    CUSTOMER_SELECT,
    FAILED_IN_CONVERSATION,
    FAILED_ON_ORDER,
    GOODWILL_SUM,
    INSERT_ATTEMPT,
    INSERT_REQUEST,
    INSERT_TRANSACTION,
    OPEN_REQUEST,
    ORDER_ITEM_SELECT,
    ORDER_SELECT,
    PRODUCT_SELECT,
    SETTLE_ATTEMPT,
    SUMMARY_SELECT,
    TRANSACTION_SELECT,
    customer_row,
    iso,
    money,
    numbered,
    order_item_row,
    order_row,
    product_row,
    request_id_of,
    request_row,
    request_values,
    summary_row,
    together,
    transaction_row,
    transaction_values,
)
from bot.adapters.postgres.database import PostgresDatabase
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


class PostgresCustomerStore:
    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def customer(self, customer_id: str) -> Customer | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow(CUSTOMER_SELECT + " WHERE customer_id = $1", customer_id)
        return customer_row(row) if row else None

    async def customer_by_email(self, email: str) -> Customer | None:
        async with self.database.connection() as conn:
            rows = await conn.fetch(numbered(CUSTOMER_BY_EMAIL), email.strip().lower())
        return customer_row(rows[0]) if len(rows) == 1 else None

    async def order(self, order_id: str) -> Order | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow(ORDER_SELECT + " WHERE order_id = $1", order_id)
        return order_row(row) if row else None

    async def orders_of(self, customer_id: str, limit: int = 5) -> list[Order]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                ORDER_SELECT + " WHERE customer_id = $1 ORDER BY created_at DESC LIMIT $2",
                customer_id,
                limit,
            )
        return [order_row(r) for r in rows]

    async def items_of(self, order_ids: Sequence[str]) -> list[OrderItem]:
        ids = list(order_ids)
        if not ids:
            return []
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                ORDER_ITEM_SELECT + " WHERE order_id = ANY($1::text[])"
                ' ORDER BY order_id COLLATE "C", sku COLLATE "C"',
                ids,
            )
        return [order_item_row(r) for r in rows]

    async def products(self, skus: Sequence[str] | None = None) -> list[Product]:
        async with self.database.connection() as conn:
            if skus is None:
                rows = await conn.fetch(PRODUCT_SELECT + _BY_SKU)
            elif not skus:
                return []
            else:
                rows = await conn.fetch(
                    PRODUCT_SELECT + " WHERE sku = ANY($1::text[])" + _BY_SKU, list(skus)
                )
        return [product_row(r) for r in rows]

    async def transactions_of(
        self, customer_id: str, order_id: str | None = None
    ) -> list[Transaction]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                TRANSACTION_SELECT
                + " WHERE customer_id = $1 AND ($2::text IS NULL OR order_id = $2)"
                " ORDER BY created_at DESC",
                customer_id,
                order_id,
            )
        return [transaction_row(r) for r in rows]

    async def purchase_summary(self, customer_id: str) -> PurchaseSummary | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow(
                SUMMARY_SELECT + " WHERE c.customer_id = $1 GROUP BY c.customer_id", customer_id
            )
        return summary_row(row) if row else None

    async def purchase_summaries(self) -> list[PurchaseSummary]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                SUMMARY_SELECT + ' GROUP BY c.customer_id ORDER BY c.customer_id COLLATE "C"'
            )
        return [summary_row(r) for r in rows]

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
                BOUGHT_TOGETHER + " WHERE a.sku = ANY($1::text[]) GROUP BY a.sku, b.sku", wanted
            )
        return together(rows)

    async def record_request(self, request: ServiceRequest) -> ServiceRequest:
        async with self.database.transaction() as conn:
            # one writer per order at a time, whichever process it runs in
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", request.order_id)
            row = await conn.fetchrow(numbered(OPEN_REQUEST), request.order_id)
            if row:
                return request_row(row)
            request_id = request_id_of(request)
            await conn.execute(numbered(INSERT_REQUEST), *request_values(request, request_id))
        return replace(request, request_id=request_id)

    async def record_attempt(
        self, conversation: str, order_id: str, ok: bool, at: datetime
    ) -> None:
        async with self.database.connection() as conn:
            await conn.execute(numbered(INSERT_ATTEMPT), conversation, order_id, int(ok), iso(at))

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
                numbered(INSERT_ATTEMPT) + " RETURNING id", conversation, order_id, 0, iso(at)
            )
            return counts, int(attempt_id)

    async def settle_attempt(self, attempt_id: int, ok: bool) -> None:
        async with self.database.connection() as conn:
            await conn.execute(numbered(SETTLE_ATTEMPT), int(ok), attempt_id)

    async def record_goodwill(
        self, transaction: Transaction, *, limit: Decimal | None, since: datetime
    ) -> Decimal | None:
        async with self.database.transaction() as conn:
            # one grant per customer at a time, across every process
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext($1))", "goodwill:" + transaction.customer_id
            )
            granted = await conn.fetchval(
                numbered(GOODWILL_SUM),
                transaction.customer_id,
                iso(since),
            )
            total = money(granted) + transaction.amount
            if limit is not None and total > limit:
                return None
            await conn.execute(numbered(INSERT_TRANSACTION), *transaction_values(transaction))
            return total


async def _attempt_counts(
    conn: asyncpg.Connection, conversation: str, order_id: str | None, since: datetime
) -> AttemptCounts:
    by_conversation = await conn.fetchval(numbered(FAILED_IN_CONVERSATION), conversation)
    by_order = 0
    if order_id:
        by_order = await conn.fetchval(numbered(FAILED_ON_ORDER), order_id, iso(since))
    return AttemptCounts(int(by_conversation), int(by_order))
