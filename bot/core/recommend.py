"""Personalised recommendations: cross-sell and up-sell, each with its reason.

Pure: takes what the customer bought (most recent first), the catalogue, how
often products were bought together, and the customer's value; returns a
ranked, varied short list. Never something already bought, never something out
of stock, never a lesser version of something owned.

- **up-sell**: a better version (a higher `tier` in the same product `line`,
  both optional extra columns of products.csv) of something the customer owns;
  weighted by the customer's tier (top customers see up-sells first).
- **bought together**: products often in the same orders as the customer's.
- **same category**: other products of a category the customer buys from.
- **popular**: best sellers, when nothing else is known.

Low-value customers get less of what costs far more than they usually spend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from bot.core.customer_value import CustomerValue
from bot.core.customers import Product

Kind = Literal["upsell", "bought_together", "same_category", "popular"]

TIER_RANK = {"basic": 0, "standard": 1, "plus": 1, "premium": 2, "luxe": 3}
UPSELL_WEIGHT = {"top": 0.95, "high-potential": 0.8, "low-value": 0.5}
PER_CATEGORY = 2
PER_REASON = 2


@dataclass(frozen=True)
class Recommendation:
    product: Product
    kind: Kind
    because: Product | None  # the owned product that explains it
    score: float


def _line(product: Product) -> tuple[str, int] | None:
    line = product.extra.get("line", "").strip()
    rank = TIER_RANK.get(product.extra.get("tier", "").strip().lower())
    if not line or rank is None:
        return None
    return line, rank


def recommend(
    owned: Sequence[Product],
    catalogue: Sequence[Product],
    together: Mapping[str, Mapping[str, int]],
    value: CustomerValue | None = None,
    *,
    popular: Sequence[str] = (),
    limit: int = 3,
) -> list[Recommendation]:
    """The best `limit` recommendations for a customer who owns `owned`."""
    owned_skus = {p.sku for p in owned}
    best_owned_rank: dict[str, int] = {}
    for p in owned:
        line = _line(p)
        if line is not None:
            best_owned_rank[line[0]] = max(best_owned_rank.get(line[0], -1), line[1])

    def eligible(p: Product) -> bool:
        if p.sku in owned_skus or not p.in_stock:
            return False
        line = _line(p)
        # within a line they own, only something better than what they have
        return not (
            line is not None and line[0] in best_owned_rank and line[1] <= best_owned_rank[line[0]]
        )

    candidates = [p for p in catalogue if eligible(p)]
    by_sku = {p.sku: p for p in candidates}
    tier = value.tier if value is not None else "high-potential"
    spend = _typical_price(owned)
    found: dict[str, Recommendation] = {}

    def offer(product: Product, kind: Kind, because: Product | None, score: float) -> None:
        if spend is not None and tier == "low-value" and product.price > spend * 2:
            score *= max(0.3, float(spend * 2 / product.price) ** 0.5)
        current = found.get(product.sku)
        if current is None or score > current.score:
            found[product.sku] = Recommendation(product, kind, because, round(score, 4))

    for position, mine in enumerate(owned):
        recency = 1.0 - min(position, 10) * 0.02  # prefer reasons from recent purchases
        line = _line(mine)
        if line is not None:
            for p in candidates:
                other = _line(p)
                if other is not None and other[0] == line[0] and other[1] > line[1]:
                    step_penalty = 0.05 * (other[1] - line[1] - 1)
                    offer(p, "upsell", mine, (UPSELL_WEIGHT[tier] - step_penalty) * recency)
        pairs = together.get(mine.sku, {})
        strongest = max(pairs.values(), default=0)
        for sku, count in pairs.items():
            if sku in by_sku and strongest:
                offer(
                    by_sku[sku], "bought_together", mine, (0.45 + 0.4 * count / strongest) * recency
                )
        for p in candidates:
            if p.category == mine.category:
                offer(p, "same_category", mine, 0.3 * recency)
    for rank, sku in enumerate(popular):
        if sku in by_sku:
            offer(by_sku[sku], "popular", None, 0.2 - rank * 0.005)
    return _varied(sorted(found.values(), key=lambda r: (-r.score, r.product.sku)), limit)


def _typical_price(owned: Sequence[Product]) -> Decimal | None:
    if not owned:
        return None
    prices = sorted(p.price for p in owned)
    return prices[len(prices) // 2]


def _varied(ranked: Sequence[Recommendation], limit: int) -> list[Recommendation]:
    """Top of the ranking, at most PER_CATEGORY per category and PER_REASON per reason."""
    chosen: list[Recommendation] = []
    categories: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for rec in ranked:
        reason = rec.because.sku if rec.because is not None else ""
        if categories.get(rec.product.category, 0) >= PER_CATEGORY:
            continue
        if reason and reasons.get(reason, 0) >= PER_REASON:
            continue
        chosen.append(rec)
        categories[rec.product.category] = categories.get(rec.product.category, 0) + 1
        reasons[reason] = reasons.get(reason, 0) + 1
        if len(chosen) == limit:
            break
    return chosen
