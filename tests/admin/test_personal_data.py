"""Completeness of forget, on both real schemas (SQLite and PostgreSQL): every column whose
name looks like a customer's data (customer, email, phone, conversation, author, voter...)
is reached by forget's rules or named as not personal (bot/adapters/personal_data.py). A
table added later with such a column and no rule fails here.
"""

from __future__ import annotations

import time

import asyncpg
from aiohttp.test_utils import TestClient

from bot.adapters.personal_data import EXPLICIT, NOT_PERSONAL, unreached
from bot.adapters.postgres.audit import schema as postgres_schema
from bot.adapters.sqlite.audit import schema as sqlite_schema
from bot.app import DATABASE
from channels.keys import PRIVACY, SETTINGS
from tests.admin.test_privacy_parity import shop as shop
from tests.support.stores import execute, rows


async def columns(client: TestClient) -> dict[str, set[str]]:
    url = client.app[SETTINGS].database
    if not url:
        return await client.app[DATABASE].run(sqlite_schema)
    conn = await asyncpg.connect(url)
    try:
        return await postgres_schema(conn)
    finally:
        await conn.close()


async def test_every_column_that_looks_personal_is_reached_by_forget(shop: TestClient) -> None:
    schema = await columns(shop)
    assert unreached(schema) == []
    # the named exceptions are real columns, not names left behind by a rename
    named = {*EXPLICIT, *NOT_PERSONAL}
    missing = sorted(f"{t}.{c}" for t, c in named if c not in schema.get(t, set()))
    only_on_the_other = (
        ["community_fts.body", "community_fts.title"]  # FTS5: SQLite only
        if shop.app[SETTINGS].database
        else ["balcao_migrations.name"]  # PostgreSQL's own bookkeeping
    )
    assert missing == only_on_the_other


async def test_a_new_table_with_a_customers_email_and_no_rule_is_caught(shop: TestClient) -> None:
    await execute(shop.app, "CREATE TABLE wishlists (email TEXT, sku TEXT, note TEXT)")
    assert unreached(await columns(shop)) == ["wishlists.email"]


async def test_a_new_table_keyed_by_customer_id_is_exported_and_forgotten_unasked(
    shop: TestClient,
) -> None:
    await execute(shop.app, "CREATE TABLE loyalty_cards (customer_id TEXT, card TEXT)")
    for cid, card in (("C1", "LC-111"), ("C2", "LC-222")):
        await execute(shop.app, "INSERT INTO loyalty_cards VALUES (?, ?)", cid, card)
    assert unreached(await columns(shop)) == []
    document = await shop.app[PRIVACY].export("C1", actor="dpo", now=time.time())
    assert document["tables"]["loyalty_cards"] == [{"customer_id": "C1", "card": "LC-111"}]
    erased = await shop.app[PRIVACY].forget("C1", actor="dpo", now=time.time())
    assert erased.counts["loyalty_cards"] == 1
    assert await rows(shop.app, "SELECT card FROM loyalty_cards") == [("LC-222",)]
