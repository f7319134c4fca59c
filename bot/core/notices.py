"""Notices: messages Balcão sends first, as values, and the rules that restrain them.

Pure: a trigger's template, what changed in the shop (`order_changes`, `stock_changes`),
and whether one notice may go now (`restraint`). The store keeps one row per
(trigger, customer, subject), which is what makes a notice exactly once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from statistics import median
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.customer_value import assess_all
from bot.core.customers import Customer, Order, Product, PurchaseSummary
from bot.knowledge.notices import TRIGGERS, Templates


@dataclass(frozen=True)
class Due:
    """A notice to schedule: unique by (trigger, customer_id, subject)."""

    trigger: str
    customer_id: str
    subject: str  # what it is about: an order id, a sku, an occasion
    due_at: datetime
    values: Mapping[str, str] = field(default_factory=dict)


def order_changes(
    before: Mapping[str, str], after: Iterable[Order], now: datetime, templates: Templates
) -> list[Due]:
    """Notices owed because an order's status moved (`before`: order_id -> old status; an
    order seen for the first time has none, and a first import announces nothing)."""
    due: list[Due] = []
    for order in after:
        old = before.get(order.order_id)
        if old is None or old == order.status:
            continue
        values = {
            "order_id": order.order_id,
            "carrier": order.carrier,
            "tracking_code": order.tracking_code,
        }
        for trigger in _status_triggers(order.status):
            due.append(
                Due(
                    trigger,
                    order.customer_id,
                    order.order_id,
                    now + templates.delay(trigger),
                    values,
                )
            )
    return due


def _status_triggers(status: str) -> tuple[str, ...]:
    if status == "shipped":
        return ("order.shipped",)
    if status == "delivered":
        return ("order.delivered", "satisfaction.check")
    return ()


def stock_changes(
    before: Mapping[str, int],
    after: Iterable[Product],
    watchers: Mapping[str, Iterable[str]],
    now: datetime,
) -> list[Due]:
    """`watch.back_in_stock` for each customer watching a product that came back."""
    due: list[Due] = []
    for product in after:
        if before.get(product.sku, 0) <= 0 < product.stock:
            for customer_id in watchers.get(product.sku, ()):
                due.append(
                    Due(
                        "watch.back_in_stock",
                        customer_id,
                        product.sku,
                        now,
                        {"product": product.name},
                    )
                )
    return due


def shop_changes(
    statuses: Mapping[str, str],
    stock: Mapping[str, int],
    watches: Iterable[tuple[str, str, str]],
    orders: Iterable[Order],
    products: Iterable[Product],
    now: datetime,
    templates: Templates,
) -> list[Due]:
    """What an import or a webhook call owes: orders whose status moved (`statuses`: the
    status each had before), products back in stock for their watchers, and the
    "let me know when it ships" watches (`watches`: customer_id, kind, subject) of orders
    that shipped."""
    watchers: dict[str, list[str]] = {}
    shipping: set[str] = set()
    for customer_id, kind, subject in watches:
        if kind == "back_in_stock":
            watchers.setdefault(subject, []).append(customer_id)
        elif kind == "shipped":
            shipping.add(subject)
    due = order_changes(statuses, orders, now, templates)
    due += stock_changes(stock, products, watchers, now)
    due += [
        Due("watch.shipped", d.customer_id, d.subject, d.due_at, d.values)
        for d in due
        if d.trigger == "order.shipped" and d.subject in shipping
    ]
    return due


@dataclass(frozen=True)
class ClaimedNotice:
    """A due notice one scanner holds for a while (its lease)."""

    notice_id: int
    trigger: str
    customer_id: str
    subject: str
    values: Mapping[str, str]
    attempts: int = 1


@dataclass(frozen=True)
class ConsentState:
    opted_out: frozenset[str] = frozenset()  # 'service', 'marketing', a trigger, or 'all'
    marketing_opt_in: bool = False


@dataclass(frozen=True)
class Addressee:
    """What sending needs to know of one customer, read once per scan for all its notices."""

    customer: Customer
    consent: ConsentState = ConsentState()
    sent_last_week: int = 0


@dataclass(frozen=True)
class NoticeCounts:
    trigger: str
    status: str
    count: int


@dataclass(frozen=True)
class Purchase:
    """One order of one product by one customer (orders not cancelled or returned)."""

    customer_id: str
    sku: str
    product: str
    bought: datetime
    replenish_days: int | None = None  # products.csv `replenish_days`, if the shop set it
    category: str = ""


@dataclass(frozen=True)
class Repurchase:
    """A consumable a customer bought last on `bought`, and how long it lasts her: her own
    rhythm when she has one (`rhythm`), else the product's `replenish_days`."""

    customer_id: str
    sku: str
    product: str
    bought: datetime
    days: int
    rhythm: bool = False
    category: str = ""


