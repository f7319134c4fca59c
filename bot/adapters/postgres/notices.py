"""PostgresNoticeStore: the notices table shared by several processes.

The same rows as SQLite's (bot/adapters/sqlite/notices.py). A scan's claim is one
`UPDATE ... WHERE notice_id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`: of any
number of processes scanning at once, each due row goes to exactly one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bot.adapters.customer_rows import numbered as _numbered
from bot.adapters.postgres.database import PostgresDatabase
from bot.adapters.shop_csv import Known, ShopData, read_records
from bot.adapters.sqlite.customers import _ORDER, _iso, _order
from bot.adapters.sqlite.notices import IMPORTED_OPT_IN, opted_in, take_unshown_sql
from bot.core.customers import Order
from bot.core.notices import (
    ClaimedNotice,
    ConsentState,
    Due,
    NoticeCounts,
    Occasion,
    Repurchase,
    order_changes,
    stock_changes,
)
from bot.core.privacy import suppression_key
from bot.knowledge.notices import Templates

PROACTIVE = """
SELECT n.trigger,
  SUM(CASE WHEN n.status = 'sent' THEN 1 ELSE 0 END),
  SUM(CASE WHEN n.status = 'sent' AND n.shown_at != '' THEN 1 ELSE 0 END),
  SUM(CASE WHEN n.status = 'holdout' THEN 1 ELSE 0 END),
  SUM(CASE WHEN n.status = 'suppressed' THEN 1 ELSE 0 END),
  SUM(CASE WHEN n.status = 'sent' AND EXISTS (
        SELECT 1 FROM notice_consent c WHERE c.customer_id = n.customer_id
        AND c.state = 'out' AND c.at >= n.sent_at) THEN 1 ELSE 0 END),
  SUM(CASE WHEN n.status = 'sent' AND EXISTS (
        SELECT 1 FROM orders o WHERE o.customer_id = n.customer_id
        AND o.created_at > n.sent_at AND o.created_at <= n.sent_at_7d) THEN 1 ELSE 0 END),
  SUM(CASE WHEN n.status = 'holdout' AND EXISTS (
        SELECT 1 FROM orders o WHERE o.customer_id = n.customer_id
        AND o.created_at > n.sent_at AND o.created_at <= n.sent_at_7d) THEN 1 ELSE 0 END)
