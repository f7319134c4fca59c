"""Data protection, the pure part: which conversations are a customer's, what retention blanks.

- A conversation belongs to a customer when a `slot` event sets `customer_id` to their id
  (identity verification writes it).
- Retention blanks the text of messages (user, agent and bot events, internal notes,
  suggestions and rating comments) older than N days, and drops message metadata; every
  other field (decision, entry, confidence, payload, buttons, status...) stays, so analytics
  still add up. A blanked event carries `"redacted": true`.

The stores (export, erase, the audit record) are bot/adapters/{sqlite,postgres}/audit.py;
bot/services/privacy.py runs them, removes drafts and drops every process's caches.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.core import events as ev

logger = logging.getLogger(__name__)

CUSTOMER_SLOT = "customer_id"
DAY = 86_400.0
TEXT_KINDS = frozenset({ev.USER, ev.AGENT, ev.BOT, ev.NOTE, ev.SUGGESTION, ev.FEEDBACK})
PERSONAL_FIELDS = ("text", "comment", "metadata")


def names_customer(kind: str, data: Mapping[str, Any], customer_id: str) -> bool:
    """True when this event ties its conversation to `customer_id`."""
    return (
        kind == ev.SLOT
        and data.get("name") == CUSTOMER_SLOT
        and data.get("value") is not None
        and str(data.get("value")) == customer_id
    )


def retention_cutoff(now: float, days: int) -> float:
    return now - days * DAY


def redact(kind: str, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The event's data with its free text blanked, or None when there is nothing to blank."""
    if kind not in TEXT_KINDS or data.get("redacted"):
        return None
    if not any(data.get(key) for key in PERSONAL_FIELDS):
        return None
    kept = {k: v for k, v in data.items() if k not in ("comment", "metadata")}
    if "text" in data:
        kept["text"] = ""
    kept["redacted"] = True
    return kept


MIN_TERM = 4  # shorter identifiers would match unrelated text


def search_terms(email: str | None, phone: str | None, orders: Sequence[str]) -> tuple[str, ...]:
    """What finds a customer in free text (conversations she had before verifying, drafts):
    her email, her phone (as stored and as bare digits) and her order numbers, lower-cased."""
    found: list[str] = []
    for value in (email, phone, *orders):
        text = (value or "").strip().lower()
        if len(text) >= MIN_TERM:
            found.append(text)
    digits = "".join(c for c in phone or "" if c.isdigit())
    if len(digits) >= 6:
        found.append(digits)
    return tuple(dict.fromkeys(found))


def mentions(text: str, terms: Sequence[str]) -> bool:
    lowered = text.lower()
    return any(term in lowered for term in terms)


# A forgotten customer's community posts stay (others' answers hang on them) but lose their
# author and their words (id, shown name, text); their votes and reports go.
FORGOTTEN_AUTHOR = ("forgotten", "A former customer", "(removed at the author's request)")


def suppression_key(customer_id: str) -> str:
    """What is kept of a forgotten customer: a hash of her id, so that a later import of the
    shop's files does not record her consent to marketing again. It holds no name, email or
    words; whoever guesses an id can tell it was forgotten (the README says so)."""
    return hashlib.sha256(f"balcao:forgotten:{customer_id}".encode()).hexdigest()
