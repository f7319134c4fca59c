"""Rules of in-chat verification: limits, and matching details against the order."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.core.customers import AttemptCounts, Customer, Order
from bot.core.verification import attempts_left, details_match, may_attempt

CUSTOMER = Customer("C1", "Alice", "alice@example.com", postcode="SW1A 1AA")
ORDER = Order("100001", "C1", datetime(2026, 6, 1, tzinfo=UTC), "shipped", Decimal("10.00"))


@pytest.mark.parametrize(
    ("counts", "verdict"),
    [
        pytest.param(AttemptCounts(0, 0), "allowed", id="fresh"),
        pytest.param(AttemptCounts(2, 4), "allowed", id="just-under"),
        pytest.param(AttemptCounts(3, 0), "conversation_locked", id="three-in-conversation"),
        pytest.param(AttemptCounts(0, 5), "order_locked", id="five-on-order"),
    ],
)
def test_attempt_limits(counts: AttemptCounts, verdict: str) -> None:
    assert may_attempt(counts) == verdict


def test_attempts_left_is_the_tighter_limit() -> None:
    assert attempts_left(AttemptCounts(1, 4)) == 1
    assert attempts_left(AttemptCounts(1, 0)) == 2


@pytest.mark.parametrize(
    ("email", "postcode", "ok"),
    [
        pytest.param(" ALICE@example.com ", None, True, id="email-any-case"),
        pytest.param(None, "sw1a1aa", True, id="postcode-any-spacing"),
        pytest.param("alice@example.org", None, False, id="wrong-email"),
        pytest.param(None, "SW1A 1AB", False, id="wrong-postcode"),
        pytest.param(None, None, False, id="nothing"),
    ],
)
def test_details_must_match_the_orders_customer(
    email: str | None, postcode: str | None, ok: bool
) -> None:
    assert details_match(ORDER, CUSTOMER, email=email, postcode=postcode) is ok


def test_unknown_order_or_someone_elses_customer_never_match() -> None:
    other = Customer("C2", "Bob", "alice@example.com")

    assert not details_match(None, CUSTOMER, email="alice@example.com")
    assert not details_match(ORDER, other, email="alice@example.com")


def test_customer_without_a_postcode_cannot_verify_with_an_empty_one() -> None:
    no_postcode = Customer("C1", "Alice", "alice@example.com", postcode="")

    assert not details_match(ORDER, no_postcode, postcode="   ")
