"""The CustomerStore port on PostgreSQL answers as on SQLite: the same shop imported into
both, every read compared, then the same writes (requests, identity checks, goodwill) on
each with the same outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.postgres import PostgresCustomerStore, PostgresDatabase
from bot.adapters.postgres.copy import copy_sqlite_to_postgres
from bot.adapters.sqlite.customers import SqliteCustomerStore
from bot.adapters.sqlite.customers import migrations as customer_migrations
from bot.adapters.sqlite.database import SqliteDatabase
from bot.core.customers import AttemptCounts, ServiceRequest, Transaction
from bot.ports import CustomerStore
from tests.shop.factory import NOW, make_shop_db

pytestmark = pytest.mark.postgres


@pytest.fixture
def shop_copies(tmp_path: Path, pg_url: str) -> tuple[Path, str]:
    """The fixture shop imported into a SQLite file and copied to a new PostgreSQL database."""
    path = make_shop_db(tmp_path / "shop.sqlite3")
    copy_sqlite_to_postgres(path, pg_url)
    return path, pg_url


@pytest.fixture
async def both(shop_copies: tuple[Path, str]) -> AsyncIterator[list[CustomerStore]]:
    path, url = shop_copies
    sqlite = await SqliteDatabase(path, (customer_migrations,)).open()
    pg = await PostgresDatabase(url).open()
    yield [SqliteCustomerStore(sqlite), PostgresCustomerStore(pg)]
    await sqlite.close()
    await pg.close()


async def reads(store: CustomerStore) -> dict[str, Any]:
    return {
        "customers": [await store.customer(c) for c in ("C1", "C2", "C9")],
        "by email": [await store.customer_by_email(e) for e in (" JOAO@example.com", "x@y")],
        "orders": [await store.order(o) for o in ("100001", "nope")],
        "orders of": await store.orders_of("C1", limit=2),
        "items": await store.items_of(["100002", "100001", "none"]),
        "no items": await store.items_of([]),
        "products": await store.products(),
        "some products": await store.products(["TEA-STR", "CUP-SET", "none"]),
        "transactions": await store.transactions_of("C1"),
        "of an order": await store.transactions_of("C1", "100002"),
        "summary": [await store.purchase_summary(c) for c in ("C2", "C9")],
        "summaries": await store.purchase_summaries(),
        "best sellers": await store.best_sellers(limit=3),
        "together": await store.bought_together(["TEA-BAS", "CUP-SET", "NONE"]),
        "none together": await store.bought_together([]),
    }


async def test_every_read_answers_as_on_sqlite(both: list[CustomerStore]) -> None:
    sqlite, postgres = [await reads(store) for store in both]
    assert sqlite["together"]["TEA-BAS"] == {"CUP-SET": 2, "TEA-STR": 1, "TRV-CRK": 1}
    assert [o.order_id for o in sqlite["orders of"]] == ["100001", "100002"]
    assert postgres == sqlite


async def test_every_write_answers_as_on_sqlite(both: list[CustomerStore]) -> None:
    since = NOW - timedelta(hours=24)
    outcomes = []
    for store in both:
        first = await store.record_request(ServiceRequest("", "return", "100002", "C1", NOW))
        again = await store.record_request(ServiceRequest("R-2", "return", "100002", "C1", NOW))
        await store.record_attempt("a", "100001", False, NOW - timedelta(hours=30))
        await store.record_attempt("a", "100001", False, NOW)
        await store.record_attempt("b", "100001", True, NOW)
        counted = await store.attempt_counts("a", "100001", since)
        reserved, attempt = await store.reserve_attempt("c", "100001", NOW, since, (3, 3))
        assert attempt is not None
        await store.settle_attempt(attempt, True)
        settled = await store.attempt_counts("c", "100001", since)
        _, refused = await store.reserve_attempt("a", "100001", NOW, since, (2, 9))
        grant = Transaction("GW-1", "C1", "100001", NOW, "refund", Decimal("20.00"), "EUR",
                            "settled", "goodwill: late")  # fmt: skip
        granted = await store.record_goodwill(grant, limit=Decimal(30), since=since)
        over = await store.record_goodwill(
            replace(grant, transaction_id="GW-2"), limit=Decimal(30), since=since
        )
        recorded = await store.transactions_of("C1", "100001")
        outcomes.append(
            (first.request_id.startswith("R-"), again == first, counted, reserved, settled,
             refused, granted, over, recorded)
        )  # fmt: skip
    assert outcomes[0][:8] == (
        True, True, AttemptCounts(2, 1), AttemptCounts(0, 1), AttemptCounts(0, 1), None,
        Decimal("20.00"), None,
    )  # fmt: skip
    assert outcomes[1] == outcomes[0]
