"""Customer insights: what the desk and the agent's customer panel know of a customer.

Built on the CustomerStore port and the pure customer-value functions; the
population's cut points are cached for a few minutes (they move slowly).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.core.customer_value import CustomerValue, Population, assess
from bot.core.customers import CustomerProfile
from bot.ports import CustomerStore

POPULATION_TTL = 600.0


class CustomerInsights:
    def __init__(self, store: CustomerStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self._population: tuple[float, Population] | None = None

    async def _population_now(self) -> Population:
        now = self.clock()
        if self._population is None or now - self._population[0] > POPULATION_TTL:
            summaries = await self.store.purchase_summaries()
            self._population = (now, Population.of(summaries, datetime.fromtimestamp(now, UTC)))
        return self._population[1]

    async def value(self, customer_id: str) -> CustomerValue | None:
        summaries = [
            s for s in await self.store.purchase_summaries() if s.customer_id == customer_id
        ]
        if not summaries:
            return None
        population = await self._population_now()
        return assess(summaries[0], population, datetime.fromtimestamp(self.clock(), UTC))

    async def profile(self, customer_id: str) -> CustomerProfile | None:
        customer = await self.store.customer(customer_id)
        if customer is None:
            return None
        value = await self.value(customer_id)
        return CustomerProfile(
            customer_id,
            tier=value.tier if value else None,
            account_manager=customer.account_manager or None,
        )

    async def panel(self, customer_id: str) -> dict[str, Any] | None:
        """The agent's customer panel: identity, value, stage, recent orders."""
        customer = await self.store.customer(customer_id)
        if customer is None:
            return None
        value = await self.value(customer_id)
        orders = await self.store.orders_of(customer_id, limit=5)
        return {
            "customer_id": customer.customer_id,
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
            "language": customer.language,
            "account_manager": customer.account_manager or None,
            "tier": value.tier if value else None,
            "stage": value.stage if value else None,
            "rfm": (
                {
                    "recency": value.rfm.recency,
                    "frequency": value.rfm.frequency,
                    "monetary": value.rfm.monetary,
                    "code": value.rfm.code,
                }
                if value
                else None
            ),
            "lifetime_value": str(value.lifetime_value) if value else None,
            "days_since_last_order": (
                round(value.days_since_last_order)
                if value and value.days_since_last_order is not None
                else None
            ),
            "recent_orders": [
                {
                    "order_id": o.order_id,
                    "created_at": o.created_at.isoformat(),
                    "status": o.status,
                    "total": str(o.total),
                    "currency": o.currency,
                }
                for o in orders
            ],
        }
