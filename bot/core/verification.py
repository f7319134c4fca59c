"""Verification in the chat: an order number plus the email or postcode on that order.

Pure rules: whether another attempt is allowed (failures are limited per
conversation and per order in a sliding window), and whether the details
given match the order's customer. The store records attempts, never the
details themselves.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.core.customers import AttemptCounts, Customer, Order

Verdict = Literal["allowed", "conversation_locked", "order_locked"]


@dataclass(frozen=True)
class AttemptPolicy:
    per_conversation: int = 3
    per_order: int = 5
    order_window: timedelta = timedelta(hours=24)


DEFAULT_POLICY = AttemptPolicy()


def may_attempt(counts: AttemptCounts, policy: AttemptPolicy = DEFAULT_POLICY) -> Verdict:
    """Whether one more attempt may be made, given the failures so far."""
    if counts.conversation_failures >= policy.per_conversation:
        return "conversation_locked"
    if counts.order_failures >= policy.per_order:
        return "order_locked"
    return "allowed"


def attempts_left(counts: AttemptCounts, policy: AttemptPolicy = DEFAULT_POLICY) -> int:
    return max(
        0,
        min(
            policy.per_conversation - counts.conversation_failures,
            policy.per_order - counts.order_failures,
        ),
    )


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_postcode(value: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", value.upper())


def details_match(
    order: Order | None,
    customer: Customer | None,
    *,
    email: str | None = None,
    postcode: str | None = None,
) -> bool:
    """Whether the email (or postcode) given is the one on the order's customer.

    False when the order or customer is unknown, so a stranger cannot tell a
    wrong order number from wrong details.
    """
    if order is None or customer is None or order.customer_id != customer.customer_id:
        return False
    if email:
        expected, given = normalise_email(customer.email), normalise_email(email)
    elif postcode:
        expected, given = normalise_postcode(customer.postcode), normalise_postcode(postcode)
    else:
        return False
    if not expected:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