RHYTHM_PURCHASES = 3  # bought this often, a product has a rhythm of its own for her


def repurchase_rhythm(bought: Iterable[datetime]) -> int | None:
    """Her days between purchases of one product: the median gap, once she bought it
    RHYTHM_PURCHASES times on different days (a median, so one late order does not move it)."""
    days = sorted({b.date() for b in bought})
    if len(days) < RHYTHM_PURCHASES:
        return None
    return max(1, round(median((b - a).days for a, b in zip(days, days[1:], strict=False))))


def repurchases(purchases: Iterable[Purchase]) -> list[Repurchase]:
    """What each customer may be running out of: every product she buys with a rhythm of
    her own (whether or not the shop calls it a consumable), and every product with a
    `replenish_days`, whose interval her rhythm replaces once she has one."""
    by_product: dict[tuple[str, str], list[Purchase]] = {}
    for p in purchases:
        by_product.setdefault((p.customer_id, p.sku), []).append(p)
    found = []
    for (customer_id, sku), bought in by_product.items():
        last = max(bought, key=lambda p: p.bought)
        rhythm = repurchase_rhythm(p.bought for p in bought)
        days = rhythm or last.replenish_days
        if days:
            found.append(
                Repurchase(
                    customer_id,
                    sku,
                    last.product,
                    last.bought,
                    days,
                    rhythm is not None,
                    last.category,
                )  # fmt: skip
            )
    return found


@dataclass(frozen=True)
class Occasion:
    customer_id: str
    label: str  # as the customer said it: "my mother's birthday"
    month: int
    day: int


OCCASION_NOTICE = timedelta(days=7)
WINBACK_OFFER_TIERS = ("top", "high-potential")  # worth an offer; the others a light touch


def _half(now: datetime) -> str:
    return f"{now.year}H{1 if now.month <= 6 else 2}"


