"""The return and cancellation policy, as a pure decision over an order.

- An order not yet shipped (`pending`, `processing`) may be cancelled.
- A delivered order may be returned within `return_days` of delivery.
- Anything else (in transit, too late, already closed) is outside the policy:
  the assistant explains why and offers a person.
- When the order in focus may not be the one meant (the product named is in
  another order, or the focus allows nothing and another order does), the
  customer is asked which (`orders_meant`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.core.customers import Order, OrderItem, Product, RequestKind

Reason = Literal["cancellable", "returnable", "in_transit", "too_late", "closed"]

CANCELLABLE = ("pending", "processing")


@dataclass(frozen=True)
class ReturnPolicy:
    return_days: int = 30


@dataclass(frozen=True)
class RequestDecision:
    kind: RequestKind
    allowed: bool
    reason: Reason
    deadline: datetime | None = None  # last day to return, when it applies


def delivered_on(order: Order) -> datetime:
    """When a delivered order arrived: its delivery date, else the day it was placed."""
    return order.estimated_delivery or order.created_at


def decide(
    order: Order,
    now: datetime,
    wanted: RequestKind | None = None,
    policy: ReturnPolicy = ReturnPolicy(),
) -> RequestDecision:
    """What can be done for `order` now. `wanted` is what the customer asked for, if they said."""
    if order.status in CANCELLABLE:
        # a return of something not yet sent is a cancellation
        return RequestDecision("cancellation", True, "cancellable")
    if order.status == "shipped":
        return RequestDecision(wanted or "cancellation", False, "in_transit")
    if order.status == "delivered":
        deadline = delivered_on(order) + timedelta(days=policy.return_days)
        if now <= deadline:
            return RequestDecision("return", True, "returnable", deadline)
        return RequestDecision("return", False, "too_late", deadline)
    return RequestDecision(wanted or "return", False, "closed")


def _stem(word: str) -> str:
    return word[: max(4, len(word) - 2)]


def _folded_words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.findall(r"[^\W\d_]+", plain)


def named_skus(text: str, products: Sequence[Product]) -> frozenset[str]:
    """The products `text` names in any of their languages ("the tea cups", "as chávenas")."""
    said = [_stem(w) for w in _folded_words(text) if len(w) >= 4]
    found = set()
    for product in products:
        names = {product.name, *(v for k, v in product.extra.items() if k.startswith("name_"))}
        for name in names:
            if any(_stem(w) in said for w in _folded_words(name) if len(w) >= 4):
                found.add(product.sku)
    return frozenset(found)


def orders_meant(
    focus: Order,
    orders: Sequence[Order],
    items: Sequence[OrderItem],
    named: frozenset[str],
    now: datetime,
    policy: ReturnPolicy = ReturnPolicy(),
) -> tuple[Order, ...]:
    """The orders a return could be about when the one in focus may not be it (#17: a
    return "of the candle holder" after asking about a cancelled order). Empty when the
    focused order is clearly meant; else the candidates to ask the customer about.

    Several could be meant when the product named is in other orders too, or when the
    focused order allows nothing and another one does.
    """
    holding = [o for o in orders if any(i.order_id == o.order_id and i.sku in named for i in items)]
    if any(o.order_id != focus.order_id for o in holding):
        return tuple(holding)  # the product named is (also) in another order
    if decide(focus, now, None, policy).allowed:
        return ()
    others = (o for o in orders if o.order_id != focus.order_id)
    return tuple(o for o in others if decide(o, now, None, policy).allowed)
