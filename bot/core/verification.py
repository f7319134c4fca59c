"""Verification in the chat: an order number plus the email or postcode on that order.

Pure rules: whether another attempt is allowed (failures are limited per
conversation and per order in a sliding window), and whether the details
given match the order's customer. The store records attempts, never the
details themselves.

A verification lasts while the customer is active: after `ttl` seconds without a message
from them it lapses (`lapsed`), the dialogue forgets it, and a resumed transcript hides the
messages that carried personal details (`private_owners`, `redact`) from anyone who is not
now verified as the customer they belonged to.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.core import events as ev
from bot.core.conversation import ConversationState
from bot.core.customers import AttemptCounts, Customer, Order
from bot.core.events import Event
from bot.core.texts import say

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


VERIFICATION_SLOTS = ("verified", "customer_id", "verified_by")
HOST_SLOT = "host_identity"  # the customer a host site vouched for: binds the conversation


def verified_customer(state: ConversationState) -> str | None:
    customer = state.slots.get("customer_id")
    return str(customer) if state.slots.get("verified") and customer else None


def lapsed(state: ConversationState, now: float, ttl: float) -> bool:
    """Whether the conversation's verification has outlived `ttl` seconds of the customer's
    silence (never, with a `ttl` of 0 or when nobody is verified)."""
    if ttl <= 0 or verified_customer(state) is None:
        return False
    last = next((e.timestamp for e in reversed(state.events) if e.kind == ev.USER), None)
    return last is None or now - last > ttl


def forget_verification(now: float) -> list[Event]:
    return [ev.slot_set(name, None, now) for name in VERIFICATION_SLOTS]


def private_owners(events: tuple[Event, ...]) -> dict[int, str | None]:
    """seq -> the customer whose personal details a message may carry: every message while
    a customer was verified (theirs), and every one while an action was collecting details
    (order numbers, emails: None, nobody's to see again)."""
    owners: dict[int, str | None] = {}
    customer: str | None = None
    verified = False
    loop: str | None = None
    for event in events:
        data = event.data
        if event.kind == ev.SLOT:
            name = data.get("name")
            if name == "*":
                customer, verified = None, False
            elif name == "customer_id":
                customer = str(data["value"]) if data.get("value") else None
            elif name == "verified":
                verified = bool(data.get("value"))
        elif event.kind == ev.LOOP:
            loop = data.get("name")
        elif event.is_message:
            if verified and customer:
                owners[event.seq] = customer
            elif loop:
                owners[event.seq] = None
    return owners


def redact(
    messages: tuple[Event, ...],
    owners: dict[int, str | None],
    viewer: str | None,
    language: str | None,
) -> tuple[Event, ...]:
    """`messages` as `viewer` (the customer verified now, if any) may see them again: one
    whose details belong to someone else, or to nobody, shows a placeholder instead."""
    hidden = say("private_hidden", language)
    out = []
    for event in messages:
        if event.seq in owners and (viewer is None or owners[event.seq] != viewer):
            data = {"text": hidden, "redacted": True}
            if event.data.get("message_id"):
                data["message_id"] = event.data["message_id"]
            event = Event(event.kind, data, event.timestamp, event.seq)
        out.append(event)
    return tuple(out)
