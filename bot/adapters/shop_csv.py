"""Reading a shop's CSV exports into validated values, before anything is written.

`read_shop(directory)` parses customers.csv, products.csv, orders.csv,
order_items.csv and transactions.csv (each optional except customers.csv),
checks every row and every reference, and either returns a `ShopData` or raises
`ShopDataError` listing the bad rows as `file:line: reason`. Columns a file has
beyond the known ones are kept in each value's `extra` mapping.

    BalcaoError
    └── InputError
        └── ShopDataError     bad rows in a shop's CSV files (file:line: reason)
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

from bot.core.customers import (
    ORDER_STATUSES,
    TRANSACTION_KINDS,
    TRANSACTION_STATUSES,
    Customer,
    Order,
    OrderItem,
    Product,
    Transaction,
)
from bot.errors import InputError

T = TypeVar("T")

FILES = ("customers.csv", "products.csv", "orders.csv", "order_items.csv", "transactions.csv")
COLUMNS: dict[str, tuple[str, ...]] = {
    "customers.csv": (
        "customer_id",
        "name",
        "email",
        "phone",
        "language",
        "postcode",
        "created_at",
        "account_manager",
    ),
    "products.csv": ("sku", "name", "category", "price", "currency", "description", "stock"),
    "orders.csv": (
        "order_id",
        "customer_id",
        "created_at",
        "status",
        "total",
        "currency",
        "carrier",
        "tracking_code",
        "estimated_delivery",
    ),
    "order_items.csv": ("order_id", "sku", "quantity", "unit_price"),
    "transactions.csv": (
        "transaction_id",
        "customer_id",
        "order_id",
        "created_at",
        "kind",
        "amount",
        "currency",
        "status",
        "method",
    ),
}
# columns that may be missing from the header or empty in a row
OPTIONAL = {
    "phone",
    "postcode",
    "account_manager",
    "description",
    "carrier",
    "tracking_code",
    "estimated_delivery",
    "method",
    "order_id@transactions.csv",
    "language",
}
MAX_REPORTED = 20

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
LANGUAGE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class ShopDataError(InputError):
    """Rows of a shop's CSV files that cannot be imported; nothing was written."""

    code = "bad_shop_data"

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = [str(e) for e in errors[:MAX_REPORTED]]
        if len(errors) > MAX_REPORTED:
            shown.append(f"... and {len(errors) - MAX_REPORTED} more")
        super().__init__(f"{len(errors)} bad row(s), nothing imported:\n" + "\n".join(shown))


@dataclass(frozen=True)
class ShopData:
    customers: tuple[Customer, ...] = ()
    products: tuple[Product, ...] = ()
    orders: tuple[Order, ...] = ()
    items: tuple[OrderItem, ...] = ()
    transactions: tuple[Transaction, ...] = ()

    def counts(self) -> dict[str, int]:
        return {
            "customers": len(self.customers),
            "products": len(self.products),
            "orders": len(self.orders),
            "order_items": len(self.items),
            "transactions": len(self.transactions),
        }


@dataclass(frozen=True)
class Known:
    """Ids already in the store, which imported rows may refer to."""

    customers: Collection[str] = frozenset()
    products: Collection[str] = frozenset()
    orders: Collection[str] = frozenset()


class _Row:
    """One CSV row being checked; `get` records problems instead of raising."""

    def __init__(self, file: str, line: int, values: dict[str, str], errors: list[RowError]):
        self.file = file
        self.line = line
        self.values = values
        self.errors = errors
        self.ok = True

    def fail(self, reason: str) -> None:
        self.ok = False
        self.errors.append(RowError(self.file, self.line, reason))

    def text(self, column: str, required: bool = True) -> str:
        value = (self.values.get(column) or "").strip()
        if not value and required:
            self.fail(f"'{column}' is empty")
        return value

    def parsed(
        self, column: str, parse: Callable[[str], T], what: str, default: T, required: bool = True
    ) -> T:
        raw = self.text(column, required)
        if not raw:
            return default
        try:
            return parse(raw)
        except (ValueError, InvalidOperation):
            self.fail(f"'{column}' is not {what}: {raw!r}")
            return default

    def extra(self, known: tuple[str, ...]) -> dict[str, str]:
        return {
            k: v.strip()
            for k, v in self.values.items()
            if k and k not in known and v is not None and v.strip()
        }


def parse_instant(raw: str) -> datetime:
    """An ISO date or date-time; naive values are taken as UTC."""
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_money(raw: str) -> Decimal:
    value = Decimal(raw.replace(",", "."))
    if not value.is_finite():
        raise ValueError(raw)
    return value.quantize(Decimal("0.01"))


