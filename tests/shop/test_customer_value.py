"""RFM scores, lifetime value, tiers and lifecycle stages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.core.customer_value import (
    Population,
    assess,
    assess_all,
    chance_active,
    lifetime_value,
    rfm,
    stage,
)
from bot.core.customers import PurchaseSummary

NOW = datetime(2026, 6, 15, tzinfo=UTC)


def summary(cid: str, orders: int, spent: str, first_days: int, last_days: int) -> PurchaseSummary:
    return PurchaseSummary(
        cid,
        orders,
        Decimal(spent),
        NOW - timedelta(days=first_days) if orders else None,
        NOW - timedelta(days=last_days) if orders else None,
    )


LOYAL = summary("loyal", 12, "1400", 700, 5)
NEWCOMER = summary("new", 1, "45", 6, 6)
GROWING = summary("growing", 3, "180", 120, 10)
LAPSED = summary("lapsed", 2, "60", 900, 400)
BIG_LAPSED = summary("big-lapsed", 9, "2500", 1000, 380)
NEVER = summary("never", 0, "0", 0, 0)
BASE = [LOYAL, NEWCOMER, GROWING, LAPSED, BIG_LAPSED, NEVER] + [
    summary(f"filler{i}", 1 + i % 3, str(40 + 10 * i), 300 + i, 100 + 5 * i) for i in range(20)
]


def test_rfm_scores_are_quintiles_where_more_recent_and_more_is_better() -> None:
    population = Population.of(BASE, NOW)

    loyal = rfm(LOYAL, population, NOW)
    lapsed = rfm(LAPSED, population, NOW)

    assert loyal.frequency == 5 and loyal.monetary == 5 and loyal.recency >= 4
    assert lapsed.recency == 1
    assert rfm(NEVER, population, NOW).total == 0


def test_lifetime_value_grows_with_spend_and_shrinks_with_silence() -> None:
    active = summary("a", 4, "400", 365, 30)
    silent = summary("s", 4, "400", 365 + 300, 330)

    assert lifetime_value(active, NOW) > lifetime_value(silent, NOW) > Decimal(0)
    assert lifetime_value(NEVER, NOW) == Decimal("0.00")
    assert chance_active(active, NOW) > chance_active(silent, NOW)


def test_lifecycle_stages() -> None:
    assert stage(NEVER, NOW) == "exploration"
    assert stage(NEWCOMER, NOW) == "exploration"
    assert stage(GROWING, NOW) == "growth"
    assert stage(LOYAL, NOW) == "commitment"
    assert stage(LAPSED, NOW) == "dissolution"


def test_tiers_differentiate_customers() -> None:
    values = assess_all(BASE, NOW)

    assert values["loyal"].tier == "top"
    assert values["new"].tier == "high-potential"  # recent first order: worth growing
    assert values["big-lapsed"].tier == "high-potential"  # valuable, slipping away
    assert values["lapsed"].tier == "low-value"
    assert values["never"].tier == "low-value"


def test_assess_reports_days_since_the_last_order() -> None:
    value = assess(GROWING, Population.of(BASE, NOW), NOW)

    assert value.days_since_last_order == 10
    assert value.rfm.code == f"{value.rfm.recency}{value.rfm.frequency}{value.rfm.monetary}"
