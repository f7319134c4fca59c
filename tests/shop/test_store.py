"""SqliteCustomerStore on a real file: reads, summaries, co-purchases, requests and attempts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.adapters.sqlite.customers import SqliteCustomerStore
from bot.adapters.sqlite.customers import migrations as customer_migrations
from bot.adapters.sqlite.database import SqliteDatabase
from bot.core.customers import AttemptCounts, ServiceRequest
from tests.shop.factory import NOW


@pytest.fixture
async def store(shop_db: Path) -> AsyncIterator[SqliteCustomerStore]:
    database = await SqliteDatabase(shop_db, (customer_migrations,)).open()
    yield SqliteCustomerStore(database)
    await database.close()


async def test_reads_values_with_types(store: SqliteCustomerStore) -> None:
    order = await store.order("100001")
    customer = await store.customer("C2")

    assert order is not None and order.total == Decimal("46.90")
    assert order.estimated_delivery is not None and order.estimated_delivery.day == 17
    assert customer is not None and customer.name == "João Silva"
    assert customer.extra == {"country": "PT"}
    assert await store.order("nope") is None


async def test_purchase_summary_leaves_out_cancelled_orders(store: SqliteCustomerStore) -> None:
    joao = await store.purchase_summary("C2")

    assert joao is not None and joao.orders == 1 and joao.monetary == Decimal("64.90")
    assert await store.purchase_summary("C9") is None
    assert len(await store.purchase_summaries()) == 4


async def test_bought_together_and_best_sellers(store: SqliteCustomerStore) -> None:
    together = await store.bought_together(["TEA-BAS"])

    assert together["TEA-BAS"] == {"CUP-SET": 2, "TEA-STR": 1, "TRV-CRK": 1}
    assert (await store.best_sellers(limit=2)) == ["CUP-SET", "TEA-BAS"]


async def test_one_open_request_per_order(store: SqliteCustomerStore) -> None:
    first = await store.record_request(ServiceRequest("R-1", "return", "100002", "C1", NOW))
    second = await store.record_request(ServiceRequest("R-2", "return", "100002", "C1", NOW))

    assert first.request_id == second.request_id == "R-1"


async def test_attempt_counts_by_conversation_and_recent_order_failures(
    store: SqliteCustomerStore,
) -> None:
    await store.record_attempt("a", "100001", False, NOW - timedelta(hours=30))
    await store.record_attempt("a", "100001", False, NOW)
    await store.record_attempt("b", "100001", True, NOW)

    counts = await store.attempt_counts("a", "100001", NOW - timedelta(hours=24))

    assert counts == AttemptCounts(conversation_failures=2, order_failures=1)
