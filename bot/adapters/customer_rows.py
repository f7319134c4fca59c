"""The customer tables' rows, shared by the SQLite and PostgreSQL customer stores.

Both stores keep the same tables with the same conventions (dates ISO 8601 text in UTC,
amounts REAL / double precision, extra CSV columns a JSON object), so one set of SELECTs,
row mappers and statements serves both. Statements are written with SQLite's `?`
placeholders; `numbered` turns them into asyncpg's `$1, $2, ...`. A row is anything
indexable by position: an `sqlite3.Row`/tuple or an `asyncpg.Record`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.core.customers import (
    Customer,
    Order,
    OrderItem,
    Product,
    PurchaseSummary,
    ServiceRequest,
    Transaction,
)

CUSTOMER_SELECT = (
    "SELECT customer_id, name, email, phone, language, postcode, created_at, account_manager,"
    " extra FROM customers"
)
# one customer by email, case folded; two sharing it are ambiguous
CUSTOMER_BY_EMAIL = CUSTOMER_SELECT + " WHERE lower(email) = ? ORDER BY customer_id LIMIT 2"
PRODUCT_SELECT = (
    "SELECT sku, name, category, price, currency, description, stock, extra FROM products"
)
ORDER_SELECT = (
    "SELECT order_id, customer_id, created_at, status, total, currency, carrier, tracking_code,"
    " estimated_delivery, extra FROM orders"
)
ORDER_ITEM_SELECT = "SELECT order_id, sku, quantity, unit_price FROM order_items"
TRANSACTION_SELECT = (
    "SELECT transaction_id, customer_id, order_id, created_at, kind, amount, currency, status,"
    " method FROM transactions"
)
SUMMARY_SELECT = (
    "SELECT c.customer_id, count(o.order_id), coalesce(sum(o.total), 0),"
    " min(o.created_at), max(o.created_at)"
    " FROM customers c LEFT JOIN orders o ON o.customer_id = c.customer_id"
    " AND o.status <> 'cancelled'"
)
OPEN_REQUEST = (
    "SELECT request_id, kind, order_id, customer_id, created_at, status, conversation"
    " FROM service_requests WHERE order_id = ? AND status = 'open'"
)
INSERT_REQUEST = "INSERT INTO service_requests VALUES (?, ?, ?, ?, ?, ?, ?)"

# which skus were bought with which: each store adds its own WHERE a.sku IN the wanted
BOUGHT_TOGETHER = (
    "SELECT a.sku, b.sku, count(*) FROM order_items a"
    " JOIN order_items b ON a.order_id = b.order_id AND a.sku <> b.sku"
)

# identity checks (ok 0 or 1), failed ones, and goodwill granted in a period
INSERT_ATTEMPT = (
    "INSERT INTO verification_attempts (conversation, order_id, ok, at) VALUES (?, ?, ?, ?)"
)
SETTLE_ATTEMPT = "UPDATE verification_attempts SET ok = ? WHERE id = ?"
FAILED_IN_CONVERSATION = (
    "SELECT count(*) FROM verification_attempts WHERE conversation = ? AND ok = 0"
)
FAILED_ON_ORDER = (
    "SELECT count(*) FROM verification_attempts WHERE order_id = ? AND ok = 0 AND at >= ?"
)
GOODWILL_SUM = (
    "SELECT COALESCE(SUM(amount), 0) FROM transactions WHERE customer_id = ?"
    " AND method LIKE 'goodwill%' AND kind IN ('refund', 'credit') AND created_at >= ?"
)
INSERT_TRANSACTION = (
    "INSERT INTO transactions (transaction_id, customer_id, order_id, created_at, kind,"
    " amount, currency, status, method) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def numbered(sql: str) -> str:
    """SQLite's `?` placeholders as asyncpg's `$1, $2, ...`."""
    parts = sql.split("?")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], start=1)) + parts[-1]


def iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value is not None else ""


def instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def money(value: float | Decimal | None) -> Decimal:
    """An amount to the cent, as the stores keep it."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def extra(value: str | None) -> dict[str, str]:
    return dict(json.loads(value)) if value else {}


def _required(value: str | None) -> datetime:
    found = instant(value)
    assert found is not None
    return found


def customer_row(r: Any) -> Customer:
    return Customer(
        r[0], r[1], r[2], r[3] or "", r[4] or "en", r[5] or "", instant(r[6]), r[7] or "",
        extra(r[8]),
    )  # fmt: skip


def product_row(r: Any) -> Product:
    return Product(r[0], r[1], r[2], money(r[3]), r[4], r[5] or "", int(r[6] or 0), extra(r[7]))


def order_row(r: Any) -> Order:
    return Order(
        r[0], r[1], _required(r[2]), r[3], money(r[4]), r[5], r[6] or "", r[7] or "",
        instant(r[8]), extra(r[9]),
    )  # fmt: skip


def order_item_row(r: Any) -> OrderItem:
    return OrderItem(r[0], r[1], int(r[2] or 0), money(r[3]))


def transaction_row(r: Any) -> Transaction:
    return Transaction(
        r[0], r[1], r[2] or "", _required(r[3]), r[4], money(r[5]), r[6], r[7], r[8] or ""
    )


def summary_row(r: Any) -> PurchaseSummary:
    return PurchaseSummary(r[0], int(r[1]), money(r[2]), instant(r[3]), instant(r[4]))


def request_row(r: Any) -> ServiceRequest:
    return ServiceRequest(r[0], r[1], r[2], r[3], _required(r[4]), r[5], r[6])


def together(rows: Iterable[Any]) -> dict[str, dict[str, int]]:
    """BOUGHT_TOGETHER's (sku, other sku, orders) rows as {sku: {other sku: orders}}."""
    out: dict[str, dict[str, int]] = {}
    for a, b, n in rows:
        out.setdefault(a, {})[b] = int(n)
    return out


def request_id_of(request: ServiceRequest) -> str:
    """The request's id, or a new one when it has none."""
    return request.request_id or f"R-{uuid.uuid4().hex[:10].upper()}"


def request_values(request: ServiceRequest, request_id: str) -> list[object]:
    """A service request's values in INSERT_REQUEST's order."""
    return [
        request_id, request.kind, request.order_id, request.customer_id,
        iso(request.created_at), request.status, request.conversation,
    ]  # fmt: skip


def transaction_values(transaction: Transaction) -> list[object]:
    """A transaction's values in INSERT_TRANSACTION's order."""
    return [
        transaction.transaction_id, transaction.customer_id, transaction.order_id,
        iso(transaction.created_at), transaction.kind, float(transaction.amount),
        transaction.currency, transaction.status, transaction.method,
    ]  # fmt: skip


# --- writers: a value as its table's columns, for the shop import on both stores ---


def customer_values(c: Customer) -> tuple[Any, ...]:
    """A customer as the `customers` table's columns."""
    extra = json.dumps(dict(c.extra), ensure_ascii=False)
    return (c.customer_id, c.name, c.email, c.phone, c.language, c.postcode,
            iso(c.created_at), c.account_manager, extra)  # fmt: skip


def product_values(p: Product) -> tuple[Any, ...]:
    extra = json.dumps(dict(p.extra), ensure_ascii=False)
    return (p.sku, p.name, p.category, float(p.price), p.currency, p.description, p.stock,
            extra)  # fmt: skip


def order_values(o: Order) -> tuple[Any, ...]:
    extra = json.dumps(dict(o.extra), ensure_ascii=False)
    return (o.order_id, o.customer_id, iso(o.created_at), o.status, float(o.total), o.currency,
            o.carrier, o.tracking_code, iso(o.estimated_delivery), extra)  # fmt: skip