def time_triggers(
    now: datetime,
    open_orders: Iterable[Order],
    summaries: Iterable[PurchaseSummary],
    repurchases: Iterable[Repurchase],
    occasions: Iterable[Occasion],
    templates: Templates,
) -> list[Due]:
    """Notices owed by the passing of time: an order late, a first purchase, a consumable
    running out, an occasion coming, a customer in dissolution (once per half-year: an
    offer to the top and high-potential tiers, a light touch to the others)."""
    due: list[Due] = []
    summaries = list(summaries)
    assessed = assess_all(summaries, now)
    for order in open_orders:
        late = order.estimated_delivery is not None and order.estimated_delivery < now
        if late and order.status in ("processing", "shipped"):
            values = {
                "order_id": order.order_id,
                "carrier": order.carrier,
                "tracking_code": order.tracking_code,
            }
            due.append(Due("order.delayed", order.customer_id, order.order_id, now, values))
    for s in summaries:
        if s.first_order is None or s.last_order is None:
            continue
        if s.orders == 1 and now - s.first_order <= timedelta(days=7):
            at = max(now, s.first_order + templates.delay("thanks.first_purchase"))
            due.append(Due("thanks.first_purchase", s.customer_id, "first", at))
        value = assessed[s.customer_id]
        if value.stage == "dissolution":
            trigger = "winback.offer" if value.tier in WINBACK_OFFER_TIERS else "winback"
            due.append(Due(trigger, s.customer_id, _half(now), now))
    for r in repurchases:
        runs_out = r.bought + timedelta(days=r.days)
        if runs_out - timedelta(days=3) <= now <= runs_out + timedelta(days=30):
            subject = f"{r.sku}@{r.bought.date().isoformat()}"
            about = {"product": r.product, "days": str(r.days), "category": r.category}
            due.append(Due("replenish.reminder", r.customer_id, subject, now, about))
    for o in occasions:
        for year in (now.year, now.year + 1):
            try:
                day = datetime(year, o.month, o.day, tzinfo=now.tzinfo)
            except ValueError:  # 29 February in a common year
                day = datetime(year, o.month, 28, tzinfo=now.tzinfo)
            ahead = day - now
            if timedelta(0) < ahead <= OCCASION_NOTICE:
                values = {"occasion": o.label, "days": str(max(1, ahead.days))}
                due.append(
                    Due("occasion.reminder", o.customer_id, f"{o.label}:{year}", now, values)
                )
    return due


# --- restraint --------------------------------------------------------------


@dataclass(frozen=True)
class Restraint:
    """The rules a deployment sets (BALCAO_NOTICE_* settings)."""

    max_per_week: int = 3
    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)
    holdout_share: float = 0.0


@dataclass(frozen=True)
class Recipient:
    """What the rules need to know of the customer at send time."""

    customer_id: str
    timezone: str = "UTC"
    opted_out: frozenset[str] = frozenset()  # kinds or triggers the customer stopped
    marketing_opt_in: bool = False
    sent_last_week: int = 0
    open_complaint: bool = False


Verdict = Literal["send", "later", "holdout", "suppressed"]


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str = ""
    retry_at: datetime | None = None


def in_holdout(customer_id: str, trigger: str, share: float) -> bool:
    """A stable random draw: the same customer stays in (or out of) a trigger's holdout."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{trigger}\0{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def quiet_until(now: datetime, zone: str, rules: Restraint) -> datetime | None:
    """When quiet hours end, if `now` falls in them in the customer's time zone."""
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    local = now.astimezone(tz)
    start, end = rules.quiet_start, rules.quiet_end
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz)


def decide(trigger: str, who: Recipient, now: datetime, rules: Restraint) -> Decision:
    """Whether a notice goes now, later (quiet hours, a complaint open), or never."""
    kind = TRIGGERS.get(trigger, "marketing")
    if kind in who.opted_out or trigger in who.opted_out or "all" in who.opted_out:
        return Decision("suppressed", "opted_out")
    if kind == "marketing" and not who.marketing_opt_in:
        return Decision("suppressed", "no_opt_in")
    if in_holdout(who.customer_id, trigger, rules.holdout_share):
        return Decision("holdout", "holdout")
    if who.open_complaint:
        return Decision("later", "open_complaint", now + timedelta(hours=6))
    if who.sent_last_week >= rules.max_per_week and kind == "marketing":
        return Decision("suppressed", "frequency_cap")
    after = quiet_until(now, who.timezone, rules)
    if after is not None:
        return Decision("later", "quiet_hours", after)
    return Decision("send")


STOP_WORDS = frozenset(
    {
        "stop",
        "unsubscribe",
        "stop these",
        "stop sending",
        "parar",
        "pare",
        "cancelar subscrição",
        "não quero mais",
        "basta",
        "detener",
        "dejar de recibir",
        "no más",
        "darme de baja",
        "baja",
    }
)


def is_stop(text: str) -> bool:
    """ "stop" in chat, in en/pt/es: the message is only a stop word (with punctuation)."""
    return text.strip().strip(".!¡").strip().lower() in STOP_WORDS


