"""Goodwill: a refund or credit an agent grants a verified customer, within their tier's limit.

One business transaction: check who holds the conversation, that the customer is verified,
the order (theirs) and the currency (the order's, or the shop's), then record the grant in
the customer store, which checks the tier's limit for the period and writes in one atomic
step (so ten concurrent €20 grants cannot pass a €50 limit). The grant is noted in the
conversation for the other agents and audited; the customer's payment list shows
"goodwill", never the agent's identity.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from bot.core.agents import Agent
from bot.core.customers import Order, Transaction
from bot.core.goodwill import check_goodwill, limit_for
from bot.core.handoff import Handoff
from bot.core.texts import say
from bot.errors import InputError, PermissionDeniedError
from bot.ports import AuditLog, CustomerStore
from bot.services.chat import ChatService
from bot.services.desk import Desk
from bot.services.insights import CustomerInsights

Kind = Literal["refund", "credit"]
METHOD = "goodwill"  # what the customer's payment list shows
DEFAULT_CURRENCY = "EUR"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Allowance:
    """What an agent may still grant this customer in the current period."""

    customer_id: str
    tier: str | None
    limit: Decimal | None  # None: no limit (admins)
    granted: Decimal  # already granted in the period
    currency: str
    period_days: int
    orders: tuple[str, ...]  # the customer's order ids, newest first

    @property
    def remaining(self) -> Decimal | None:
        if self.limit is None:
            return None
        return max(Decimal(0), self.limit - self.granted).quantize(CENT)


@dataclass(frozen=True)
class Grant:
    transaction: Transaction
    tier: str | None
    allowance: Allowance


class GoodwillService:
    def __init__(
        self,
        desk: Desk,
        chat: ChatService,
        insights: CustomerInsights,
        customers: CustomerStore,
        limits: dict[str, Decimal],
        *,
        period_days: int = 30,
        audit: AuditLog | None = None,
    ) -> None:
        self.desk = desk
        self.chat = chat
        self.insights = insights
        self.customers = customers
        self.limits = limits
        self.period_days = period_days
        self.audit = audit

    async def allowance(self, handoff_id: int, agent: Agent) -> Allowance:
        handoff = await self._held(handoff_id, agent)
        return await self._allowance(await self._customer_of(handoff), agent)

    async def grant(
        self,
        handoff_id: int,
        agent: Agent,
        kind: Kind,
        amount: Decimal,
        currency: str | None = None,
        order_id: str = "",
    ) -> Grant:
        handoff = await self._held(handoff_id, agent)
        customer_id = await self._customer_of(handoff)
        allowance = await self._allowance(customer_id, agent)
        order = await self._order(customer_id, order_id) if order_id else None
        expected = order.currency if order is not None else allowance.currency
        if currency is not None and currency.upper() != expected:
            raise InputError(
                f"goodwill for this customer is in {expected}, not {currency}",
                code="invalid_currency",
            )
        check_goodwill(amount, allowance.tier, self.limits, agent.is_admin)
        now = datetime.now(UTC)
        transaction = Transaction(
            transaction_id=f"GW-{secrets.token_hex(6).upper()}",
            customer_id=customer_id,
            order_id=order_id,
            created_at=now,
            kind=kind,
            amount=amount,
            currency=expected,
            status="pending" if kind == "refund" else "settled",
            method=METHOD,
        )
        total = await self.customers.record_goodwill(
            transaction, limit=allowance.limit, since=self._period_start(now)
        )
        if total is None:
            raise PermissionDeniedError(
                f"{amount} {expected} would take this {allowance.tier or 'unrated'} customer's"
                f" goodwill above {allowance.limit} in {self.period_days} days"
                f" ({allowance.remaining} left); ask an admin"
            )
        await self.desk.note(
            handoff.id,
            agent,
            f"Goodwill {kind} of {amount} {expected} granted ({transaction.transaction_id})",
        )
        await self.desk.tell(handoff.id, _told(kind, amount, expected, order_id, handoff.language))
        if self.audit is not None:
            await self.audit.record(
                at=time.time(),
                actor=agent.email,
                action="goodwill.grant",
                subject=f"customer:{customer_id}",
                details={
                    "transaction": transaction.transaction_id,
                    "kind": kind,
                    "amount": str(amount),
                    "currency": expected,
                    "order": order_id,
                },
            )
        after = Allowance(
            customer_id,
            allowance.tier,
            allowance.limit,
            total,
            expected,
            self.period_days,
            allowance.orders,
        )
        return Grant(transaction, allowance.tier, after)

    async def _held(self, handoff_id: int, agent: Agent) -> Handoff:
        handoff = await self.desk.get(handoff_id)
        if not agent.is_admin and (handoff.agent != agent.email or handoff.status != "assigned"):
            raise PermissionDeniedError("this conversation is held by another agent")
        return handoff

    async def _customer_of(self, handoff: Handoff) -> str:
        state = await self.chat.state(handoff.conversation_id)
        customer_id = state.slots.get("customer_id")
        if not (customer_id and state.slots.get("verified")):
            raise InputError("the customer is not verified", code="not_verified")
        return str(customer_id)

    async def _allowance(self, customer_id: str, agent: Agent) -> Allowance:
        value = await self.insights.value(customer_id)
        tier = value.tier if value else None
        orders = await self.customers.orders_of(customer_id, limit=20)
        currency = orders[0].currency if orders else DEFAULT_CURRENCY
        granted = sum(
            (
                t.amount
                for t in await self.customers.transactions_of(customer_id)
                if t.method.startswith(METHOD)
                and t.kind in ("refund", "credit")
                and t.created_at >= self._period_start(datetime.now(UTC))
            ),
            Decimal(0),
        ).quantize(CENT)
        limit = None if agent.is_admin else limit_for(tier, self.limits)
        return Allowance(
            customer_id,
            tier,
            limit,
            granted,
            currency,
            self.period_days,
            tuple(o.order_id for o in orders),
        )

    async def _order(self, customer_id: str, order_id: str) -> Order:
        order = await self.customers.order(order_id)
        if order is None or order.customer_id != customer_id:
            raise InputError(f"order {order_id} is not this customer's", code="invalid_order")
        return order

    def _period_start(self, now: datetime) -> datetime:
        return now - timedelta(days=self.period_days)


SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "BRL": "R$"}


def _told(kind: Kind, amount: Decimal, currency: str, order_id: str, language: str) -> str:
    """What the customer reads: "A credit of €10.00 was added to your account."."""
    symbol = SYMBOLS.get(currency)
    money = f"{symbol}{amount:.2f}" if symbol else f"{amount:.2f} {currency}"
    if kind == "credit":
        return say("goodwill_credit", language, amount=money)
    where = {"en": " for order {o}", "pt": " para a encomenda {o}", "es": " para el pedido {o}"}
    order = where.get(language, where["en"]).format(o=order_id) if order_id else ""
    return say("goodwill_refund", language, amount=money, order=order)
