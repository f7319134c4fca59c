"""SqliteCustomerStore: customers, products, orders, money, requests and identity checks.

Dates are stored as ISO 8601 text in UTC (so they sort), amounts as REAL, extra
CSV columns as a JSON object. `write_shop` upserts a whole import in one
transaction. The store runs every call through a `DatabaseRunner` (one thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

import sqlite_utils
from sqlite_utils.migrations import Migrations

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
    customer_values,
    iso,
    money,
    order_item_row,
    order_row,
    order_values,
    product_row,
    product_values,
    request_id_of,
    request_row,
    request_values,
    summary_row,
    together,
    transaction_row,
    transaction_values,
)
from bot.adapters.shop_csv import Known, ShopData
from bot.adapters.sqlite.database import DatabaseRunner
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

# the names the notices adapters still import from here
_ORDER, _order, _iso = ORDER_SELECT, order_row, iso

T = TypeVar("T")

migrations = Migrations("customers")


@migrations()
def m001_shop_tables(db: sqlite_utils.Database) -> None:
    db.table("customers").create(
        {
            "customer_id": str,
            "name": str,
            "email": str,
            "phone": str,
            "language": str,
            "postcode": str,
            "created_at": str,
            "account_manager": str,
            "extra": str,
        },
        pk="customer_id",
    )
    db.table("customers").create_index(["email"])
    db.table("products").create(
        {
            "sku": str,
            "name": str,
            "category": str,
            "price": float,
            "currency": str,
            "description": str,
            "stock": int,
            "extra": str,
        },
        pk="sku",
    )
    db.table("orders").create(
        {
            "order_id": str,
            "customer_id": str,
            "created_at": str,
            "status": str,
            "total": float,
            "currency": str,
            "carrier": str,
            "tracking_code": str,
            "estimated_delivery": str,
            "extra": str,
        },
        pk="order_id",
    )
    db.table("orders").create_index(["customer_id", "created_at"])
    db.table("order_items").create(
        {"order_id": str, "sku": str, "quantity": int, "unit_price": float},
        pk=("order_id", "sku"),
    )
    db.table("order_items").create_index(["sku"])
    db.table("transactions").create(
        {
            "transaction_id": str,
            "customer_id": str,
            "order_id": str,
            "created_at": str,
            "kind": str,
            "amount": float,
            "currency": str,
            "status": str,
            "method": str,
        },
        pk="transaction_id",
    )
    db.table("transactions").create_index(["customer_id", "created_at"])
    db.table("transactions").create_index(["order_id"])


@migrations()
def m002_requests_and_attempts(db: sqlite_utils.Database) -> None:
    db.table("service_requests").create(
        {
            "request_id": str,
            "kind": str,
            "order_id": str,
            "customer_id": str,
            "created_at": str,
            "status": str,
            "conversation": str,
        },
        pk="request_id",
    )
    db.table("service_requests").create_index(["order_id", "status"])
    # identity checks: no email or postcode is kept, only whether it matched
    db.table("verification_attempts").create(
        {"id": int, "conversation": str, "order_id": str, "ok": int, "at": str},
        pk="id",
    )
    db.table("verification_attempts").create_index(["conversation", "at"])
    db.table("verification_attempts").create_index(["order_id", "at"])


def known_ids(db: sqlite_utils.Database) -> Known:
    """Ids already stored, for checking references of a partial import."""

    def column(sql: str) -> frozenset[str]:
        return frozenset(r[0] for r in db.execute(sql).fetchall())

    return Known(
        customers=column("SELECT customer_id FROM customers"),
        products=column("SELECT sku FROM products"),
        orders=column("SELECT order_id FROM orders"),
    )


def write_shop(db: sqlite_utils.Database, data: ShopData) -> None:
    """Upsert everything in one transaction; an imported order's items replace its old ones."""
    with db.atomic():
        db.conn.executemany(
            "INSERT OR REPLACE INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [customer_values(c) for c in data.customers],
        )
        db.conn.executemany(
            "INSERT OR REPLACE INTO products VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [product_values(p) for p in data.products],
        )
        db.conn.executemany(
            "INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [order_values(o) for o in data.orders],
        )
        replaced = sorted({i.order_id for i in data.items})
        db.conn.executemany("DELETE FROM order_items WHERE order_id = ?", [(o,) for o in replaced])
        db.conn.executemany(
            "INSERT OR REPLACE INTO order_items VALUES (?, ?, ?, ?)",
            [(i.order_id, i.sku, i.quantity, float(i.unit_price)) for i in data.items],
        )
        db.conn.executemany(
            "INSERT OR REPLACE INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    t.transaction_id,
                    t.customer_id,
                    t.order_id,
                    iso(t.created_at),
                    t.kind,
                    float(t.amount),
                    t.currency,
                    t.status,
                    t.method,
                )
                for t in data.transactions
            ],
        )


