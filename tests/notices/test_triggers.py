"""Each trigger kind, with a controllable clock: no sleeping for days."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.cli.shop import import_shop
from bot.core.customers import PurchaseSummary
from bot.core.notices import (
    Due,
    Occasion,
    Purchase,
    repurchase_rhythm,
    repurchases,
    time_triggers,
)
from bot.knowledge.notices import Templates
from bot.services.winback import WinbackOffers
from tests.notices.conftest import NOON, World, ship, subject_of


def subjects(world: World) -> list[str]:
    return [str(m["Subject"]) for m in world[1].received()]


async def reimport(shop: Path, world: World, kb: Path) -> None:
    db = world[0].store.database.path  # type: ignore[attr-defined]
    await asyncio.to_thread(import_shop, shop, db, kb=kb, now=world[2].now)


async def test_delivered_then_satisfaction_check_three_days_later(
    world: World, shop_copy: Path, notice_kb: Path
) -> None:
    service, _, clock, _ = world
    path = shop_copy / "orders.csv"
    path.write_text(
        path.read_text().replace(
            "100006,C4,2026-06-12T10:00:00Z,shipped", "100006,C4,2026-06-12T10:00:00Z,delivered"
        )
    )
    await reimport(shop_copy, world, notice_kb)
    assert await service.run_due() == 1
    assert "delivered" in subjects(world)[0]
    clock.now += timedelta(days=2, hours=23)
    assert await service.run_due() == 0
    clock.now += timedelta(hours=1)
    assert await service.run_due() == 1
    assert "How was order 100006" in subjects(world)[1]


async def test_order_past_its_estimated_delivery_is_announced_as_delayed_once(
    world: World,
) -> None:
    service, _, clock, _ = world
    clock.now = datetime(2026, 6, 17, 12, tzinfo=UTC)  # 100001 (C1) and 100004 (C2) are late
    assert await service.scan_time() >= 2
    assert await service.scan_time() == 0
    await service.run_due()
    late = [s for s in subjects(world) if "100001" in s or "100004" in s]
    assert len(late) == 2


async def test_thank_you_after_a_first_purchase_goes_to_opted_in_customers_only(
    world: World,
) -> None:
    service, _, clock, _ = world  # C4's one order is of 2026-06-12
    await service.store.set_consent("C4", "marketing", "in", clock.now, "chat", "yes")
    await service.scan_time()
    await service.run_due()
    assert [s for s in subjects(world) if "first order" in s] == ["Thank you for your first order"]
    clock.now += timedelta(days=1)
    await service.scan_time()
    await service.run_due()
    assert len([s for s in subjects(world) if "first order" in s]) == 1


async def test_back_in_stock_watch_fires_when_stock_returns(
    world: World, shop_copy: Path, notice_kb: Path
) -> None:
    service, _, _, _ = world
    products = shop_copy / "products.csv"
    text = products.read_text()
    products.write_text(
        text.replace(
            "Cast Iron Teapot,kitchen,64.90,EUR,A better teapot.,5",
            "Cast Iron Teapot,kitchen,64.90,EUR,A better teapot.,0",
        )
    )
    await reimport(shop_copy, world, notice_kb)
    await service.watch("C1", "back_in_stock", "TEA-PRE")
    products.write_text(text)
    await reimport(shop_copy, world, notice_kb)
    assert await service.run_due() == 1
    assert "Cast Iron Teapot" in subjects(world)[0]


async def test_let_me_know_when_it_ships_watch(
    world: World, shop_copy: Path, notice_kb: Path
) -> None:
    service, _, _, _ = world
    await service.watch("C2", "shipped", "100004")
    ship(shop_copy, "100004", "CTT", "CT1")
    await reimport(shop_copy, world, notice_kb)
    assert await service.run_due() == 2  # the order notice and the promised one
    assert any("prometido" in s for s in subjects(world))


async def test_occasion_reminder_comes_a_week_before(world: World) -> None:
    service, _, clock, _ = world
    await service.store.set_consent("C1", "marketing", "in", clock.now, "chat", "yes")
    await service.watch("C1", "occasion", "06-25|Mum's birthday")
    await service.scan_time()
    await service.run_due()
    assert not any("birthday" in s for s in subjects(world))  # ten days ahead
    clock.now += timedelta(days=3, hours=1)
    await service.scan_time()
    await service.run_due()
    assert [s for s in subjects(world) if "birthday" in s] == ["Mum's birthday is coming"]


def test_winback_goes_to_customers_in_dissolution_an_offer_to_the_valuable_once_a_half_year() -> (
    None
):
    now = NOON

    def buyer(customer_id: str, orders: int, spent: int, first: int, last: int) -> PurchaseSummary:
        return PurchaseSummary(
            customer_id, orders, Decimal(spent), now - timedelta(days=first),
            now - timedelta(days=last),
        )  # fmt: skip

    summaries = [
        buyer("BIG", 6, 3000, 900, 400),  # spent the most, silent for 400 days: dissolution
        buyer("SMALL", 2, 20, 700, 500),  # spent little, silent: dissolution
        buyer("ACTIVE", 6, 900, 400, 10),
        buyer("PAUSED", 3, 90, 400, 200),  # usual gap 100 days: quiet, not yet gone
    ] + [buyer(f"X{n}", 2, 100, 300, 30) for n in range(10)]
    due = time_triggers(now, [], summaries, [], [], Templates())
    assert sorted((d.trigger, d.customer_id, d.subject) for d in due) == [
        ("winback", "SMALL", "2026H1"),
        ("winback.offer", "BIG", "2026H1"),
    ]
    # the next scan in the same half-year owes the same rows: the store keeps one of each
    later = time_triggers(now + timedelta(days=10), [], summaries, [], [], Templates())
    assert {d.subject for d in later if d.trigger.startswith("winback")} == {"2026H1"}


def test_replenishment_learns_her_own_rhythm_and_prefers_it_to_the_products_interval() -> None:
    now = NOON

    def bought(
        customer_id: str, sku: str, days_ago: list[int], every: int | None
    ) -> list[Purchase]:
        return [
            Purchase(customer_id, sku, sku.title(), now - timedelta(days=d), every, "pantry")
            for d in days_ago
        ]

    purchases = [
        *bought("ANA", "tea", [62, 42, 21], 30),  # every ~20 days, though the shop says 30
        *bought("BEA", "tea", [29], 30),  # once: the shop's interval
        *bought("CAT", "soap", [130, 90, 50, 9], None),  # not marked: her rhythm makes it one
        *bought("DIA", "vase", [300, 20], None),  # twice, not a consumable: no rhythm yet
    ]
    found = {(r.customer_id, r.sku): r for r in repurchases(purchases)}
    assert set(found) == {("ANA", "tea"), ("BEA", "tea"), ("CAT", "soap")}
    assert (found["ANA", "tea"].days, found["ANA", "tea"].rhythm) == (20, True)
    assert (found["BEA", "tea"].days, found["BEA", "tea"].rhythm) == (30, False)
    assert found["CAT", "soap"].days == 40
    assert repurchase_rhythm([now, now, now - timedelta(days=5)]) is None  # one day counts once
    due = time_triggers(now, [], [], list(found.values()), [], Templates())
    # ANA's tea runs out now (21 days on a 20-day rhythm); a fixed 30 days would wait 9 more
    assert sorted((d.customer_id, d.values["days"]) for d in due) == [("ANA", "20"), ("BEA", "30")]
    birthday = Occasion("C1", "birthday", 1, 3)  # the occasion next year, seen from late December
    late_december = datetime(2026, 12, 30, tzinfo=UTC)
    [reminder] = time_triggers(late_december, [], [], [], [birthday], Templates())
    assert reminder.subject == "birthday:2027"


def test_watches_are_understood_in_english_portuguese_and_spanish() -> None:
    from bot.core.notices import parse_watch

    products = {"TEA-PRE": "cast iron teapot|bule de ferro fundido|tetera de hierro fundido"}
    assert parse_watch("tell me when the cast iron teapot is back in stock", products) == (
        "back_in_stock",
        "TEA-PRE",
    )
    assert parse_watch("avisa-me quando o bule de ferro fundido voltar", products) == (
        "back_in_stock",
        "TEA-PRE",
    )
    assert parse_watch("avísame cuando vuelva la tetera de hierro fundido", products) == (
        "back_in_stock",
        "TEA-PRE",
    )
    assert parse_watch("let me know when it ships, order 100004", products) == (
        "shipped",
        "100004",
    )
    assert parse_watch("where is my teapot?", products) is None


async def test_a_watch_asked_in_chat_fires_when_the_stock_returns(
    world: World, shop_copy: Path, notice_kb: Path
) -> None:
    service, _, _, _ = world
    products = shop_copy / "products.csv"
    text = products.read_text()
    products.write_text(text.replace("A better teapot.,5", "A better teapot.,0"))
    await reimport(shop_copy, world, notice_kb)
    assert await service.watch_from_chat("C1", "Tell me when the Cast Iron Teapot is back in stock")
    assert (
        await service.watch_from_chat("C1", "let me know when it ships: 100004") is None
    )  # not C1's
    products.write_text(text)
    await reimport(shop_copy, world, notice_kb)
    assert await service.run_due() == 1


async def test_winback_offer_is_capped_by_the_goodwill_limit_of_the_customers_tier(
    world: World,
) -> None:
    service, _, clock, _ = world  # C1 and C3 are top customers in dissolution here
    for customer in ("C1", "C3"):
        await service.store.set_consent(customer, "marketing", "in", clock.now, "chat", "yes")
    limits = {"top": Decimal("10")}
    service.offers = WinbackOffers(service.customers, limits, amount=Decimal("15"))
    await service.store.enqueue([Due("winback.offer", "C1", "2026H1", clock.now)], clock.now)
    assert await service.run_due() == 1
    [mail] = world[1].received()
    assert "€10.00" in subject_of(mail) and "15" not in subject_of(mail)
    assert "**€10.00**" in mail.get_payload(decode=True).decode()
    # nothing may be granted: the light touch goes instead, promising nothing
    service.offers = WinbackOffers(service.customers, {"top": Decimal(0)}, amount=Decimal(15))
    await service.store.enqueue([Due("winback.offer", "C3", "2026H1", clock.now)], clock.now)
    assert await service.run_due() == 1
    light = world[1].received()[1]
    assert subject_of(light) == "Te echamos de menos, Lucía"  # C3 reads Spanish
    assert [t.method for t in await service.customers.transactions_of("C3")
            if t.transaction_id.startswith("WB-")] == []  # fmt: skip