# saying no to reminders, in en/pt/es: any of these makes a message about reminders an opt-out
_NO_REMINDERS = re.compile(
    r"\b(?:no|not|don't|do not|stop\w*|cancel\w*|turn off|switch off|unsubscribe|never"
    r"|any ?more|opt out"
    r"|não|parem|parar|pare|desativ\w*|deslig\w*|deixem|deixe|sem|nunca"
    r"|sin|ya no|parad|desactiv\w*|apag\w*|dejad|deja|baja)\b",
    re.IGNORECASE,
)


def wants_reminders(text: str) -> bool:
    """Whether a message about reminders says yes ('send me reminders') or no ('no more
    reminders', 'sin recordatorios'). When in doubt it is a no: an opt-in is recorded only
    when nothing in the message declines."""
    return _NO_REMINDERS.search(text) is None


# "tell me when it is back" / "let me know when it ships", in en/pt/es
_BACK = re.compile(
    r"back in stock|in stock again|avis[ae]-?me quando|quando (?:voltar|houver)|"
    r"av[ií]same cuando|cuando (?:vuelva|haya)|notify me|let me know when .* (?:back|available)",
    re.IGNORECASE,
)
_SHIPS = re.compile(
    r"when (?:it|my order|the order) (?:ships|is shipped|has shipped)|"
    r"quando (?:for|a encomenda for) enviad[ao]|cuando (?:se env[ií]e|salga|sea enviado)",
    re.IGNORECASE,
)
_ORDER_ID = re.compile(r"\b\d{5,}\b")


def parse_watch(text: str, products: Mapping[str, str]) -> tuple[str, str] | None:
    """A watch asked for in chat: ('shipped', order id) or ('back_in_stock', sku), matched
    against `products` (sku -> its names, lower case, space separated alternatives)."""
    if _SHIPS.search(text):
        found = _ORDER_ID.search(text)
        return ("shipped", found.group(0)) if found else None
    if _BACK.search(text):
        lowered = text.lower()
        best = [(len(name), sku) for sku, names in products.items() for name in names.split("|")
                if name and name in lowered]  # fmt: skip
        return ("back_in_stock", max(best)[1]) if best else None
    return None


# --- measuring ---------------------------------------------------------------

COUNTED = ("sent", "shown", "holdout", "suppressed", "unsubscribed", "sent_ordered_7d",
           "holdout_ordered_7d")  # fmt: skip


def proactive_figures(rows: Iterable[Mapping[str, object]]) -> dict[str, list[dict[str, object]]]:
    """The store's counts per (trigger, tier, stage), added up per trigger, per trigger and
    tier, and per trigger and stage, each with the share who ordered within 7 days among
    the notified and among the holdout, and their difference (the uplift; None while
    either group is empty)."""
    cuts = {
        "triggers": ("trigger",),
        "by_tier": ("trigger", "tier"),
        "by_stage": ("trigger", "stage"),
        "segments": ("trigger", "tier", "stage"),
    }
    rows = list(rows)
    figures: dict[str, list[dict[str, object]]] = {}
    for name, keys in cuts.items():
        sums: dict[tuple[object, ...], dict[str, int]] = {}
        for row in rows:
            group = sums.setdefault(tuple(row[k] for k in keys), dict.fromkeys(COUNTED, 0))
            for counted in COUNTED:
                value = row[counted]
                group[counted] += value if isinstance(value, int) else 0
        figures[name] = [
            {**dict(zip(keys, key, strict=True)), **counts, **_rates(counts)}
            for key, counts in sorted(sums.items(), key=lambda item: tuple(map(str, item[0])))
        ]
    return figures


