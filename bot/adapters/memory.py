"""In-memory adapters: fakes for unit tests that honour the same protocols.

    MemoryConversationStore   ConversationStore
    MemoryAgentStore          AgentStore (and so AgentDirectory)
    MemoryHandoffStore        HandoffStore
    MemoryCustomerStore       CustomerStore, over lists of values
    MemoryAuditLog            AuditLog

Each answers as its SQLite adapter does (tests/adapters/test_contracts.py runs the same
checks on both). Each call lets other tasks run first, as a real store's round trip does,
then does its work without awaiting: atomic on the event loop, as a transaction is.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.adapters.conversation_rows import language_of
from bot.adapters.customer_rows import money, request_id_of
from bot.core.agents import Agent, Status, token_digest
from bot.core.customers import (
    AttemptCounts,
    Customer,
    Order,
    OrderItem,
    Product,
    PurchaseSummary,
    ServiceRequest,
    Transaction,
)
from bot.core.events import Event
from bot.core.handoff import OPEN_STATUSES, Handoff, position_in_queue, queue_order
from bot.errors import StorageError
from bot.ports import ConversationInfo


async def _round_trip() -> None:
    """Let other tasks run, as a real store's call does: races show in unit tests too."""
    await asyncio.sleep(0)


class MemoryConversationStore:
    def __init__(self) -> None:
        self._events: dict[str, list[Event]] = {}
        self._info: dict[str, ConversationInfo] = {}

    async def append(
        self, conversation_id: str, events: Sequence[Event], *, sender: str, channel: str
    ) -> list[Event]:
        await _round_trip()
        if not events:
            return []
        log = self._events.setdefault(conversation_id, [])
        stored = [e.with_seq(len(log) + i) for i, e in enumerate(events, start=1)]
        log.extend(stored)
        info = self._info.get(conversation_id) or ConversationInfo(
            conversation_id, sender, channel, stored[0].timestamp, stored[0].timestamp
        )
        language = language_of(stored)
        self._info[conversation_id] = replace(
            info, updated_at=stored[-1].timestamp, language=language or info.language
        )
        return stored

    async def load(self, conversation_id: str) -> list[Event]:
        await _round_trip()
        return list(self._events.get(conversation_id, ()))

    async def info(self, conversation_id: str) -> ConversationInfo | None:
        await _round_trip()
        return self._info.get(conversation_id)

    async def list_conversations(
        self, *, limit: int = 50, offset: int = 0
    ) -> list[ConversationInfo]:
        await _round_trip()
        ordered = sorted(self._info.values(), key=lambda i: -i.updated_at)
        return ordered[offset : offset + limit]


