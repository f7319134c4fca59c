"""Data protection, the pure part: which conversations are a customer's, what retention blanks.

- A conversation belongs to a customer when a `slot` event sets `customer_id` to their id
  (identity verification writes it).
- Retention blanks the text of messages (user, agent and bot events, internal notes,
  suggestions and rating comments) older than N days, and drops message metadata; every
  other field (decision, entry, confidence, payload, buttons, status...) stays, so analytics
  still add up. A blanked event carries `"redacted": true`.

The SQLite side (export, erase, the audit record) is `bot/storage/audit.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
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
