"""Entities that actions need, found with patterns: order numbers, emails,
postcodes (UK, US, PT NNNN-NNN, ES 5 digits), amounts with a currency, and
dates, relative ones ("yesterday", "ontem", "ayer") resolved against `today`.

Spans never overlap: kinds are tried in priority order (email, amount, date,
order number, postcode) and a later kind cannot claim characters already
taken. Values are normalised: an amount reads "15.50 EUR", a date "2024-05-01",
a postcode is upper-cased with its usual space or dash.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import lru_cache

from bot.understanding.matching import Entity
from bot.understanding.normalise import strip_accents

logger = logging.getLogger(__name__)

# Every quantifier that can meet customer text is bounded (RFC 5321's lengths for emails, a
# dozen digits for amounts): each start position then costs a constant, so a message of any
# shape is matched in linear time (tests/understanding/test_entities.py times the worst runs).
EMAIL = re.compile(r"\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[a-zA-Z]{2,24}\b")

_ORDER_WORDS = (
    r"order|orders|order\s+(?:number|no\.?|id)|encomenda|pedido|n[ºo°]\.?|numero|número|"
    r"ref(?:erence)?|referência|referencia"
)
ORDER = re.compile(
    rf"(?:(?<![\w])(?:{_ORDER_WORDS})\s{{0,3}}(?:#|:|n[ºo°]\.?)?\s{{0,3}}|#\s{{0,3}})"
    r"(?P<id>[A-Za-z]{0,4}-?\d[\dA-Za-z-]{2,15})\b",
    re.IGNORECASE,
)
ORDER_CODE = re.compile(
    r"\b(?P<id>(?:ORD|ORDER|PED|ENC)-?\d{3,12}(?:-\d{1,8}){0,4})\b", re.IGNORECASE
)

POSTCODE_PT = re.compile(r"\b\d{4}-\d{3}\b")
POSTCODE_UK = re.compile(
    r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?)\s?\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE
)
POSTCODE_US_PLUS4 = re.compile(r"\b\d{5}-\d{4}\b")
POSTCODE_5 = re.compile(r"\b\d{5}\b")  # US ZIP or Spanish código postal

_CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "r$": "BRL", "us$": "USD"}
_CURRENCY_WORDS = {
    "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "usd": "USD", "dollar": "USD", "dollars": "USD", "dolar": "USD", "dolares": "USD",
    "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "libras": "GBP", "libra": "GBP",
    "brl": "BRL", "reais": "BRL", "real": "BRL",
}  # fmt: skip
# an amount starts where a number starts (not inside a longer one) and has at most 15 digits
_NUMBER = r"(?<![\d.,])(?:\d{1,3}(?:[.,\s]\d{3}){0,4}(?:[.,]\d{1,2})?|\d{1,15}(?:[.,]\d{1,2})?)"
AMOUNT_BEFORE = re.compile(rf"(?P<cur>R\$|US\$|[€$£])\s?(?P<num>{_NUMBER})", re.IGNORECASE)
AMOUNT_AFTER = re.compile(
    rf"(?P<num>{_NUMBER})\s?(?P<cur>[€$£]|(?:{'|'.join(_CURRENCY_WORDS)})\b)", re.IGNORECASE
)

_RELATIVE_DAYS = {
    "today": 0, "hoje": 0, "hoy": 0,
    "yesterday": -1, "ontem": -1, "ayer": -1,
    "tomorrow": 1, "amanha": 1, "manana": 1,
    "day before yesterday": -2, "anteontem": -2, "anteayer": -2, "antes de ontem": -2,
    "day after tomorrow": 2, "depois de amanha": 2, "pasado manana": 2,
}  # fmt: skip
RELATIVE = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, _RELATIVE_DAYS), key=len, reverse=True)) + r")\b"
)
_UNITS = {
    "day": 1, "days": 1, "dia": 1, "dias": 1,
    "week": 7, "weeks": 7, "semana": 7, "semanas": 7,
}  # fmt: skip
AGO = re.compile(
    r"\b(?:(?P<n1>\d+|a|one|two|three|um|uma|dois|duas|tres|un|una|dos)\s+"
    r"(?P<u1>days?|weeks?)\s+ago"
    r"|(?:ha|hace)\s+(?P<n2>\d+|um|uma|dois|duas|tres|un|una|dos)\s+(?P<u2>dias?|semanas?))\b"
)
_SMALL = {"a": 1, "one": 1, "two": 2, "three": 3, "um": 1, "uma": 1, "dois": 2, "duas": 2,
          "tres": 3, "un": 1, "una": 1, "dos": 2}  # fmt: skip
ISO_DATE = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
DMY_DATE = re.compile(r"\b(?P<d>\d{1,2})[/.](?P<m>\d{1,2})(?:[/.](?P<y>\d{2,4}))?\b")
_MONTHS = {
    **{m: i + 1 for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"])},
    **{m: i + 1 for i, m in enumerate(
        ["janeiro", "fevereiro", "marco", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"])},
    **{m: i + 1 for i, m in enumerate(
        ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"])},
}  # fmt: skip
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
DAY_MONTH = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:de\s+|of\s+)?(?P<mon>{_MONTH_ALT})"
    r"(?:\s+(?:de\s+)?(?P<y>\d{4}))?\b"
)
MONTH_DAY = re.compile(
    rf"\b(?P<mon>{_MONTH_ALT})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{{4}}))?\b"
)

Found = tuple[int, int, str, str]  # start, end, kind, value
MAX_ENTITIES = 64  # per finder: no customer message names more; a flood is cut, not scanned


def extract_entities(text: str, today: date | None = None) -> tuple[Entity, ...]:
    """Every entity in `text`, in reading order. `today` anchors relative dates."""
    anchor = today or date.today()
    # lowercase and accent-free, same length as `text` so that spans line up
    lowered = text.lower()
    folded = lowered if lowered.isascii() else "".join(map(_plain_char, lowered))
    starts: list[int] = []  # the spans taken so far: disjoint, sorted by start
    ends: list[int] = []
    found: list[Found] = []
    # most messages have neither digits nor '@': only the worded dates can be there
    finders = _FINDERS if "@" in text or _DIGIT.search(folded) else _WORDED
    for finder in finders:
        for start, end, kind, value in finder(text, folded, anchor):
            i = bisect.bisect_left(starts, end)  # spans before i start before `end`
            if i and ends[i - 1] > start:  # the last of them overlaps unless it ends first
                continue
            starts.insert(i, start)
            ends.insert(i, end)
            found.append((start, end, kind, value))
            if len(found) >= MAX_ENTITIES:
                break
    found.sort()
    return tuple(Entity(kind, value, start, end) for start, end, kind, value in found)


def _emails(text: str, folded: str, today: date) -> Iterator[Found]:
    for m in EMAIL.finditer(text):
        yield m.start(), m.end(), "email", m.group().lower()


def _worded_dates(text: str, folded: str, today: date) -> Iterator[Found]:
    """Relative dates: "yesterday", "two days ago", "há 3 dias"."""
    for m in RELATIVE.finditer(folded):
        day = today + timedelta(days=_RELATIVE_DAYS[m.group()])
        yield m.start(), m.end(), "date", day.isoformat()
    for m in AGO.finditer(folded):
        count, unit = (
            (m.group("n1"), m.group("u1")) if m.group("n1") else (m.group("n2"), m.group("u2"))
        )
        n = int(count) if count.isdigit() else _SMALL[count]
        day = today - timedelta(days=n * _UNITS[unit])
        yield m.start(), m.end(), "date", day.isoformat()


def _calendar_dates(text: str, folded: str, today: date) -> Iterator[Found]:
    for pattern in (ISO_DATE, DAY_MONTH, MONTH_DAY, DMY_DATE):
        for m in pattern.finditer(folded):
            parsed = _calendar_date(m, today)
            if parsed is not None:
                yield m.start(), m.end(), "date", parsed.isoformat()


def _calendar_date(m: re.Match[str], today: date) -> date | None:
    groups = m.groupdict()
    month = _MONTHS[groups["mon"]] if groups.get("mon") else int(groups["m"])
    year_text = groups.get("y")
    year = int(year_text) if year_text else today.year
    if year < 100:
        year += 2000
    try:
        return date(year, month, int(groups["d"]))
    except ValueError:
        return None


def _amounts(text: str, folded: str, today: date) -> Iterator[Found]:
    for pattern in (AMOUNT_BEFORE, AMOUNT_AFTER):
        for m in pattern.finditer(text):
            cur = m.group("cur").lower()
            code = _CURRENCY_SYMBOLS.get(cur) or _CURRENCY_WORDS.get(strip_accents(cur))
            number = _number(m.group("num"))
            if code is None or number is None:
                continue
            yield m.start(), m.end(), "amount", f"{number} {code}"


def _number(raw: str) -> str | None:
    digits = raw.replace(" ", "")
    # the last separator followed by 1-2 digits is the decimal point
    decimal = re.search(r"[.,](\d{1,2})$", digits)
    whole = digits[: decimal.start()] if decimal else digits
    whole = re.sub(r"[.,]", "", whole)
    if not whole.isdigit():
        return None
    cents = decimal.group(1).ljust(2, "0") if decimal else "00"
    return f"{int(whole)}.{cents}"


def _orders(text: str, folded: str, today: date) -> Iterator[Found]:
    for pattern in (ORDER_CODE, ORDER):
        for m in pattern.finditer(text):
            value = m.group("id").upper().strip("-")
            if value.isalpha():
                continue
            yield m.start("id"), m.end("id"), "order_id", value


def _postcodes(text: str, folded: str, today: date) -> Iterator[Found]:
    for m in POSTCODE_PT.finditer(text):
        yield m.start(), m.end(), "postcode", m.group()
    for m in POSTCODE_US_PLUS4.finditer(text):
        yield m.start(), m.end(), "postcode", m.group()
    for m in POSTCODE_UK.finditer(text):
        raw = re.sub(r"\s", "", m.group().upper())
        if not any(c.isalpha() for c in raw[:2]):
            continue
        yield m.start(), m.end(), "postcode", f"{raw[:-3]} {raw[-3:]}"
    for m in POSTCODE_5.finditer(text):
        yield m.start(), m.end(), "postcode", m.group()


_FINDERS: tuple[Callable[[str, str, date], Iterator[Found]], ...] = (
    _emails,
    _amounts,
    _worded_dates,
    _calendar_dates,
    _orders,
    _postcodes,
)
# every other finder's pattern needs a digit (\d) in the text or its folded form (where
# "½" is "1⁄2") or, for emails, an '@'
_WORDED = (_worded_dates,)
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=4096)
def _plain_char(char: str) -> str:
    """One character without its accent (one character still, so offsets hold)."""
    return strip_accents(char)[:1] or char