FROM (SELECT *, CASE WHEN sent_at = '' THEN '' ELSE to_char((sent_at::timestamptz + interval '7 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') END AS sent_at_7d FROM notices) n
GROUP BY n.trigger ORDER BY n.trigger
"""


_ENQUEUE = (
    "INSERT INTO notices (trigger, customer_id, subject, due_at, created_at, fields)"
    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING notice_id"
)


async def _enqueue(conn: asyncpg.Connection, due: Sequence[Due], now: datetime) -> int:
    new = 0
    for d in due:
        row = await conn.fetchrow(
            _ENQUEUE,
            d.trigger,
            d.customer_id,
            d.subject,
            _iso(d.due_at),
            _iso(now),
            json.dumps(dict(d.values), ensure_ascii=False),
        )
        new += row is not None
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
        watches = await conn.fetch("SELECT customer_id, kind, subject FROM notice_watches")
        watchers: dict[str, list[str]] = {}
        for w in watches:
            if w["kind"] == "back_in_stock":
                watchers.setdefault(w["subject"], []).append(w["customer_id"])
        shipping = {w["subject"] for w in watches if w["kind"] == "shipped"}
        for o in data.orders:
            await conn.execute(
                "INSERT INTO orders VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                " ON CONFLICT (order_id) DO UPDATE SET customer_id = $2, created_at = $3,"
                " status = $4, total = $5, currency = $6, carrier = $7, tracking_code = $8,"
                " estimated_delivery = $9, extra = $10",
                o.order_id,
                o.customer_id,
                _iso(o.created_at),
                o.status,
                float(o.total),
                o.currency,
                o.carrier,
                o.tracking_code,
                _iso(o.estimated_delivery) if o.estimated_delivery else "",
                json.dumps(dict(o.extra), ensure_ascii=False),
            )
        for p in data.products:
            await conn.execute(
                "INSERT INTO products VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                " ON CONFLICT (sku) DO UPDATE SET name = $2, category = $3, price = $4,"
                " currency = $5, description = $6, stock = $7, extra = $8",
                p.sku,
                p.name,
                p.category,
                float(p.price),
                p.currency,
                p.description,
                p.stock,
                json.dumps(dict(p.extra), ensure_ascii=False),
            )
        for c in data.customers:
            await conn.execute(
                "INSERT INTO customers VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                " ON CONFLICT (customer_id) DO UPDATE SET name = $2, email = $3, phone = $4,"
                " language = $5, postcode = $6, created_at = $7, account_manager = $8,"
                " extra = $9",
                c.customer_id,
                c.name,
                c.email,
                c.phone,
                c.language,
                c.postcode,
                _iso(c.created_at) if c.created_at else "",
                c.account_manager,
                json.dumps(dict(c.extra), ensure_ascii=False),
            )
            if opted_in(c):
                await conn.execute(
                    _numbered(IMPORTED_OPT_IN),
                    c.customer_id,
                    _iso(now),
                    suppression_key(c.customer_id),
                )
        due = order_changes(statuses, data.orders, now, templates)
        due += stock_changes(stock, data.products, watchers, now)
        due += [
            Due("watch.shipped", d.customer_id, d.subject, d.due_at, d.values)
            for d in due
            if d.trigger == "order.shipped" and d.subject in shipping
        ]
        return await _enqueue(conn, due, now)

    async def enqueue(self, due: Sequence[Due], now: datetime) -> int:
        async with self.database.transaction() as conn:
            return await _enqueue(conn, due, now)

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[ClaimedNotice]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                "UPDATE notices SET status = 'sending', claimed_until = $3,"
                " attempts = attempts + 1 WHERE notice_id IN ("
                " SELECT notice_id FROM notices WHERE (status = 'due' AND due_at <= $1)"
                " OR (status = 'sending' AND claimed_until <= $1)"
                " ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
                " RETURNING notice_id, trigger, customer_id, subject, fields, attempts",
                _iso(now),
                limit,
                _iso(now + lease),
            )
        return [
            ClaimedNotice(
                r["notice_id"],
                r["trigger"],
                r["customer_id"],
                r["subject"],
                json.loads(r["fields"]),
                r["attempts"],
            )
            for r in rows
        ]

    async def _execute(self, sql: str, *args: Any) -> None:
        async with self.database.connection() as conn:
            await conn.execute(sql, *args)

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
    ) -> None:
        await self._execute(
            "UPDATE notices SET status = $1, reason = $2, title = $3, body = $4, channel = $5,"
            " sent_at = $6 WHERE notice_id = $7",
            status,
            reason,
            title,
            body,
            channel,
            _iso(now),
            notice_id,
        )

    async def postpone(self, notice_id: int, until: datetime, reason: str) -> None:
        await self._execute(
            "UPDATE notices SET status = 'due', due_at = $1, reason = $2, claimed_until = ''"
            " WHERE notice_id = $3",
            _iso(until),
            reason,
            notice_id,
        )

    async def sent_since(self, customer_id: str, since: datetime) -> int:
        async with self.database.connection() as conn:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM notices WHERE customer_id = $1 AND status = 'sent'"
                    " AND sent_at >= $2",
                    customer_id,
                    _iso(since),
                )
            )

    async def consent(self, customer_id: str) -> ConsentState:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                "SELECT scope, state FROM notice_consent WHERE customer_id = $1", customer_id
            )
        return ConsentState(
            opted_out=frozenset(r["scope"] for r in rows if r["state"] == "out"),
            marketing_opt_in=any(r["scope"] == "marketing" and r["state"] == "in" for r in rows),
        )

    async def set_consent(
        self, customer_id: str, scope: str, state: str, now: datetime, source: str, wording: str
    ) -> None:
        await self._execute(
            "INSERT INTO notice_consent VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (customer_id, scope) DO UPDATE SET state = $3, at = $4, source = $5,"
            " wording = $6",
            customer_id,
            scope,
            state,
            _iso(now),
            source,
            wording,
        )

    async def watch(self, customer_id: str, kind: str, subject: str, now: datetime) -> None:
        await self._execute(
            "INSERT INTO notice_watches VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            customer_id,
            kind,
            subject,
            _iso(now),
        )

    async def unshown(self, customer_id: str) -> list[tuple[int, str, str]]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                "SELECT notice_id, title, body FROM notices WHERE customer_id = $1"
                " AND status = 'sent' AND shown_at = '' ORDER BY sent_at",
                customer_id,
            )
        return [(int(r[0]), r[1], r[2]) for r in rows]

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
            await conn.execute(
                "DELETE FROM webhook_seen WHERE at < $1", _iso(now - timedelta(minutes=10))
            )
            row = await conn.fetchrow(
                "INSERT INTO webhook_seen VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING at",
                signature,
                _iso(now),
            )
        return row is not None

    async def counts(self) -> list[NoticeCounts]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                "SELECT trigger, status, count(*) FROM notices GROUP BY trigger, status"
                " ORDER BY trigger, status"
            )
        return [NoticeCounts(r[0], r[1], int(r[2])) for r in rows]

    async def customer_of(self, notice_id: int) -> str | None:
        async with self.database.connection() as conn:
            value = await conn.fetchval(
                "SELECT customer_id FROM notices WHERE notice_id = $1", notice_id
            )
        return str(value) if value is not None else None

    async def time_inputs(
        self, now: datetime
    ) -> tuple[list[Order], list[Repurchase], list[Occasion]]:
        async with self.database.connection() as conn:
            late = [
                _order(r)
                for r in await conn.fetch(
                    _ORDER + " WHERE status IN ('processing', 'shipped')"
                    " AND estimated_delivery != '' AND estimated_delivery < $1",
                    _iso(now),
                )
            ]
            rows = await conn.fetch(
                "SELECT o.customer_id, i.sku, p.name, max(o.created_at),"
                " (p.extra::json ->> 'replenish_days')::integer"
                " FROM order_items i JOIN orders o ON o.order_id = i.order_id"
                " JOIN products p ON p.sku = i.sku"
                " WHERE p.extra::json ->> 'replenish_days' IS NOT NULL"
                " AND o.status NOT IN ('cancelled', 'returned')"
                " GROUP BY o.customer_id, i.sku, p.name, p.extra"
            )
            watches = await conn.fetch(
                "SELECT customer_id, subject FROM notice_watches WHERE kind = 'occasion'"
            )
        repurchases = [
            Repurchase(r[0], r[1], r[2], datetime.fromisoformat(r[3]).astimezone(UTC), int(r[4]))
            for r in rows
            if r[4]
        ]
        occasions = []
        for customer_id, subject in watches:
            date, _, label = subject.partition("|")
            month, _, day = date.partition("-")
            occasions.append(Occasion(customer_id, label, int(month), int(day)))
        return late, repurchases, occasions

    async def proactive(self) -> list[dict[str, Any]]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(PROACTIVE)
        names = ["trigger", "sent", "shown", "holdout", "suppressed", "unsubscribed",
                 "sent_ordered_7d", "holdout_ordered_7d"]  # fmt: skip
        return [dict(zip(names, (r[0], *(int(v or 0) for v in r[1:])), strict=True)) for r in rows]

    async def answer(self, customer_id: str, trigger: str, since: datetime, value: str) -> bool:
        async with self.database.connection() as conn:
            row = await conn.fetchrow(
                "UPDATE notices SET reason = $4 WHERE notice_id = (SELECT notice_id FROM notices"
                " WHERE customer_id = $1 AND trigger = $2 AND status = 'sent' AND sent_at >= $3"
                " AND reason NOT LIKE 'answer:%' ORDER BY sent_at DESC LIMIT 1"
                " FOR UPDATE SKIP LOCKED) RETURNING notice_id",
                customer_id,
                trigger,
                _iso(since),
                f"answer:{value}",
            )
        return row is not None