class MemoryAgentStore:
    """The AgentStore port in memory: like SqliteAgentStore, a new agent starts offline,
    `save` keeps status (and the password when given None), lookups by email ignore case."""

    def __init__(self) -> None:
        self._agents: dict[str, Agent] = {}
        self._passwords: dict[str, str] = {}
        self._sessions: dict[str, tuple[str, float]] = {}  # token digest -> (email, expires_at)
        self._attempts: list[tuple[str, float, str]] = []  # key, at, attempt id

    async def save(self, agent: Agent, password_hash: str | None, now: float) -> None:
        await _round_trip()
        known = self._agents.get(agent.email)
        if known is None:
            self._agents[agent.email] = replace(agent, status="offline")
            self._passwords[agent.email] = password_hash or ""
            return
        self._agents[agent.email] = replace(agent, status=known.status)
        if password_hash is not None:
            self._passwords[agent.email] = password_hash
            self._end_sessions_of(agent.email)  # a new password ends the old sessions

    def _end_sessions_of(self, email: str) -> None:
        self._sessions = {t: s for t, s in self._sessions.items() if s[0] != email}

    async def get(self, email: str) -> Agent | None:
        await _round_trip()
        return self._agents.get(email.lower())

    async def password_hash(self, email: str) -> str | None:
        await _round_trip()
        agent = self._agents.get(email.lower())
        return None if agent is None or agent.disabled else self._passwords.get(email.lower())

    async def all(self) -> list[Agent]:
        await _round_trip()
        return sorted(self._agents.values(), key=lambda a: a.email)

    async def set_status(self, email: str, status: Status) -> None:
        await _round_trip()
        agent = self._agents.get(email)
        if agent is not None and (not agent.disabled or status == "offline"):
            self._agents[email] = replace(agent, status=status)

    async def create_session(self, token: str, email: str, now: float, ttl: float) -> None:
        await _round_trip()
        if email not in self._agents:  # the SQLite table's foreign key
            raise StorageError(f"no agent {email} to open a session for")
        self._sessions = {t: s for t, s in self._sessions.items() if s[1] >= now}
        self._sessions[token_digest(token)] = (email, now + ttl)

    async def session_agent(self, token: str, now: float) -> Agent | None:
        await _round_trip()
        session = self._sessions.get(token_digest(token))
        if session is None or session[1] <= now:
            return None
        agent = self._agents.get(session[0])
        return None if agent is None or agent.disabled else agent

    async def end_session(self, token: str) -> None:
        await _round_trip()
        self._sessions.pop(token_digest(token), None)

    async def disable(self, email: str, now: float) -> bool:
        await _round_trip()
        agent = self._agents.get(email.lower())
        if agent is None:
            return False
        self._agents[agent.email] = replace(agent, disabled=True, status="offline")
        self._end_sessions_of(agent.email)
        return True

    async def remove(self, email: str) -> bool:
        await _round_trip()
        agent = self._agents.pop(email.lower(), None)
        if agent is None:
            return False
        self._passwords.pop(agent.email, None)
        self._end_sessions_of(agent.email)
        return True

    async def reserve_login_attempt(
        self, limits: Sequence[tuple[str, int]], now: float, window_s: float
    ) -> str | None:
        await _round_trip()
        self._attempts = [a for a in self._attempts if a[1] > now - window_s]
        for key, limit in limits:
            if sum(1 for k, _, _ in self._attempts if k == key) >= limit:
                return None
        attempt = uuid.uuid4().hex
        self._attempts.extend((key, now, attempt) for key, _ in limits)
        return attempt

    async def release_login_attempt(self, attempt: str) -> None:
        await _round_trip()
        self._attempts = [a for a in self._attempts if a[2] != attempt]


class MemoryHandoffStore:
    """The HandoffStore port in memory. No method awaits between reading and writing, so
    each is atomic on the event loop, as SQLite's conditional UPDATEs are."""

    def __init__(self) -> None:
        self._handoffs: dict[int, Handoff] = {}
        self._next_id = 1

    async def create(self, handoff: Handoff) -> Handoff:
        await _round_trip()
        for existing in self._handoffs.values():
            if (
                existing.conversation_id == handoff.conversation_id
                and existing.status in OPEN_STATUSES
            ):
                return existing
        created = replace(handoff, id=self._next_id)
        self._handoffs[created.id] = created
        self._next_id += 1
        return created

    async def get(self, handoff_id: int) -> Handoff | None:
        await _round_trip()
        return self._handoffs.get(handoff_id)

    async def queue_head(self, limit: int) -> tuple[list[Handoff], int]:
        await _round_trip()
        queue = queue_order(self._handoffs.values())
        return queue[:limit], len(queue)

    async def position(self, handoff_id: int) -> int | None:
        await _round_trip()
        return position_in_queue(handoff_id, self._handoffs.values())

    async def list(self, statuses: tuple[str, ...] = OPEN_STATUSES) -> list[Handoff]:
        await _round_trip()
        return [h for h in self._handoffs.values() if h.status in statuses]  # ids ascend

    async def loads(self) -> dict[str, int]:
        await _round_trip()
        held = Counter(h.agent for h in self._handoffs.values() if h.status == "assigned")
        return {agent: count for agent, count in held.items() if agent is not None}

    async def claim(self, handoff_id: int, agent: str, now: float) -> bool:
        await _round_trip()
        handoff = self._handoffs.get(handoff_id)
        if handoff is None or handoff.status != "waiting":
            return False
        self._handoffs[handoff_id] = replace(
            handoff, status="assigned", agent=agent, claimed_at=now
        )
        return True

    async def claim_if_room(self, handoff_id: int, agent: str, max_chats: int, now: float) -> bool:
        await _round_trip()
        handoff = self._handoffs.get(handoff_id)
        load = sum(
            1 for h in self._handoffs.values() if h.agent == agent and h.status == "assigned"
        )
        if handoff is None or handoff.status != "waiting" or load >= max_chats:
            return False
        self._handoffs[handoff_id] = replace(
            handoff, status="assigned", agent=agent, claimed_at=now
        )
        return True

    async def transfer(self, handoff_id: int, from_agent: str, to_agent: str) -> bool:
        await _round_trip()
        handoff = self._handoffs.get(handoff_id)
        if handoff is None or handoff.status != "assigned" or handoff.agent != from_agent:
            return False
        self._handoffs[handoff_id] = replace(handoff, agent=to_agent)
        return True

    async def resolve(self, handoff_id: int, agent: str | None, now: float) -> bool:
        await _round_trip()
        handoff = self._handoffs.get(handoff_id)
        if handoff is None or handoff.status not in OPEN_STATUSES:
            return False
        if agent is not None and handoff.agent != agent:
            return False
        self._handoffs[handoff_id] = replace(handoff, status="resolved", resolved_at=now)
        return True

    async def set_contact(self, handoff_id: int, email: str) -> None:
        await _round_trip()
        handoff = self._handoffs.get(handoff_id)
        if handoff is not None:
            self._handoffs[handoff_id] = replace(handoff, contact_email=email)


