"""Customer value: RFM scores, a lifetime-value estimate, a tier and a lifecycle stage.

Pure functions over `PurchaseSummary` values.

- **RFM**: recency, frequency and monetary value, each scored 1..5 by quintile
  over every customer who bought (5 = most recent / most orders / most spent).
- **Lifetime value** (revenue, next `horizon_years`): average order value x orders
  a year x horizon x the chance the customer is still active, which decays with
  the time since the last order relative to their usual gap between orders.
- **Tier**: `top` (the best RFM total or lifetime value), `high-potential` (recent
  and still growing, or valuable but slipping away), `low-value` (the rest).
- **Lifecycle stage**: `exploration` (no or one order), `growth` (a few orders,
  active), `commitment` (many orders, active), `dissolution` (gone quiet).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, TypeVar

from bot.core.customers import PurchaseSummary

Tier = Literal["top", "high-potential", "low-value"]
Stage = Literal["exploration", "growth", "commitment", "dissolution"]

Number = TypeVar("Number", int, float, Decimal)  # what a population column holds
DAY = 86400.0
HORIZON_YEARS = 3.0
QUIET_DAYS = 180.0  # silence after which a customer is dissolving, at the least
TOP_SHARE = 0.2  # the best fifth by lifetime value is top


@dataclass(frozen=True)
class Rfm:
    recency: int  # 1..5, 0 if never bought
    frequency: int
    monetary: int

    @property
    def total(self) -> int:
        return self.recency + self.frequency + self.monetary

    @property
    def code(self) -> str:
        return f"{self.recency}{self.frequency}{self.monetary}"


@dataclass(frozen=True)
class CustomerValue:
    customer_id: str
    rfm: Rfm
    lifetime_value: Decimal
    tier: Tier
    stage: Stage
    days_since_last_order: float | None


@dataclass(frozen=True)
class Population:
    """Sorted recency, frequency, monetary and lifetime values of every buyer: the quintile cut points."""

    recency_days: tuple[float, ...]
    orders: tuple[int, ...]
    monetary: tuple[Decimal, ...]
    lifetime_values: tuple[Decimal, ...]

    @classmethod
    def of(cls, summaries: Iterable[PurchaseSummary], now: datetime) -> Population:
        buyers = [s for s in summaries if s.orders > 0 and s.last_order is not None]
        return cls(
            tuple(sorted(_days_since(s, now) or 0.0 for s in buyers)),
            tuple(sorted(s.orders for s in buyers)),
            tuple(sorted(s.monetary for s in buyers)),
            tuple(sorted(lifetime_value(s, now) for s in buyers)),
        )


def _days_since(summary: PurchaseSummary, now: datetime) -> float | None:
    if summary.last_order is None:
        return None
    return max(0.0, (now - summary.last_order).total_seconds() / DAY)


def _quintile(sorted_values: Sequence[Number], value: Number, higher_is_better: bool = True) -> int:
    """1..5 by the share of the population at or below `value` (ties share the higher score)."""
    n = len(sorted_values)
    if n == 0:
        return 3
    at_or_below = bisect.bisect_right(sorted_values, value)
    below = bisect.bisect_left(sorted_values, value)
    share = (at_or_below if higher_is_better else n - below) / n
    return int(max(1, min(5, math.ceil(share * 5))))


def rfm(summary: PurchaseSummary, population: Population, now: datetime) -> Rfm:
    days = _days_since(summary, now)
    if summary.orders == 0 or days is None:
        return Rfm(0, 0, 0)
    return Rfm(
        _quintile(population.recency_days, days, higher_is_better=False),
        _quintile(population.orders, summary.orders),
        _quintile(population.monetary, summary.monetary),
    )


def mean_gap_days(summary: PurchaseSummary) -> float | None:
    """The customer's average days between orders, if they ordered more than once."""
    if summary.orders < 2 or summary.first_order is None or summary.last_order is None:
        return None
    span = (summary.last_order - summary.first_order).total_seconds() / DAY
    return max(1.0, span / (summary.orders - 1))


def chance_active(summary: PurchaseSummary, now: datetime) -> float:
    """A rough probability the customer still buys: exponential decay in gaps missed."""
    days = _days_since(summary, now)
    if days is None:
        return 0.0
    gap = max(mean_gap_days(summary) or 90.0, 30.0)
    return math.exp(-days / (2.5 * gap))


def lifetime_value(
    summary: PurchaseSummary, now: datetime, horizon_years: float = HORIZON_YEARS
) -> Decimal:
    """Expected revenue from the customer over the next `horizon_years`."""
    if summary.orders == 0 or summary.first_order is None:
        return Decimal("0.00")
    average_order = float(summary.monetary) / summary.orders
    # a short history is no evidence of a high rate: count at least a year
    tenure_years = max((now - summary.first_order).total_seconds() / DAY / 365.0, 1.0)
    orders_a_year = summary.orders / tenure_years
    value = average_order * orders_a_year * horizon_years * chance_active(summary, now)
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


def stage(summary: PurchaseSummary, now: datetime) -> Stage:
    days = _days_since(summary, now)
    if summary.orders == 0 or days is None:
        return "exploration"
    gap = mean_gap_days(summary)
    # silent for twice their usual gap (at least 180 days, at most a year), or 270 days after one order
    quiet_after = min(max(QUIET_DAYS, 2 * gap), 365.0) if gap else QUIET_DAYS * 1.5
    if days > quiet_after:
        return "dissolution"
    if summary.orders == 1:
        return "exploration"
    if summary.orders <= 4:
        return "growth"
    return "commitment"


def tier(score: Rfm, value: Decimal, lifecycle: Stage, population: Population) -> Tier:
    values = population.lifetime_values
    top_cut = values[int(len(values) * (1 - TOP_SHARE))] if values else Decimal("Infinity")
    if score.total >= 13 or (
        value >= top_cut and value > 0 and score.recency >= 3 and score.frequency >= 2
    ):
        return "top"
    if lifecycle in ("exploration", "growth") and score.recency >= 4:
        return "high-potential"
    if lifecycle == "dissolution" and score.monetary >= 4:
        return "high-potential"  # valuable but slipping away: worth winning back
    return "low-value"


def assess(summary: PurchaseSummary, population: Population, now: datetime) -> CustomerValue:
    """Everything we say about one customer's value."""
    score = rfm(summary, population, now)
    value = lifetime_value(summary, now)
    lifecycle = stage(summary, now)
    return CustomerValue(
        summary.customer_id,
        score,
        value,
        tier(score, value, lifecycle, population),
        lifecycle,
        _days_since(summary, now),
    )


def assess_all(summaries: Sequence[PurchaseSummary], now: datetime) -> dict[str, CustomerValue]:
    population = Population.of(summaries, now)
    return {s.customer_id: assess(s, population, now) for s in summaries}
