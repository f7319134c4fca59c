"""The return and cancellation policy, as a pure decision over an order.

- An order not yet shipped (`pending`, `processing`) may be cancelled.
- A delivered order may be returned within `return_days` of delivery.
- Anything else (in transit, too late, already closed) is outside the policy:
  the assistant explains why and offers a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.core.customers import Order, RequestKind

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
