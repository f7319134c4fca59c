"""Order numbers, emails and postcodes in a customer's message.

The understanding engine's entities come first; this small extraction is the
fallback when it found none. At most one value of each kind is taken from a
message, so a message full of guesses counts as one guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
PT_POSTCODE = re.compile(r"\b\d{4}-\d{3}\b")
UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
ES_POSTCODE = re.compile(r"\b\d{5}\b")
ORDER = re.compile(r"(?<![\w@.\-])#?([A-Za-z]{0,3}-?\d{5,12})(?![\w@\-])")


@dataclass(frozen=True)
class Details:
    order_id: str | None = None
    email: str | None = None
    postcode: str | None = None


def _entity(entities: Iterable[Mapping[str, Any]], kind: str) -> str | None:
    for item in entities:
        if item.get("entity") == kind and item.get("value"):
            return str(item["value"]).strip()
    return None


def details(
    text: str, entities: Iterable[Mapping[str, Any]] = (), *, expecting_contact: bool = False
) -> Details:
    """What the message gives. With `expecting_contact` (an order number is known), a bare
    five-digit number is read as a Spanish postcode rather than an order number."""
    found = list(entities)
    email = _entity(found, "email")
    postcode = _entity(found, "postcode")
    order_id = _entity(found, "order_id")
    if order_id and postcode and order_id.replace(" ", "") == postcode.replace(" ", ""):
        # one number read both ways: the context decides
        if expecting_contact:
            order_id = None
        else:
            postcode = None
    rest = text
    if email is None:
        match = EMAIL.search(rest)
        if match:
            email = match.group(0)
    if email:
        rest = rest.replace(email, " ")
    if postcode is None:
        for pattern in (PT_POSTCODE, UK_POSTCODE):
            match = pattern.search(rest)
            if match:
                postcode = match.group(0)
                break
    if postcode:
        rest = rest.replace(postcode, " ")
    if order_id is None:
        if expecting_contact and postcode is None and email is None:
            match = ES_POSTCODE.fullmatch(rest.strip())
            if match:
                return Details(None, None, match.group(0))
        match = ORDER.search(rest)
        if match:
            order_id = match.group(1).lstrip("#")
    if order_id:
        rest = rest.replace(order_id, " ")
    if postcode is None and email is None:
        match = ES_POSTCODE.search(rest)
        if match and (order_id is not None or expecting_contact):
            postcode = match.group(0)
    return Details(order_id, email, postcode)


def normalise_order_id(value: str) -> str:
    return value.strip().lstrip("#").upper()