class MemoryCustomerStore:
    """The CustomerStore port over lists of values, as SqliteCustomerStore answers them."""

    def __init__(
        self,
        customers: Iterable[Customer] = (),
        orders: Iterable[Order] = (),
        items: Iterable[OrderItem] = (),
        products: Iterable[Product] = (),
        transactions: Iterable[Transaction] = (),
    ) -> None:
        self._customers = {c.customer_id: c for c in customers}
        self._orders = {o.order_id: replace(o, total=money(o.total)) for o in orders}
        self._items = {
            (i.order_id, i.sku): replace(i, unit_price=money(i.unit_price)) for i in items
        }
        self._products = {p.sku: replace(p, price=money(p.price)) for p in products}
        self._transactions = {
            t.transaction_id: replace(t, amount=money(t.amount)) for t in transactions
        }
        self.requests: list[ServiceRequest] = []
        self.attempts: list[tuple[str, str, bool, datetime]] = []

    async def customer(self, customer_id: str) -> Customer | None:
        await _round_trip()
        return self._customers.get(customer_id)

    async def customer_by_email(self, email: str) -> Customer | None:
        await _round_trip()
        wanted = email.strip().lower()
        found = [c for c in self._customers.values() if (c.email or "").lower() == wanted]
        return found[0] if len(found) == 1 else None

    async def order(self, order_id: str) -> Order | None:
        await _round_trip()
        return self._orders.get(order_id)

    async def orders_of(self, customer_id: str, limit: int = 5) -> list[Order]:
        await _round_trip()
        mine = [o for o in self._orders.values() if o.customer_id == customer_id]
        return sorted(mine, key=lambda o: o.created_at, reverse=True)[:limit]

    async def items_of(self, order_ids: Sequence[str]) -> list[OrderItem]:
        await _round_trip()
        wanted = set(order_ids)
        return [i for key, i in sorted(self._items.items()) if i.order_id in wanted]

    async def products(self, skus: Sequence[str] | None = None) -> list[Product]:
        await _round_trip()
        wanted = set(self._products if skus is None else skus)
        return [p for sku, p in sorted(self._products.items()) if sku in wanted]

    async def transactions_of(
        self, customer_id: str, order_id: str | None = None
    ) -> list[Transaction]:
        await _round_trip()
        mine = [
            t
            for t in self._transactions.values()
            if t.customer_id == customer_id and (order_id is None or t.order_id == order_id)
        ]
        return sorted(mine, key=lambda t: t.created_at, reverse=True)

    async def purchase_summary(self, customer_id: str) -> PurchaseSummary | None:
        await _round_trip()
        return self._summary(customer_id) if customer_id in self._customers else None

    async def purchase_summaries(self) -> list[PurchaseSummary]:
        await _round_trip()
        return [self._summary(c) for c in sorted(self._customers)]

    def _summary(self, customer_id: str) -> PurchaseSummary:
        """Orders not cancelled: how many, their total, the first and the last."""
        bought = [
            o
            for o in self._orders.values()
            if o.customer_id == customer_id and o.status != "cancelled"
        ]
        dates = [o.created_at for o in bought]
        return PurchaseSummary(
            customer_id,
            len(bought),
            money(sum((o.total for o in bought), Decimal(0))),
            min(dates, default=None),
            max(dates, default=None),
        )

    async def best_sellers(self, limit: int = 20) -> list[str]:
        await _round_trip()
        units: Counter[str] = Counter()
        for item in self._items.values():
            units[item.sku] += item.quantity
        return sorted(units, key=lambda sku: (-units[sku], sku))[:limit]

    async def bought_together(self, skus: Sequence[str]) -> dict[str, dict[str, int]]:
        await _round_trip()
        baskets: dict[str, set[str]] = {}
        for order_id, sku in self._items:
            baskets.setdefault(order_id, set()).add(sku)
        together: dict[str, dict[str, int]] = {}
        for sku in dict.fromkeys(skus):
            others = Counter(o for basket in baskets.values() if sku in basket for o in basket)
            del others[sku]
            if others:
                together[sku] = dict(others)
        return together

    async def record_request(self, request: ServiceRequest) -> ServiceRequest:
        await _round_trip()
        for known in self.requests:
            if known.order_id == request.order_id and known.status == "open":
                return known
        recorded = replace(request, request_id=request_id_of(request))
        self.requests.append(recorded)
        return recorded

    async def record_attempt(
        self, conversation: str, order_id: str, ok: bool, at: datetime
    ) -> None:
        await _round_trip()
        self.attempts.append((conversation, order_id, ok, at))

    async def attempt_counts(
        self, conversation: str, order_id: str | None, since: datetime
    ) -> AttemptCounts:
        await _round_trip()
        failed = [(c, o, at) for c, o, ok, at in self.attempts if not ok]
        by_order = sum(1 for _, o, at in failed if o == order_id and at >= since) if order_id else 0
        return AttemptCounts(sum(1 for c, _, _ in failed if c == conversation), by_order)

    async def reserve_attempt(
        self,
        conversation: str,
        order_id: str,
        at: datetime,
        since: datetime,
        limits: tuple[int, int],
    ) -> tuple[AttemptCounts, int | None]:
        await _round_trip()
        failed = [(c, o, when) for c, o, ok, when in self.attempts if not ok]
        counts = AttemptCounts(
            sum(1 for c, _, _ in failed if c == conversation),
            sum(1 for _, o, when in failed if o == order_id and when >= since),
        )
        if counts.conversation_failures >= limits[0] or counts.order_failures >= limits[1]:
            return counts, None
        self.attempts.append((conversation, order_id, False, at))
        return counts, len(self.attempts) - 1

    async def settle_attempt(self, attempt_id: int, ok: bool) -> None:
        await _round_trip()
        conversation, order_id, _, at = self.attempts[attempt_id]
        self.attempts[attempt_id] = (conversation, order_id, ok, at)

    async def record_goodwill(
        self, transaction: Transaction, *, limit: Decimal | None, since: datetime
    ) -> Decimal | None:
        await _round_trip()
        if transaction.transaction_id in self._transactions:  # SQLite's primary key
            raise StorageError(f"transaction {transaction.transaction_id} exists")
        total = transaction.amount + sum(
            (
                t.amount
                for t in self._transactions.values()
                if t.customer_id == transaction.customer_id
                and t.method.startswith("goodwill")
                and t.kind in ("refund", "credit")
                and t.created_at >= since
            ),
            Decimal(0),
        )
        if limit is not None and total > limit:
            return None
        self._transactions[transaction.transaction_id] = replace(
            transaction, amount=money(transaction.amount)
        )
        return money(total)


class MemoryAuditLog:
    """The AuditLog port in memory; `records` reads like `audit_records` of the SQLite one."""

    def __init__(self) -> None:
        self._records: list[dict[str, Any]] = []

    async def record(
        self,
        *,
        at: float,
        actor: str,
        action: str,
        subject: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        await _round_trip()
        self._records.append(
            {
                "id": len(self._records) + 1,
                "at": at,
                "actor": actor,
                "action": action,
                "subject": subject,
                "details": dict(details or {}),
            }
        )

    def records(self, subject: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self._records if not subject or r["subject"] == subject]
