"""The warehouse's rows: conversations, handoffs, orders and customers' value, as fact and
dimension tuples in the column order of bot/core/warehouse_schema.py. Pure.

Privacy by default: customer and conversation ids become keyed hashes (`Keys`, HMAC-SHA256
under the deployment's secret, the same hash as the host site's identity hash); free text
is left out unless `with_text`; names, emails, phones and postcodes unless
`with_personal_data`.

Customer value reuses bot/core/customer_value.py: `snapshot` assesses every customer as of
one moment from their purchase summaries; `history` rebuilds summaries as of past moments
from the orders; `CustomerVersions` turns a series of snapshots into the rows of a type-2
slowly changing dimension (a new version when the RFM scores, tier or stage change).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.core import events as ev
from bot.core.agents import Agent
from bot.core.analytics import ConversationLog, facts
from bot.core.customer_value import CustomerValue, Population, assess
from bot.core.customers import Customer, Order, OrderItem, Product, PurchaseSummary, Transaction
from bot.core.events import Event
from bot.core.handoff import Handoff
from bot.core.identity import identity_hash
from bot.core.privacy import CUSTOMER_SLOT
from bot.knowledge.entries import Entry

Row = tuple[Any, ...]
HISTORY_QUARTERS = 4  # a full export rebuilds dim_customer at the start of this many quarters
SETTLE_DAYS = 30  # an incremental export re-reads orders this much older than its watermark


@dataclass(frozen=True)
class ExportOptions:
    full: bool = False
    with_text: bool = False
    with_personal_data: bool = False


@dataclass(frozen=True)
class StoredConversation:
    """A conversation as the store holds it; rows are made for its events from `new_from_seq`."""

    conversation_id: str
    channel: str
    language: str | None
    events: tuple[Event, ...]
    new_from_seq: int = 1


class Keys:
    """Keyed hashes of ids: the same id gives the same key under the same secret."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._customers: dict[str, str] = {}

    def customer(self, customer_id: str | None) -> str | None:
        if not customer_id:
            return None
        key = self._customers.get(customer_id)
        if key is None:
            key = self._customers[customer_id] = identity_hash(self.secret, customer_id)
        return key

    def conversation(self, conversation_id: str) -> str:
        return identity_hash(self.secret, "conversation\n" + conversation_id)[:32]

    @property
    def check(self) -> str:
        """Tells which secret made a warehouse's keys, without telling the secret."""
        return identity_hash(self.secret, "balcao-warehouse")[:16]


# --- conversations --------------------------------------------------------------------

ROLES = {ev.USER: "customer", ev.BOT: "bot", ev.AGENT: "agent"}


@dataclass
class ConversationRows:
    messages: list[Row] = field(default_factory=list)
    feedback: list[Row] = field(default_factory=list)
    conversation: Row | None = None
    customer_id: str | None = None


def conversation_rows(
    stored: StoredConversation, keys: Keys, with_text: bool = False
) -> ConversationRows:
    """fact_message, fact_feedback (events from `new_from_seq`) and fact_conversation rows."""
    out = ConversationRows()
    events = stored.events
    if not events:
        return out
    final_language = stored.language
    customer_id: str | None = None
    for event in events:
        if event.kind == ev.LANGUAGE and event.data.get("language"):
            final_language = event.data["language"]
        elif event.kind == ev.SLOT and event.data.get("name") == CUSTOMER_SLOT:
            value = event.data.get("value")
            customer_id = str(value) if value is not None else customer_id
    final_language = final_language or "en"
    ckey = keys.conversation(stored.conversation_id)
    customer_key = keys.customer(customer_id)
    channel = stored.channel
    language: str | None = None
    agent: str | None = None
    first_agent: str | None = None
    first_entry: str | None = None
    last_entry: str | None = None
    escalated_from: str | None = None
    first_reason: str | None = None
    shown = 0
    for event in events:
        data = event.data
        kind = event.kind
        if kind == ev.LANGUAGE:
            language = data.get("language") or language
        elif kind == ev.HANDOFF:
            status = data.get("status")
            if status == "requested" and first_reason is None:
                first_reason = str(data.get("reason") or "unspecified")
                escalated_from = last_entry
            elif status in ("claimed", "transferred") and data.get("agent"):
                agent = str(data["agent"])
                first_agent = first_agent or agent
        if kind in ROLES:
            shown += 1
            entry = data.get("entry")
            if kind == ev.BOT and entry:
                first_entry = first_entry or entry
                last_entry = entry
            if event.seq >= stored.new_from_seq:
                confidence = data.get("confidence")
                out.messages.append(
                    (
                        ckey,
                        event.seq,
                        event.timestamp,
                        ROLES[kind],
                        language or final_language,
                        channel,
                        data.get("decision"),
                        entry,
                        float(confidence) if isinstance(confidence, int | float) else None,
                        bool(data.get("payload")) if kind == ev.USER else None,
                        data.get("agent") if kind == ev.AGENT else None,
                        (data.get("text") or None) if with_text else None,
                    )
                )
        elif kind in (ev.FEEDBACK, ev.SUGGESTION) and event.seq >= stored.new_from_seq:
            row = _feedback_row(event, ckey, customer_key, agent, language or final_language)
            if row is not None:
                out.feedback.append(row if with_text else (*row[:-1], None))
    fact = facts(
        ConversationLog(stored.conversation_id, events, channel, stored.language), final_language
    )
    assert fact is not None
    person = first_agent is not None
    out.conversation = (
        ckey,
        customer_key,
        channel,
        fact.language,
        events[0].timestamp,
        events[-1].timestamp,
        fact.user_messages,
        shown,
        fact.fallbacks,
        first_entry,
        fact.resolved_automatically,
        fact.escalated,
        "person" if person else "bot" if fact.resolved_automatically else "unresolved",
        first_reason,
        escalated_from,
        fact.waits[0] if fact.waits else None,
        first_agent,
        fact.ratings[-1] if fact.ratings else None,
        fact.helpful,
        fact.unhelpful,
    )
    out.customer_id = customer_id
    return out


