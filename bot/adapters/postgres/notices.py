"""PostgresNoticeStore: the notices table shared by several processes.

The same rows and the same SQL as SQLite's (bot/adapters/sqlite/notices.py, numbered for
asyncpg). A scan's claim is one `UPDATE ... WHERE notice_id IN (SELECT ... FOR UPDATE SKIP
LOCKED) RETURNING`: of any number of processes scanning at once, each due row goes to
exactly one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bot.adapters.customer_rows import customer_values, order_values, product_values
from bot.adapters.customer_rows import numbered as _numbered
from bot.adapters.postgres.database import PostgresDatabase
from bot.adapters.shop_csv import Known, ShopData, read_records
from bot.adapters.sqlite.customers import _iso, _order
from bot.adapters.sqlite.notices import (
    ADDRESSEES,
    ADDRESSEES_CONSENT,
    ADDRESSEES_SENT,
    ANSWER,
    CLAIM,
    CONSENT,
    COUNTS,
    CUSTOMER_OF,
    ENQUEUE,
    FINISH,
    FORGET_SIGNATURES,
    IMPORTED_OPT_IN,
    LATE,
    OCCASIONS,
    POSTPONE,
    PROACTIVE,
    REPURCHASES,
    SEE_SIGNATURE,
    SET_CONSENT,
    SHOP_WATCHES,
    WATCH,
    addressees,
    claimed,
    consent_state,
    due_row,
    imported_opt_ins,
    occasions,
    proactive_rows,
    purchase,
    take_unshown_sql,
)
from bot.core.customers import Order
from bot.core.notices import (
    Addressee,
    ClaimedNotice,
    ConsentState,
    Due,
    NoticeCounts,
    Occasion,
    Repurchase,
    repurchases,
    shop_changes,
)
from bot.core.privacy import suppression_key
from bot.knowledge.notices import Templates

LOCK = {"lock": " FOR UPDATE SKIP LOCKED"}
IDS = "SELECT json_array_elements_text(?::json)"
REPLENISH = "(p.extra::json ->> 'replenish_days')::integer"
PLUS_7D = (
    "CASE WHEN sent_at = '' THEN '' ELSE to_char((sent_at::timestamptz + interval '7 days')"
    " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') END"
)
_ENQUEUE = _numbered(ENQUEUE) + " RETURNING notice_id"
_UPSERT_ORDER = (
    "INSERT INTO orders VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    " ON CONFLICT (order_id) DO UPDATE SET customer_id = $2, created_at = $3,"
    " status = $4, total = $5, currency = $6, carrier = $7, tracking_code = $8,"
    " estimated_delivery = $9, extra = $10"
)
_UPSERT_PRODUCT = (
    "INSERT INTO products VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (sku) DO UPDATE SET name = $2, category = $3, price = $4,"
    " currency = $5, description = $6, stock = $7, extra = $8"
)
_UPSERT_CUSTOMER = (
    "INSERT INTO customers VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    " ON CONFLICT (customer_id) DO UPDATE SET name = $2, email = $3, phone = $4,"
    " language = $5, postcode = $6, created_at = $7, account_manager = $8, extra = $9"
)


async def _enqueue(conn: asyncpg.Connection, due: Sequence[Due], now: datetime) -> int:
    new = 0
    for d in due:
        new += await conn.fetchrow(_ENQUEUE, *due_row(d, now)) is not None
    return new


class PostgresNoticeStore:
    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def apply_records(
        self, file: str, records: list[dict[str, str]], now: datetime, templates: Templates
    ) -> int:
        async with self.database.transaction() as conn:
            customers = {r[0] for r in await conn.fetch("SELECT customer_id FROM customers")}
            data = read_records(file, records, Known(customers=customers))
            return await self._apply(conn, data, now, templates)

    async def _apply(
        self, conn: asyncpg.Connection, data: ShopData, now: datetime, templates: Templates
    ) -> int:
        ids = [o.order_id for o in data.orders]
        statuses = dict(
            await conn.fetch(
                "SELECT order_id, status FROM orders WHERE order_id = ANY($1) FOR UPDATE", ids
            )
        )
        skus = [p.sku for p in data.products]
        stock = dict(
            await conn.fetch("SELECT sku, stock FROM products WHERE sku = ANY($1) FOR UPDATE", skus)
        )
        watches = [tuple(w) for w in await conn.fetch(SHOP_WATCHES)]
        await conn.executemany(_UPSERT_ORDER, [order_values(o) for o in data.orders])
        await conn.executemany(_UPSERT_PRODUCT, [product_values(p) for p in data.products])
        await conn.executemany(_UPSERT_CUSTOMER, [customer_values(c) for c in data.customers])
        await conn.executemany(
            _numbered(IMPORTED_OPT_IN),
            [(c, _iso(now), suppression_key(c)) for c in imported_opt_ins(data)],
        )
        due = shop_changes(statuses, stock, watches, data.orders, data.products, now, templates)
        return await _enqueue(conn, due, now)

    async def enqueue(self, due: Sequence[Due], now: datetime) -> int:
        async with self.database.transaction() as conn:
            return await _enqueue(conn, due, now)

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[ClaimedNotice]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                _numbered(CLAIM.format(**LOCK)), _iso(now + lease), _iso(now), _iso(now), limit
            )
        return [claimed(r) for r in rows]

    async def _execute(self, sql: str, *args: Any) -> None:
        async with self.database.connection() as conn:
            await conn.execute(_numbered(sql), *args)

    async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.database.connection() as conn:
            return list(await conn.fetch(_numbered(sql), *args))

    async def finish(
        self,
        notice_id: int,
        status: str,
        now: datetime,
        *,
        reason: str = "",
        title: str = "",
        body: str = "",
        channel: str = "",
        tier: str = "",
        stage: str = "",
    ) -> None:
        await self._execute(
            FINISH, status, reason, title, body, channel, _iso(now), tier, stage, notice_id
        )

    async def postpone(self, notice_id: int, until: datetime, reason: str) -> None:
        await self._execute(POSTPONE, _iso(until), reason, notice_id)

    async def addressees(
        self, customer_ids: Sequence[str], since: datetime
    ) -> dict[str, Addressee]:
        ids = json.dumps(list(customer_ids))
        async with self.database.connection() as conn:
            return addressees(
                await conn.fetch(_numbered(ADDRESSEES.format(ids=IDS)), ids),
                await conn.fetch(_numbered(ADDRESSEES_CONSENT.format(ids=IDS)), ids),
                await conn.fetch(_numbered(ADDRESSEES_SENT.format(ids=IDS)), ids, _iso(since)),
            )

    async def consent(self, customer_id: str) -> ConsentState:
        return consent_state(await self._fetch(CONSENT, customer_id))

    async def set_consent(
        self, customer_id: str, scope: str, state: str, now: datetime, source: str, wording: str
    ) -> None:
        await self._execute(SET_CONSENT, customer_id, scope, state, _iso(now), source, wording)

    async def watch(self, customer_id: str, kind: str, subject: str, now: datetime) -> None:
        await self._execute(WATCH, customer_id, kind, subject, _iso(now))

    async def take_unshown(
        self, customer_id: str, now: datetime, notice_id: int | None = None
    ) -> list[tuple[int, str, str]]:
        args: list[Any] = [_iso(now), customer_id]
        if notice_id is not None:
            args.append(notice_id)
        async with self.database.connection() as conn:
            rows = await conn.fetch(_numbered(take_unshown_sql(notice_id is not None)), *args)
        return [(int(r[0]), r[1], r[2]) for r in sorted(rows, key=lambda r: (r[3], r[0]))]

    async def first_signature(self, signature: str, now: datetime) -> bool:
        async with self.database.transaction() as conn:
            await conn.execute(_numbered(FORGET_SIGNATURES), _iso(now - timedelta(minutes=10)))
            seen = await conn.execute(_numbered(SEE_SIGNATURE), signature, _iso(now))
        return bool(seen == "INSERT 0 1")

    async def counts(self) -> list[NoticeCounts]:
        return [NoticeCounts(r[0], r[1], int(r[2])) for r in await self._fetch(COUNTS)]

    async def customer_of(self, notice_id: int) -> str | None:
        rows = await self._fetch(CUSTOMER_OF, notice_id)
        return str(rows[0][0]) if rows else None

    async def time_inputs(
        self, now: datetime
    ) -> tuple[list[Order], list[Repurchase], list[Occasion]]:
        async with self.database.connection() as conn:
            late = [_order(r) for r in await conn.fetch(_numbered(LATE), _iso(now))]
            found = await conn.fetch(REPURCHASES.format(replenish=REPLENISH))
            watches = await conn.fetch(OCCASIONS)
        return late, repurchases(map(purchase, found)), occasions(watches)

    async def proactive(self) -> list[dict[str, Any]]:
        return proactive_rows(await self._fetch(PROACTIVE.format(plus_7d=PLUS_7D)))

    async def answer(self, customer_id: str, trigger: str, since: datetime, value: str) -> bool:
        rows = await self._fetch(
            ANSWER.format(**LOCK), f"answer:{value}", customer_id, trigger, _iso(since)
        )
        return bool(rows)
