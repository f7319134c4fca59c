"""Customer data: the shop's customers, products, orders and money, and the port to their store.

Values are frozen dataclasses; `CustomerStore` is the port the actions and the
agent console use (an SQLite adapter in `bot.storage.customers`, a PostgreSQL one
later). Amounts are `Decimal`, instants are timezone-aware `datetime`s (UTC).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

ORDER_STATUSES = ("pending", "processing", "shipped", "delivered", "cancelled", "returned")
TRANSACTION_KINDS = ("payment", "refund", "chargeback", "credit")
TRANSACTION_STATUSES = ("pending", "settled", "failed", "refunded", "cancelled")
LANGUAGES = ("en", "pt", "es")

RequestKind = Literal["return", "cancellation"]


@dataclass(frozen=True)
class Customer:
    customer_id: str
    name: str
    email: str
    phone: str = ""
    language: str = "en"
    postcode: str = ""
    created_at: datetime | None = None
    account_manager: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    price: Decimal
    currency: str = "EUR"
    description: str = ""
    stock: int = 0
    extra: Mapping[str, str] = field(default_factory=dict)  # e.g. line, tier, name_pt, name_es

    def name_in(self, language: str) -> str:
        """The product's name in `language` if the shop gave one (`name_<lang>` column)."""
        return self.extra.get(f"name_{language}") or self.name

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


@dataclass(frozen=True)
class Order:
    order_id: str
    customer_id: str
    created_at: datetime
    status: str
    total: Decimal
    currency: str = "EUR"
    carrier: str = ""
    tracking_code: str = ""
    estimated_delivery: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderItem:
    order_id: str
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class Transaction:
    transaction_id: str
    customer_id: str
    order_id: str  # empty for account-level movements (credits)
    created_at: datetime
    kind: str  # payment | refund | chargeback | credit
    amount: Decimal
    currency: str
    status: str  # pending | settled | failed | refunded | cancelled
    method: str = ""


@dataclass(frozen=True)
class PurchaseSummary:
    """One customer's buying history in numbers: the input of RFM and lifetime value."""

    customer_id: str
    orders: int
    monetary: Decimal  # total spent on orders not cancelled
    first_order: datetime | None
    last_order: datetime | None


@dataclass(frozen=True)
class ServiceRequest:
    """A return or cancellation the customer asked for, waiting for the team."""

    request_id: str
    kind: RequestKind
    order_id: str
    customer_id: str
    created_at: datetime
    status: str = "open"
    conversation: str = ""


@dataclass(frozen=True)
class AttemptCounts:
    """Failed identity checks: in this conversation, and on this order recently."""

    conversation_failures: int
    order_failures: int


class CustomerStore(Protocol):
    async def customer(self, customer_id: str) -> Customer | None: ...

    async def order(self, order_id: str) -> Order | None: ...

    async def orders_of(self, customer_id: str, limit: int = 5) -> list[Order]:
        """The customer's orders, newest first."""
        ...

    async def items_of(self, order_ids: Sequence[str]) -> list[OrderItem]: ...

    async def products(self, skus: Sequence[str] | None = None) -> list[Product]:
        """The named products, or the whole catalogue."""
        ...

    async def transactions_of(
        self, customer_id: str, order_id: str | None = None
    ) -> list[Transaction]:
        """The customer's money movements (of one order if given), newest first."""
        ...

    async def purchase_summary(self, customer_id: str) -> PurchaseSummary | None:
        """One customer's summary; None if there is no such customer."""
        ...

    async def purchase_summaries(self) -> list[PurchaseSummary]:
        """Every customer's summary (for RFM quintiles over the whole base)."""
        ...

    async def best_sellers(self, limit: int = 20) -> list[str]:
        """Skus by units sold, most first."""
        ...

    async def bought_together(self, skus: Sequence[str]) -> dict[str, dict[str, int]]:
        """For each of `skus`, the other skus found in the same orders, with counts."""
        ...

    async def record_request(self, request: ServiceRequest) -> ServiceRequest:
        """Record a return or cancellation; an open one for the same order is returned instead."""
        ...

    async def record_attempt(
        self, conversation: str, order_id: str, ok: bool, at: datetime
    ) -> None: ...

    async def attempt_counts(
        self, conversation: str, order_id: str | None, since: datetime
    ) -> AttemptCounts: ...
