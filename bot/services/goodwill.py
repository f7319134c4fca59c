"""Goodwill: a refund or credit an agent grants a verified customer, within their tier's limit.

One business transaction: check who holds the conversation, that the customer is verified,
the amount against the tier's limit; record the transaction in the customer store; note it
in the conversation for the other agents.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from bot.core.agents import Agent
from bot.core.customers import Transaction
from bot.core.goodwill import check_goodwill
from bot.errors import InputError, PermissionDeniedError
from bot.ports import CustomerStore
from bot.services.chat import ChatService
from bot.services.desk import Desk
from bot.services.insights import CustomerInsights

Kind = Literal["refund", "credit"]


@dataclass(frozen=True)
class Grant:
    transaction: Transaction
    tier: str | None


class GoodwillService:
    def __init__(
        self,
        desk: Desk,
        chat: ChatService,
        insights: CustomerInsights,
        customers: CustomerStore,
        limits: dict[str, Decimal],
    ) -> None:
        self.desk = desk
        self.chat = chat
        self.insights = insights
        self.customers = customers
        self.limits = limits

    async def grant(
        self,
        handoff_id: int,
        agent: Agent,
        kind: Kind,
        amount: Decimal,
        currency: str,
        order_id: str = "",
    ) -> Grant:
        handoff = await self.desk.get(handoff_id)
        if not agent.is_admin and (handoff.agent != agent.email or handoff.status != "assigned"):
            raise PermissionDeniedError("this conversation is held by another agent")
        state = await self.chat.state(handoff.conversation_id)
        customer_id = state.slots.get("customer_id")
        if not (customer_id and state.slots.get("verified")):
            raise InputError("the customer is not verified", code="not_verified")
        value = await self.insights.value(str(customer_id))
        tier = value.tier if value else None
        check_goodwill(amount, tier, self.limits, agent.is_admin)
        transaction = Transaction(
            transaction_id=f"GW-{secrets.token_hex(6).upper()}",
            customer_id=str(customer_id),
            order_id=order_id,
            created_at=datetime.now(UTC),
            kind=kind,
            amount=amount,
            currency=currency,
            status="pending" if kind == "refund" else "settled",
            method=f"goodwill:{agent.email}",
        )
        await self.customers.record_transaction(transaction)
        await self.desk.note(
            handoff.id,
            agent,
            f"Goodwill {kind} of {amount} {currency} granted ({transaction.transaction_id})",
        )
        return Grant(transaction, tier)
