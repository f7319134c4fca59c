"""Ranking recommendations: up-sell, bought together, same category; never owned or out of stock."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.core.customer_value import CustomerValue, Rfm
from bot.core.customers import Product
from bot.core.recommend import recommend


def product(
    sku: str, category: str, price: str, stock: int = 10, line: str = "", tier: str = ""
) -> Product:
    extra = {"line": line, "tier": tier} if line else {}
    return Product(sku, sku.title(), category, Decimal(price), stock=stock, extra=extra)


TEAPOT = product("teapot", "kitchen", "25", line="teapot", tier="basic")
TEAPOT_PLUS = product("teapot-plus", "kitchen", "45", line="teapot", tier="standard")
TEAPOT_LUXE = product("teapot-luxe", "kitchen", "90", line="teapot", tier="premium")
CUPS = product("cups", "tableware", "20")
STRAINER = product("strainer", "kitchen", "8", stock=0)
TRIVET = product("trivet", "kitchen", "10")
VASE = product("vase", "decor", "40")
RUG = product("rug", "decor", "300")
CATALOGUE = [TEAPOT, TEAPOT_PLUS, TEAPOT_LUXE, CUPS, STRAINER, TRIVET, VASE, RUG]
TOGETHER = {"teapot": {"cups": 9, "strainer": 12, "trivet": 3}}


def value(tier: str) -> CustomerValue:
    return CustomerValue("c", Rfm(3, 3, 3), Decimal("100"), tier, "growth", 10.0)  # type: ignore[arg-type]


def test_owner_of_a_basic_product_is_offered_the_next_tier_first_when_top() -> None:
    picks = recommend([TEAPOT], CATALOGUE, TOGETHER, value("top"))

    assert picks[0].product.sku == "teapot-plus"
    assert picks[0].kind == "upsell" and picks[0].because == TEAPOT


def test_bought_together_leads_for_low_value_customers() -> None:
    picks = recommend([TEAPOT], CATALOGUE, TOGETHER, value("low-value"))

    assert picks[0].product.sku == "cups" and picks[0].kind == "bought_together"


def test_never_owned_out_of_stock_or_a_lesser_version() -> None:
    picks = recommend([TEAPOT_PLUS, CUPS], CATALOGUE, TOGETHER, value("top"), limit=10)

    skus = {p.product.sku for p in picks}
    assert not skus & {"teapot-plus", "cups", "strainer", "teapot"}
    assert "teapot-luxe" in skus


def test_a_customer_with_nothing_gets_best_sellers() -> None:
    picks = recommend([], CATALOGUE, {}, None, popular=["strainer", "vase", "cups"])

    assert [p.product.sku for p in picks] == ["vase", "cups"]
    assert all(p.kind == "popular" and p.because is None for p in picks)


def test_at_most_two_picks_per_category() -> None:
    picks = recommend([TEAPOT], CATALOGUE, TOGETHER, value("top"), limit=5)

    kitchen = [p for p in picks if p.product.category == "kitchen"]
    assert len(kitchen) <= 2


def test_expensive_items_are_played_down_for_low_value_customers() -> None:
    owned = [product("candle", "decor", "15")]
    low = recommend(owned, CATALOGUE, {}, value("low-value"), limit=2)
    top = recommend(owned, CATALOGUE, {}, value("top"), limit=2)

    assert low[0].product.sku == "vase"
    assert {p.product.sku for p in top} == {"vase", "rug"}
    assert low[0].score > next(p.score for p in low if p.product.sku == "rug")


def test_ranking_is_deterministic() -> None:
    first = recommend([TEAPOT, VASE], CATALOGUE, TOGETHER, value("high-potential"))

    assert first == recommend([TEAPOT, VASE], CATALOGUE, TOGETHER, value("high-potential"))
    assert datetime.now(UTC)  # the ranking takes no clock
