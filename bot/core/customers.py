"""Customer data: the shop's customers, products, orders and money, and the port to their store.

Values are frozen dataclasses; `CustomerStore` is the port the actions and the
agent console use (an SQLite adapter in `bot.adapters.sqlite.customers`, a PostgreSQL one
later). Amounts are `Decimal`, instants are timezone-aware `datetime`s (UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

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


@dataclass(frozen=True)
class CustomerProfile:
    """What the desk needs to know of a verified customer to route them."""

    customer_id: str
    tier: str | None = None
    account_manager: str | None = None
