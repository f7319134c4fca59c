"""Win-back offers: the credit a `winback.offer` notice promises, booked as goodwill.

An offer is booked only when its notice is sent (the notices service decides that; a
notice held out, capped, quiet, under a complaint or opted out books nothing), in the
same atomic step as an agent's goodwill (`CustomerStore.record_goodwill`: the customer's
goodwill in the period, checked against her tier's limit and written in one step, an
advisory lock on PostgreSQL), so win-back and agents share one allowance. The booking is
a settled credit with method "goodwill", like an agent's, so the customer's payment list
shows goodwill; the audit log names the actor "win-back", never a member of staff.

Its transaction id is the notice's (`WB-<notice id>`): a notice sent again after a crash
or a refused email finds its credit booked and promises the same one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.core.customers import Transaction
from bot.core.goodwill import MAX_AMOUNT, limit_for
from bot.errors import ConfigError
from bot.ports import AuditLog, CustomerStore
from bot.services.goodwill import CENT, DEFAULT_CURRENCY, METHOD, SYMBOLS

logger = logging.getLogger(__name__)

ACTOR = "win-back"  # who the audit log says granted it


@dataclass(frozen=True)
class Offer:
    """A credit booked for one win-back notice."""

    transaction_id: str
    amount: Decimal
    currency: str

    @property
    def text(self) -> str:
        """What `{offer}` reads: "€10.00", or "10.00 CHF" for a currency without a sign."""
        symbol = SYMBOLS.get(self.currency)
        return f"{symbol}{self.amount:.2f}" if symbol else f"{self.amount:.2f} {self.currency}"


def parse_offer(text: str) -> Decimal:
    """BALCAO_WINBACK_OFFER: an amount with at most two decimals, 0 for no offers."""
    try:
        amount = Decimal(text.strip())
    except ArithmeticError:
        amount = Decimal(-1)
    if not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT or amount != amount.quantize(CENT):
        raise ConfigError(
            f"BALCAO_WINBACK_OFFER={text!r}: write an amount such as 10 or 7.50 (0: no offers)"
        )
    return amount.quantize(CENT)


class WinbackOffers:
    def __init__(
        self,
        customers: CustomerStore,
        limits: dict[str, Decimal],
        *,
        amount: Decimal,
        period_days: int = 30,
        audit: AuditLog | None = None,
    ) -> None:
        self.customers = customers
        self.limits = limits
        self.amount = amount
        self.period_days = period_days
        self.audit = audit

    async def book(
        self,
        notice_id: int,
        customer_id: str,
        tier: str | None,
        now: datetime,
        amount: Decimal | None = None,
    ) -> Offer | None:
        """Book the offer of notice `notice_id` (`amount`, else the setting's, capped by her
        tier's goodwill limit); None when nothing may be offered: the limit is 0, or the
        goodwill already granted her in the period leaves no room for it."""
        transaction_id = f"WB-{notice_id}"
        for booked in await self.customers.transactions_of(customer_id):
            if booked.transaction_id == transaction_id:  # sent before, not recorded as sent
                return Offer(transaction_id, booked.amount, booked.currency)
        limit = limit_for(tier, self.limits)
        offered = min(self.amount if amount is None else amount, limit)
        if offered <= 0:
            return None
        orders = await self.customers.orders_of(customer_id, limit=1)
        currency = orders[0].currency if orders else DEFAULT_CURRENCY
        transaction = Transaction(
            transaction_id=transaction_id,
            customer_id=customer_id,
            order_id="",
            created_at=now,
            kind="credit",
            amount=offered,
            currency=currency,
            status="settled",
            method=METHOD,
        )
        since = now - timedelta(days=self.period_days)
        if await self.customers.record_goodwill(transaction, limit=limit, since=since) is None:
            logger.info("notice %d: goodwill allowance used up, no offer", notice_id)
            return None
        if self.audit is not None:
            await self.audit.record(
                at=now.timestamp(),
                actor=ACTOR,
                action="goodwill.grant",
                subject=f"customer:{customer_id}",
                details={
                    "transaction": transaction_id,
                    "kind": "credit",
                    "amount": str(offered),
                    "currency": currency,
                    "notice": notice_id,
                },
            )
        return Offer(transaction_id, offered, currency)
