"""The return and cancellation policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.core.customers import Order
from bot.core.returns import decide

NOW = datetime(2026, 6, 15, tzinfo=UTC)


def order(status: str, delivered_days_ago: int | None = None) -> Order:
    delivered = NOW - timedelta(days=delivered_days_ago) if delivered_days_ago is not None else None
    return Order(
        "1", "C1", NOW - timedelta(days=40), status, Decimal("10.00"), estimated_delivery=delivered
    )


@pytest.mark.parametrize(
    ("the_order", "kind", "allowed", "reason"),
    [
        pytest.param(order("pending"), "cancellation", True, "cancellable", id="pending"),
        pytest.param(order("processing"), "cancellation", True, "cancellable", id="processing"),
        pytest.param(order("shipped"), "cancellation", False, "in_transit", id="shipped"),
        pytest.param(order("delivered", 30), "return", True, "returnable", id="day-30"),
        pytest.param(order("delivered", 31), "return", False, "too_late", id="day-31"),
        pytest.param(order("cancelled"), "return", False, "closed", id="cancelled"),
        pytest.param(order("returned"), "return", False, "closed", id="returned"),
    ],
)
def test_policy(the_order: Order, kind: str, allowed: bool, reason: str) -> None:
    decision = decide(the_order, NOW)

    assert (decision.kind, decision.allowed, decision.reason) == (kind, allowed, reason)


def test_return_deadline_is_thirty_days_after_delivery() -> None:
    decision = decide(order("delivered", 10), NOW)

    assert decision.deadline == NOW + timedelta(days=20)


def test_delivered_order_without_a_delivery_date_counts_from_its_order_date() -> None:
    decision = decide(order("delivered"), NOW)

    assert decision.reason == "too_late"  # placed 40 days ago