def parse_count(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


def parse_quantity(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


def _rows(path: Path, errors: list[RowError]) -> Iterator[_Row]:
    name = path.name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [
            c
            for c in COLUMNS[name]
            if c not in header and c not in OPTIONAL and f"{c}@{name}" not in OPTIONAL
        ]
        if missing:
            errors.append(RowError(name, 1, f"missing column(s): {', '.join(missing)}"))
            return
        for values in reader:
            if None in values:
                errors.append(RowError(name, reader.line_num, "more fields than the header has"))
                continue
            yield _Row(name, reader.line_num, values, errors)


def read_shop(directory: Path, known: Known = Known(), shift: timedelta = timedelta(0)) -> ShopData:
    """Parse and check every file in `directory`. Raises ShopDataError, or InputError if absent.

    `shift` moves every date forward (the demo shop uses it to stay current).
    """
    if not directory.is_dir():
        raise InputError(f"{directory}: not a folder of CSV files")
    present = [f for f in FILES if (directory / f).is_file()]
    if not present:
        raise InputError(f"{directory}: none of {', '.join(FILES)} found")
    errors: list[RowError] = []
    reader = _Reader(directory, errors, shift)
    customers = reader.customers() if "customers.csv" in present else ()
    products = reader.products() if "products.csv" in present else ()
    customer_ids = {c.customer_id for c in customers} | set(known.customers)
    orders = reader.orders(customer_ids) if "orders.csv" in present else ()
    order_ids = {o.order_id for o in orders} | set(known.orders)
    skus = {p.sku for p in products} | set(known.products)
    items = reader.items(order_ids, skus) if "order_items.csv" in present else ()
    transactions = (
        reader.transactions(customer_ids, order_ids) if "transactions.csv" in present else ()
    )
    if errors:
        raise ShopDataError(errors)
    return ShopData(customers, products, orders, items, transactions)


def read_records(file: str, records: list[dict[str, str]], known: Known = Known()) -> ShopData:
    """Rows named as in `file` (customers.csv, products.csv or orders.csv) from another
    source than a CSV file (the shop's webhook), checked as an import's are."""
    if file not in ("customers.csv", "products.csv", "orders.csv"):
        raise InputError(f"cannot take rows of {file}")
    errors: list[RowError] = []
    text = [{k: "" if v is None else str(v) for k, v in r.items()} for r in records]
    reader = _Reader(Path("."), errors, timedelta(0), {file: text})
    customers = reader.customers() if file == "customers.csv" else ()
    products = reader.products() if file == "products.csv" else ()
    orders = reader.orders(set(known.customers)) if file == "orders.csv" else ()
    if errors:
        raise ShopDataError(errors)
    return ShopData(customers, products, orders)


class _Reader:
    def __init__(
        self,
        directory: Path,
        errors: list[RowError],
        shift: timedelta,
        records: dict[str, list[dict[str, str]]] | None = None,
    ) -> None:
        self.directory = directory
        self.errors = errors
        self.shift = shift
        self.records = records or {}

    def _instant(self, row: _Row, column: str, required: bool = True) -> datetime | None:
        value = row.parsed(column, parse_instant, "an ISO date", None, required)
        return value + self.shift if value is not None else None

    def _unique(self, name: str, key: Callable[[_Row], str]) -> Iterator[_Row]:
        seen: dict[str, int] = {}
        given = self.records.get(name)
        rows = (
            (_Row(name, n, values, self.errors) for n, values in enumerate(given, 1))
            if given is not None
            else _rows(self.directory / name, self.errors)
        )
        for row in rows:
            ident = key(row)
            if ident and ident in seen:
                row.fail(f"duplicate id {ident!r} (first at line {seen[ident]})")
                continue
            if ident:
                seen[ident] = row.line
            yield row

    def customers(self) -> tuple[Customer, ...]:
        out = []
        for row in self._unique("customers.csv", lambda r: r.text("customer_id")):
            email = row.text("email").lower()
            if email and not EMAIL.match(email):
                row.fail(f"'email' is not an email address: {email!r}")
            language = row.text("language", required=False).lower() or "en"
            if not LANGUAGE.match(language):
                row.fail(f"'language' must be a two-letter code such as en, pt, es: {language!r}")
            manager = row.text("account_manager", required=False).lower()
            if manager and not EMAIL.match(manager):
                row.fail(f"'account_manager' must be an agent's email: {manager!r}")
            customer = Customer(
                customer_id=row.text("customer_id"),
                name=row.text("name"),
                email=email,
                phone=row.text("phone", required=False),
                language=language,
                postcode=row.text("postcode", required=False),
                created_at=self._instant(row, "created_at"),
                account_manager=manager,
                extra=row.extra(COLUMNS["customers.csv"]),
            )
            if row.ok:
                out.append(customer)
        return tuple(out)

    def products(self) -> tuple[Product, ...]:
        out = []
        for row in self._unique("products.csv", lambda r: r.text("sku")):
            product = Product(
                sku=row.text("sku"),
                name=row.text("name"),
                category=row.text("category"),
                price=row.parsed("price", parse_money, "an amount", Decimal(0)),
                currency=_currency(row),
                description=row.text("description", required=False),
                stock=row.parsed("stock", parse_count, "a whole number >= 0", 0),
                extra=row.extra(COLUMNS["products.csv"]),
            )
            if product.price < 0:
                row.fail("'price' is negative")
            if row.ok:
                out.append(product)
        return tuple(out)

    def orders(self, customer_ids: set[str]) -> tuple[Order, ...]:
        out = []
        for row in self._unique("orders.csv", lambda r: r.text("order_id")):
            customer_id = row.text("customer_id")
            if customer_id and customer_id not in customer_ids:
                row.fail(f"customer {customer_id!r} is not in customers.csv nor in the store")
            status = row.text("status").lower()
            if status and status not in ORDER_STATUSES:
                row.fail(f"'status' must be one of {', '.join(ORDER_STATUSES)}: {status!r}")
            created = self._instant(row, "created_at")
            order = Order(
                order_id=row.text("order_id"),
                customer_id=customer_id,
                created_at=created or datetime.min.replace(tzinfo=UTC),
                status=status,
                total=row.parsed("total", parse_money, "an amount", Decimal(0)),
                currency=_currency(row),
                carrier=row.text("carrier", required=False),
                tracking_code=row.text("tracking_code", required=False),
                estimated_delivery=self._instant(row, "estimated_delivery", required=False),
                extra=row.extra(COLUMNS["orders.csv"]),
            )
            if row.ok:
                out.append(order)
        return tuple(out)

    def items(self, order_ids: set[str], skus: set[str]) -> tuple[OrderItem, ...]:
        out = []
        for row in self._unique(
            "order_items.csv", lambda r: f"{r.text('order_id')}/{r.text('sku')}"
        ):
            order_id, sku = row.text("order_id"), row.text("sku")
            if order_id and order_id not in order_ids:
                row.fail(f"order {order_id!r} is not in orders.csv nor in the store")
            if sku and sku not in skus:
                row.fail(f"product {sku!r} is not in products.csv nor in the store")
            quantity = row.parsed("quantity", parse_quantity, "a whole number >= 1", 0)
            item = OrderItem(
                order_id,
                sku,
                quantity,
                row.parsed("unit_price", parse_money, "an amount", Decimal(0)),
            )
            if row.ok:
                out.append(item)
        return tuple(out)

    def transactions(self, customer_ids: set[str], order_ids: set[str]) -> tuple[Transaction, ...]:
        out = []
        for row in self._unique("transactions.csv", lambda r: r.text("transaction_id")):
            customer_id = row.text("customer_id")
            if customer_id and customer_id not in customer_ids:
                row.fail(f"customer {customer_id!r} is not in customers.csv nor in the store")
            order_id = row.text("order_id", required=False)
            if order_id and order_id not in order_ids:
                row.fail(f"order {order_id!r} is not in orders.csv nor in the store")
            kind = row.text("kind").lower()
            if kind and kind not in TRANSACTION_KINDS:
                row.fail(f"'kind' must be one of {', '.join(TRANSACTION_KINDS)}: {kind!r}")
            status = row.text("status").lower()
            if status and status not in TRANSACTION_STATUSES:
                row.fail(f"'status' must be one of {', '.join(TRANSACTION_STATUSES)}: {status!r}")
            created = self._instant(row, "created_at")
            transaction = Transaction(
                transaction_id=row.text("transaction_id"),
                customer_id=customer_id,
                order_id=order_id,
                created_at=created or datetime.min.replace(tzinfo=UTC),
                kind=kind,
                amount=row.parsed("amount", parse_money, "an amount", Decimal(0)),
                currency=_currency(row),
                status=status,
                method=row.text("method", required=False),
            )
            if row.ok:
                out.append(transaction)
        return tuple(out)


def _currency(row: _Row) -> str:
    currency = row.text("currency").upper()
    if currency and not CURRENCY.match(currency):
        row.fail(f"'currency' must be a three-letter code such as EUR: {currency!r}")
    return currency