def _rates(counts: Mapping[str, int]) -> dict[str, float | None]:
    sent = counts["sent_ordered_7d"] / counts["sent"] if counts["sent"] else None
    held = counts["holdout_ordered_7d"] / counts["holdout"] if counts["holdout"] else None
    return {
        "sent_order_rate": None if sent is None else round(sent, 4),
        "holdout_order_rate": None if held is None else round(held, 4),
        "uplift": None if sent is None or held is None else round(sent - held, 4),
    }


# --- occasions told in chat ---------------------------------------------------

MONTHS: dict[str, int] = {}
for _names in (
    "january february march april may june july august september october november december",
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
):
    for _number, _name in enumerate(_names.split(), start=1):
        MONTHS[_name] = _number
        MONTHS.setdefault(_name[:3], _number)  # jan, fev, ene...
MONTHS["sept"] = MONTHS["setiembre"] = 9
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|º|ª|o)?\s+(?:(?:de|of)\s+)?({_MONTH})\b\.?", re.IGNORECASE
)
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.IGNORECASE)
_MONTH_ONLY = re.compile(rf"\b(?:in|em|en|para)\s+({_MONTH})\b", re.IGNORECASE)
# what comes around the date and is not the occasion's name, in en/pt/es
_LEAD = re.compile(
    r"^(?:please\s+|por favor\s+)?(?:remember|remind me(?: of| about)?|save(?: the date)?|note"
    r"|don't (?:let me )?forget|do not forget"
    r"|lembr[ae](?:-se|-me)?(?: de| do| da| que)?|guarde(?: esta data)?|anot[ae]"
    r"|tome nota(?: de| do| da)?|não me deix\w* esquecer"
    r"|record[ae](?:me)?(?: que| el| la)?|recuérdame(?: el| la| que)?|guarda(?: esta fecha)?"
    r"|apunta(?: el| la)?|no me dejes olvidar)?"
    r"\s*:?\s*(?:that|que)?\s*",
    re.IGNORECASE,
)
# a word of the tail stands alone: "hermana," keeps its "a"
_TAIL = re.compile(
    r"(?:\s*[,:;-])?(?:\s+(?:is|is on|on|it's on|é|é a|é no dia|é em|a|no dia|em|in|es|es el"
    r"|el|en|remind me|lembre-me|recuérdame|please|por favor))?\s*[.!?,]*$",
    re.IGNORECASE,
)
OCCASION_LABEL_CHARS = 80


@dataclass(frozen=True)
class OccasionTold:
    """A date worth remembering, as the customer put it in chat."""

    label: str
    month: int
    day: int

    @property
    def subject(self) -> str:
        """How a watch keeps it: 'MM-DD|label' (read back by the time scan)."""
        return f"{self.month:02d}-{self.day:02d}|{self.label}"


def parse_occasion(text: str) -> OccasionTold | None:
    """'my mother's birthday is on 12 March', 'o nosso aniversário é a 3 de junho',
    'recuérdame en marzo': the day and month (the 1st when only a month is given) and what
    the occasion is, in the customer's words; None without a valid date."""
    found = _DAY_MONTH.search(text)
    if found is not None:
        day, month = int(found.group(1)), MONTHS[found.group(2).lower()]
    else:
        found = _MONTH_DAY.search(text) or _MONTH_ONLY.search(text)
        if found is None:
            return None
        month = MONTHS[found.group(1).lower()]
        day = int(found.group(2)) if found.re is _MONTH_DAY else 1
    if not 1 <= day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31):
        return None
    before = text[: found.start()]
    label = _TAIL.sub("", _LEAD.sub("", before.strip(), count=1)).strip(" ,.:;!?-|")
    if not label:  # "remind me in March": the month is the occasion
        label = _LEAD.sub("", text[found.end() :].strip(), count=1).strip(" ,.:;!?-|")
    label = label.replace("|", " ")[:OCCASION_LABEL_CHARS].strip()
    said = re.sub(r"^(?:in|em|en|para)\s+", "", found.group(0).strip(), flags=re.IGNORECASE)
    return OccasionTold(label or said, month, day)