def _feedback_row(
    event: Event, ckey: str, customer_key: str | None, agent: str | None, language: str
) -> Row | None:
    data = event.data
    rating = data.get("rating")
    helpful = data.get("helpful")
    if event.kind == ev.SUGGESTION:
        kind, text = "suggestion", data.get("text")
    elif isinstance(rating, int) and not isinstance(rating, bool):
        kind, text = "rating", data.get("comment")
    elif isinstance(helpful, bool):
        kind, text = "answer", None
    elif data.get("comment") is not None:
        kind, text = "comment", data.get("comment")
    else:
        return None
    return (
        ckey,
        event.seq,
        event.timestamp,
        customer_key,
        kind,
        rating if kind == "rating" else None,
        helpful if kind == "answer" else None,
        data.get("entry"),
        agent,
        language,
        text or None,
    )


def handoff_row(handoff: Handoff, keys: Keys) -> Row:
    wait = handoff.claimed_at - handoff.created_at if handoff.claimed_at is not None else None
    handle = (
        handoff.resolved_at - handoff.claimed_at
        if handoff.resolved_at is not None and handoff.claimed_at is not None
        else None
    )
    return (
        handoff.id,
        keys.conversation(handoff.conversation_id),
        keys.customer(handoff.customer_id),
        handoff.created_at,
        handoff.reason,
        handoff.language,
        handoff.channel,
        handoff.priority,
        handoff.tier,
        handoff.offline,
        handoff.status,
        handoff.agent,
        handoff.claimed_at,
        handoff.resolved_at,
        max(0.0, wait) if wait is not None else None,
        max(0.0, handle) if handle is not None else None,
    )


# --- the shop -------------------------------------------------------------------------


def order_row(order: Order, keys: Keys) -> Row:
    return (
        order.order_id,
        keys.customer(order.customer_id),
        order.created_at.timestamp(),
        order.status,
        float(order.total),
        order.currency,
        order.carrier or None,
        order.extra.get("channel") or None,
    )


def item_row(item: OrderItem, order: Order, keys: Keys) -> Row:
    return (
        item.order_id,
        item.sku,
        keys.customer(order.customer_id),
        order.created_at.timestamp(),
        item.quantity,
        float(item.unit_price),
        float(item.unit_price * item.quantity),
    )


def transaction_row(transaction: Transaction, keys: Keys) -> Row:
    return (
        transaction.transaction_id,
        transaction.order_id or None,
        keys.customer(transaction.customer_id),
        transaction.created_at.timestamp(),
        transaction.kind,
        float(transaction.amount),
        transaction.currency,
        transaction.status,
        transaction.method or None,
    )


def product_row(product: Product) -> Row:
    return (
        product.sku,
        product.name,
        product.category,
        float(product.price),
        product.currency,
        product.stock,
        product.extra.get("line") or None,
        product.extra.get("tier") or None,
    )


def entry_row(entry: Entry) -> Row:
    kind = "handoff" if entry.handoff else "action" if entry.action else "answer"
    return (
        entry.id,
        entry.language,
        entry.question,
        kind,
        entry.action,
        ",".join(entry.tags) or None,
        len(entry.examples),
    )


def agent_row(agent: Agent) -> Row:
    return (
        agent.email,
        agent.name,
        agent.role,
        ",".join(agent.languages),
        ",".join(agent.skills) or None,
        agent.max_chats,
    )


# --- customers' value over time ---------------------------------------------------------