def table_counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {
        name: int(db.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
        for name in ("customers", "products", "orders", "order_items", "transactions")
    }


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


class SqliteCustomerStore:
    """The CustomerStore port on SQLite."""

    def __init__(self, database: DatabaseRunner) -> None:
        self.database = database

    async def customer(self, customer_id: str) -> Customer | None:
        def read(db: sqlite_utils.Database) -> Customer | None:
            row = db.execute(CUSTOMER_SELECT + " WHERE customer_id = ?", [customer_id]).fetchone()
            return customer_row(row) if row else None

        return await self.database.run(read)

    async def customer_by_email(self, email: str) -> Customer | None:
        def read(db: sqlite_utils.Database) -> Customer | None:
            rows = db.execute(CUSTOMER_BY_EMAIL, [email.strip().lower()]).fetchall()
            return customer_row(rows[0]) if len(rows) == 1 else None

        return await self.database.run(read)

    async def order(self, order_id: str) -> Order | None:
        def read(db: sqlite_utils.Database) -> Order | None:
            row = db.execute(ORDER_SELECT + " WHERE order_id = ?", [order_id]).fetchone()
            return order_row(row) if row else None

        return await self.database.run(read)

    async def orders_of(self, customer_id: str, limit: int = 5) -> list[Order]:
        def read(db: sqlite_utils.Database) -> list[Order]:
            rows = db.execute(
                ORDER_SELECT + " WHERE customer_id = ? ORDER BY created_at DESC LIMIT ?",
                [customer_id, limit],
            ).fetchall()
            return [order_row(r) for r in rows]

        return await self.database.run(read)

    async def items_of(self, order_ids: Sequence[str]) -> list[OrderItem]:
        ids = list(order_ids)
        if not ids:
            return []

        def read(db: sqlite_utils.Database) -> list[OrderItem]:
            rows = db.execute(
                ORDER_ITEM_SELECT + f" WHERE order_id IN ({_marks(ids)}) ORDER BY order_id, sku",
                ids,
            ).fetchall()
            return [order_item_row(r) for r in rows]

        return await self.database.run(read)

    async def products(self, skus: Sequence[str] | None = None) -> list[Product]:
        wanted = list(skus) if skus is not None else None

        def read(db: sqlite_utils.Database) -> list[Product]:
            if wanted is None:
                rows = db.execute(PRODUCT_SELECT + " ORDER BY sku").fetchall()
            elif not wanted:
                return []
            else:
                rows = db.execute(
                    PRODUCT_SELECT + f" WHERE sku IN ({_marks(wanted)}) ORDER BY sku", wanted
                ).fetchall()
            return [product_row(r) for r in rows]

        return await self.database.run(read)

    async def transactions_of(
        self, customer_id: str, order_id: str | None = None
    ) -> list[Transaction]:
        def read(db: sqlite_utils.Database) -> list[Transaction]:
            sql = TRANSACTION_SELECT + " WHERE customer_id = ?"
            params: list[str] = [customer_id]
            if order_id is not None:
                sql += " AND order_id = ?"
                params.append(order_id)
            rows = db.execute(sql + " ORDER BY created_at DESC", params).fetchall()
            return [transaction_row(r) for r in rows]

        return await self.database.run(read)

    async def purchase_summary(self, customer_id: str) -> PurchaseSummary | None:
        def read(db: sqlite_utils.Database) -> PurchaseSummary | None:
            row = db.execute(
                SUMMARY_SELECT + " WHERE c.customer_id = ? GROUP BY c.customer_id", [customer_id]
            ).fetchone()
            return summary_row(row) if row else None

        return await self.database.run(read)

    async def purchase_summaries(self) -> list[PurchaseSummary]:
        def read(db: sqlite_utils.Database) -> list[PurchaseSummary]:
            rows = db.execute(SUMMARY_SELECT + " GROUP BY c.customer_id").fetchall()
            return [summary_row(r) for r in rows]

        return await self.database.run(read)

    async def best_sellers(self, limit: int = 20) -> list[str]:
        def read(db: sqlite_utils.Database) -> list[str]:
            rows = db.execute(
                "SELECT sku FROM order_items GROUP BY sku ORDER BY sum(quantity) DESC, sku LIMIT ?",
                [limit],
            ).fetchall()
            return [r[0] for r in rows]

        return await self.database.run(read)

    async def bought_together(self, skus: Sequence[str]) -> dict[str, dict[str, int]]:
        wanted = list(skus)
        if not wanted:
            return {}

        def read(db: sqlite_utils.Database) -> dict[str, dict[str, int]]:
            rows = db.execute(
                BOUGHT_TOGETHER + f" WHERE a.sku IN ({_marks(wanted)}) GROUP BY a.sku, b.sku",
                wanted,
            ).fetchall()
            return together(rows)

        return await self.database.run(read)

    async def record_request(self, request: ServiceRequest) -> ServiceRequest:
        def write(db: sqlite_utils.Database) -> ServiceRequest:
            with db.atomic():
                row = db.execute(OPEN_REQUEST, [request.order_id]).fetchone()
                if row:
                    return request_row(row)
                request_id = request_id_of(request)
                db.execute(INSERT_REQUEST, request_values(request, request_id))
            return replace(request, request_id=request_id)

        return await self.database.run(write)

    async def record_attempt(
        self, conversation: str, order_id: str, ok: bool, at: datetime
    ) -> None:
        def write(db: sqlite_utils.Database) -> None:
            with db.atomic():
                db.execute(INSERT_ATTEMPT, [conversation, order_id, int(ok), iso(at)])

        await self.database.run(write)

    async def attempt_counts(
        self, conversation: str, order_id: str | None, since: datetime
    ) -> AttemptCounts:
        return await self.database.run(
            lambda db: _attempt_counts(db, conversation, order_id, since)
        )

    async def reserve_attempt(
        self,
        conversation: str,
        order_id: str,
        at: datetime,
        since: datetime,
        limits: tuple[int, int],
    ) -> tuple[AttemptCounts, int | None]:
        def write(db: sqlite_utils.Database) -> tuple[AttemptCounts, int | None]:
            with db.atomic():  # one writer thread: the count and the insert are one step
                counts = _attempt_counts(db, conversation, order_id, since)
                if counts.conversation_failures >= limits[0] or counts.order_failures >= limits[1]:
                    return counts, None
                cursor = db.conn.execute(INSERT_ATTEMPT, [conversation, order_id, 0, iso(at)])
                return counts, cursor.lastrowid

        return await self.database.run(write)

    async def settle_attempt(self, attempt_id: int, ok: bool) -> None:
        def write(db: sqlite_utils.Database) -> None:
            with db.atomic():
                db.execute(SETTLE_ATTEMPT, [int(ok), attempt_id])

        await self.database.run(write)

    async def record_goodwill(
        self, transaction: Transaction, *, limit: Decimal | None, since: datetime
    ) -> Decimal | None:
        def write(db: sqlite_utils.Database) -> Decimal | None:
            with db.atomic():  # one writer thread: the sum and the insert are one step
                (granted,) = db.execute(
                    GOODWILL_SUM, [transaction.customer_id, iso(since)]
                ).fetchone()
                total = money(granted) + transaction.amount
                if limit is not None and total > limit:
                    return None
                db.execute(INSERT_TRANSACTION, transaction_values(transaction))
                return total

        return await self.database.run(write)


def _attempt_counts(
    db: sqlite_utils.Database, conversation: str, order_id: str | None, since: datetime
) -> AttemptCounts:
    by_conversation = db.execute(FAILED_IN_CONVERSATION, [conversation]).fetchone()[0]
    by_order = 0
    if order_id:
        by_order = db.execute(FAILED_ON_ORDER, [order_id, iso(since)]).fetchone()[0]
    return AttemptCounts(int(by_conversation), int(by_order))
