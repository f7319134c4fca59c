"""The SQLite and PostgreSQL notice stores run the same SQL and keep the same promises."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.customer_rows import numbered as _numbered
from bot.adapters.postgres import PostgresDatabase
from bot.adapters.postgres.notices import PostgresNoticeStore
from bot.adapters.sqlite.database import SqliteDatabase
from bot.adapters.sqlite.notices import SqliteNoticeStore
from bot.app import MIGRATIONS
from bot.core.notices import Due
from bot.knowledge.notices import Templates, load_templates
from bot.ports import NoticeStore

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
Execute = Callable[..., Awaitable[None]]


@pytest.fixture
async def store(
    store_overrides: dict[str, Any], tmp_path: Path
) -> AsyncIterator[tuple[NoticeStore, Execute]]:
    """A notice store of each kind, and a way to write rows the webhook does not carry."""
    if store_overrides:
        postgres = await PostgresDatabase(store_overrides["database"]).open()

        async def pg_execute(sql: str, *args: Any) -> None:
            async with postgres.connection() as conn:
                await conn.execute(_numbered(sql), *args)

        yield PostgresNoticeStore(postgres), pg_execute
        await postgres.close()
        return
    database = await SqliteDatabase(tmp_path / "n.sqlite3", MIGRATIONS).open()

    async def sqlite_execute(sql: str, *args: Any) -> None:
        await database.run(lambda db: db.execute(sql, list(args)))

    yield SqliteNoticeStore(database), sqlite_execute
    await database.close()


@pytest.fixture
def templates(notice_kb: Path) -> Templates:
    return load_templates(notice_kb)


def customer(customer_id: str, **extra: str) -> dict[str, str]:
    return {
        "customer_id": customer_id,
        "name": f"Kim {customer_id}",
        "email": f"{customer_id.lower()}@example.com",
        "language": "en",
        "created_at": "2026-01-01",
        **extra,
    }


def order(
    order_id: str, customer_id: str, status: str, created: str = "2026-06-01"
) -> dict[str, str]:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "created_at": f"{created}T10:00:00Z",
        "status": status,
        "total": "10.00",
        "currency": "EUR",
        "carrier": "CTT" if status == "shipped" else "",
        "tracking_code": f"TRK-{order_id}" if status == "shipped" else "",
    }


async def test_a_customer_update_records_the_imported_marketing_opt_in(
    store: tuple[NoticeStore, Execute], templates: Templates
) -> None:
    notices, _ = store
    rows = [customer("K1", marketing_opt_in="yes"), customer("K2", marketing_opt_in="no")]
    await notices.apply_records("customers.csv", rows, NOW, templates)
    assert (await notices.consent("K1")).marketing_opt_in
    assert not (await notices.consent("K2")).marketing_opt_in
    # a later opt-out in chat is not overwritten by the next import saying yes again
    await notices.set_consent("K1", "marketing", "out", NOW, "chat", "stop")
    await notices.apply_records("customers.csv", rows[:1], NOW, templates)
    assert "marketing" in (await notices.consent("K1")).opted_out


async def test_shipping_owes_the_order_notice_and_the_watch_back_in_stock_its_watchers(
    store: tuple[NoticeStore, Execute], templates: Templates
) -> None:
    notices, _ = store
    await notices.apply_records("customers.csv", [customer("K1"), customer("K2")], NOW, templates)
    await notices.apply_records("orders.csv", [order("O1", "K1", "processing")], NOW, templates)
    product = {"sku": "TEA", "name": "Teapot", "category": "kitchen", "price": "9.90",
               "currency": "EUR", "description": "", "stock": "0"}  # fmt: skip
    await notices.apply_records("products.csv", [product], NOW, templates)
    await notices.watch("K1", "shipped", "O1", NOW)
    await notices.watch("K2", "back_in_stock", "TEA", NOW)
    assert (
        await notices.apply_records("orders.csv", [order("O1", "K1", "shipped")], NOW, templates)
        == 2
    )
    assert (
        await notices.apply_records("products.csv", [{**product, "stock": "3"}], NOW, templates)
        == 1
    )
    claimed = await notices.claim(NOW + timedelta(minutes=1), 10, timedelta(minutes=2))
    assert sorted((c.trigger, c.customer_id, c.subject) for c in claimed) == [
        ("order.shipped", "K1", "O1"),
        ("watch.back_in_stock", "K2", "TEA"),
        ("watch.shipped", "K1", "O1"),
    ]
    assert [c.values["tracking_code"] for c in claimed if c.subject == "O1"] == ["TRK-O1"] * 2
    # a claim is a lease: nobody else takes them until it runs out, then they come back
    assert await notices.claim(NOW + timedelta(minutes=2), 10, timedelta(minutes=2)) == []
    again = await notices.claim(NOW + timedelta(minutes=4), 10, timedelta(minutes=2))
    assert sorted(c.attempts for c in again) == [2, 2, 2]


async def test_an_answer_goes_on_the_latest_unanswered_notice_once(
    store: tuple[NoticeStore, Execute],
) -> None:
    notices, _ = store
    await notices.enqueue([Due("satisfaction.check", "K1", "O1", NOW)], NOW)
    [c] = await notices.claim(NOW, 10, timedelta(minutes=2))
    await notices.finish(c.notice_id, "sent", NOW, title="How was it?", body="b", channel="email")
    since = NOW - timedelta(days=14)
    assert await notices.answer("K1", "satisfaction.check", since, "2")
    assert not await notices.answer("K1", "satisfaction.check", since, "5")
    assert await notices.customer_of(c.notice_id) == "K1"
    assert await notices.take_unshown("K1", NOW) == [(c.notice_id, "How was it?", "b")]
    assert await notices.take_unshown("K1", NOW) == []
    assert await notices.first_signature("t=1,v1=ab", NOW)
    assert not await notices.first_signature("t=1,v1=ab", NOW + timedelta(minutes=1))
    assert await notices.first_signature("t=1,v1=ab", NOW + timedelta(minutes=11))


async def test_time_inputs_give_consumables_by_her_own_rhythm_and_saved_occasions(
    store: tuple[NoticeStore, Execute], templates: Templates
) -> None:
    notices, execute = store
    await notices.apply_records("customers.csv", [customer("K1")], NOW, templates)
    products = [
        {"sku": "TEA", "name": "Green tea", "category": "pantry", "price": "5", "currency": "EUR",
         "description": "", "stock": "9", "replenish_days": "30"},
        {"sku": "SOAP", "name": "Soap", "category": "bath", "price": "3", "currency": "EUR",
         "description": "", "stock": "9"},
        {"sku": "VASE", "name": "Vase", "category": "decor", "price": "30", "currency": "EUR",
         "description": "", "stock": "9"},
    ]  # fmt: skip
    await notices.apply_records("products.csv", products, NOW, templates)
    bought = {"TEA": [60, 40, 20], "SOAP": [100, 70, 40, 10], "VASE": [200, 20]}
    for sku, days in bought.items():
        for n, ago in enumerate(days):
            order_id = f"{sku}{n}"
            when = (NOW - timedelta(days=ago)).date().isoformat()
            await notices.apply_records(
                "orders.csv", [order(order_id, "K1", "delivered", when)], NOW, templates
            )
            await execute("INSERT INTO order_items VALUES (?, ?, 1, 1.0)", order_id, sku)
    await notices.apply_records(
        "orders.csv", [order("TEA9", "K1", "cancelled", "2026-06-14")], NOW, templates
    )
    await execute("INSERT INTO order_items VALUES (?, ?, 1, 1.0)", "TEA9", "TEA")
    await notices.watch("K1", "occasion", "03-12|my mother's birthday", NOW)
    _, found, saved = await notices.time_inputs(NOW)
    assert [(o.customer_id, o.label, o.month, o.day) for o in saved] == [
        ("K1", "my mother's birthday", 3, 12)
    ]
    assert sorted((r.sku, r.days, r.rhythm, r.bought.date().isoformat()) for r in found) == [
        ("SOAP", 30, True, "2026-06-05"),
        ("TEA", 20, True, "2026-05-26"),  # the cancelled order does not count
    ]


async def test_proactive_counts_are_kept_per_trigger_tier_and_stage(
    store: tuple[NoticeStore, Execute], templates: Templates
) -> None:
    notices, execute = store
    await notices.apply_records("customers.csv", [customer("K1"), customer("K2")], NOW, templates)
    await notices.enqueue(
        [Due("winback.offer", "K1", "2026H1", NOW), Due("winback.offer", "K2", "2026H1", NOW)], NOW
    )
    first, second = sorted(
        await notices.claim(NOW, 10, timedelta(minutes=2)), key=lambda c: c.customer_id
    )
    await notices.finish(first.notice_id, "sent", NOW, tier="top", stage="dissolution")
    await notices.finish(
        second.notice_id, "holdout", NOW, tier="high-potential", stage="dissolution"
    )
    # K1 orders 3 days after the notice, K2 (held out) 8 days after: outside the week
    for order_id, who, days in (("A", "K1", 3), ("B", "K2", 8)):
        when = (NOW + timedelta(days=days)).date().isoformat()
        await notices.apply_records(
            "orders.csv", [order(order_id, who, "processing", when)], NOW, templates
        )
    rows = await notices.proactive()
    assert [(r["tier"], r["stage"], r["sent"], r["holdout"], r["sent_ordered_7d"],
             r["holdout_ordered_7d"]) for r in rows] == [
        ("high-potential", "dissolution", 0, 1, 0, 0),
        ("top", "dissolution", 1, 0, 1, 0),
    ]  # fmt: skip