def quarter_starts(now: datetime, quarters: int = HISTORY_QUARTERS) -> list[datetime]:
    """The first instant of each of the last `quarters` quarters (oldest first), before `now`."""
    moments = []
    year, month = now.year, 1 + 3 * ((now.month - 1) // 3)
    for _ in range(quarters):
        moments.append(datetime(year, month, 1, tzinfo=UTC))
        year, month = (year, month - 3) if month > 3 else (year - 1, month + 9)
    return [m for m in reversed(moments) if m < now]


def history(
    orders: Iterable[tuple[str, datetime, Decimal, str]], moments: Sequence[datetime]
) -> list[list[PurchaseSummary]]:
    """Purchase summaries of every buyer as of each of `moments` (ascending), from
    (customer_id, created_at, total, status) of every order; cancelled orders do not count,
    as in the stores' own summaries."""
    ordered = sorted((o for o in orders if o[3] != "cancelled"), key=lambda o: o[1])
    running: dict[str, list[Any]] = {}  # customer -> [orders, monetary, first, last]
    out: list[list[PurchaseSummary]] = []
    index = 0
    for moment in moments:
        while index < len(ordered) and ordered[index][1] < moment:
            customer_id, created, total, _ = ordered[index]
            state = running.get(customer_id)
            if state is None:
                running[customer_id] = [1, total, created, created]
            else:
                state[0] += 1
                state[1] += total
                state[3] = created
            index += 1
        out.append(
            [
                PurchaseSummary(cid, n, Decimal(money).quantize(Decimal("0.01")), first, last)
                for cid, (n, money, first, last) in running.items()
            ]
        )
    return out


@dataclass(frozen=True)
class Snapshot:
    """Every customer's value and purchases as of one moment."""

    at: datetime
    values: Mapping[str, CustomerValue]
    summaries: Mapping[str, PurchaseSummary]


def snapshot(
    customers: Sequence[Customer], summaries: Iterable[PurchaseSummary], at: datetime
) -> Snapshot:
    """Assess every customer who had signed up by `at` (those who never bought included)."""
    known = {s.customer_id: s for s in summaries}
    present = [
        known.get(c.customer_id) or PurchaseSummary(c.customer_id, 0, Decimal("0.00"), None, None)
        for c in customers
        if c.created_at is None or c.created_at <= at
    ]
    population = Population.of(present, at)
    return Snapshot(
        at,
        {s.customer_id: assess(s, population, at) for s in present},
        {s.customer_id: s for s in present},
    )


Tracked = tuple[int, int, int, str, str]


def tracked(value: CustomerValue) -> Tracked:
    """What makes a new version of a customer: their RFM scores, tier and stage."""
    return (value.rfm.recency, value.rfm.frequency, value.rfm.monetary, value.tier, value.stage)


@dataclass
class CustomerVersions:
    """Type-2 versions of dim_customer from a series of snapshots.

    `current` holds each customer key's open version as (tracked, version) from the
    warehouse; `closed` collects (version, valid_to) of those that a new one replaces.
    """

    keys: Keys
    customers: Mapping[str, Customer]
    with_personal_data: bool
    next_version: int
    current: dict[str, tuple[Tracked, int]] = field(default_factory=dict)
    rows: list[list[Any]] = field(default_factory=list)
    closed: list[tuple[int, float]] = field(default_factory=list)
    _made: dict[int, int] = field(default_factory=dict)  # version -> index in rows

    def add(self, snap: Snapshot) -> None:
        at = snap.at.timestamp()
        for customer_id, value in snap.values.items():
            key = self.keys.customer(customer_id)
            assert key is not None
            now = tracked(value)
            before = self.current.get(key)
            if before is not None and before[0] == now:
                continue
            if before is not None:
                self._close(before[1], at)
            version = self.next_version
            self.next_version += 1
            self.current[key] = (now, version)
            self._made[version] = len(self.rows)
            self.rows.append(self._row(version, key, at, value, snap.summaries[customer_id]))

    def _close(self, version: int, at: float) -> None:
        index = self._made.get(version)
        if index is not None:  # made in this run: close it in place
            self.rows[index][3], self.rows[index][4] = at, False
        else:
            self.closed.append((version, at))

    def _row(
        self, version: int, key: str, at: float, value: CustomerValue, summary: PurchaseSummary
    ) -> list[Any]:
        customer = self.customers[value.customer_id]
        personal = self.with_personal_data
        return [
            version,
            key,
            at,
            None,
            True,
            customer.language,
            customer.created_at.timestamp() if customer.created_at else None,
            bool(customer.account_manager),
            summary.orders,
            float(summary.monetary),
            value.days_since_last_order,
            value.rfm.recency,
            value.rfm.frequency,
            value.rfm.monetary,
            value.rfm.code,
            value.rfm.total,
            float(value.lifetime_value),
            value.tier,
            value.stage,
            customer.name if personal else None,
            customer.email if personal else None,
            (customer.phone or None) if personal else None,
            (customer.postcode or None) if personal else None,
        ]

    def tuples(self) -> list[Row]:
        return [tuple(r) for r in self.rows]
