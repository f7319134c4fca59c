"""SqliteNoticeStore: notices owed, claimed, sent; consent; seen webhook signatures.

One row per (trigger, customer_id, subject) in `notices`: the UNIQUE constraint is what
makes a notice exactly once, whether the change came from an import, the webhook or
both, and however many processes scan. A scan claims due rows with a lease
(`status = 'sending'`) in one write transaction, so two scanners never take the same
row; a row whose lease ran out (its process died mid-send) is taken again.

`apply_shop` is the import's and the webhook's one write: the shop rows, and the
notices their changes owe, in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.adapters.shop_csv import ShopData, read_records
from bot.adapters.sqlite.customers import _ORDER, _order, known_ids, write_shop
from bot.adapters.sqlite.database import DatabaseRunner
from bot.core.customers import Customer, Order
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

migrations = Migrations("notices")


@migrations()
def m001_notices(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE notices (
            notice_id INTEGER PRIMARY KEY,
            trigger TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            subject TEXT NOT NULL,
            due_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'due',
            reason TEXT NOT NULL DEFAULT '',
            claimed_until TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            fields TEXT NOT NULL DEFAULT '{}',
            title TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL DEFAULT '',
            channel TEXT NOT NULL DEFAULT '',
            sent_at TEXT NOT NULL DEFAULT '',
            shown_at TEXT NOT NULL DEFAULT '',
            UNIQUE (trigger, customer_id, subject)
        );
        CREATE INDEX notices_due ON notices (status, due_at);
        CREATE INDEX notices_customer ON notices (customer_id, status);
        CREATE TABLE notice_consent (
            customer_id TEXT NOT NULL,
            scope TEXT NOT NULL,
            state TEXT NOT NULL,
            at TEXT NOT NULL,
            source TEXT NOT NULL,
            wording TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (customer_id, scope)
        );
        CREATE TABLE notice_watches (
            customer_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (customer_id, kind, subject)
        );
        CREATE TABLE webhook_seen (signature TEXT PRIMARY KEY, at TEXT NOT NULL);
        """
    )


@migrations()
def m002_suppressions(db: sqlite_utils.Database) -> None:
    """Forgotten customers, as hashes: an import does not record their consent again."""
    db.execute(
        "CREATE TABLE notice_suppressions (customer_hash TEXT PRIMARY KEY, at REAL NOT NULL)"
    )


# an import's marketing opt-in (customers.csv `marketing_opt_in`), never over an earlier
# choice and never for a forgotten customer; shared with the PostgreSQL store
IMPORTED_OPT_IN = (
    "INSERT INTO notice_consent (customer_id, scope, state, at, source, wording)"
    " SELECT ?, 'marketing', 'in', ?, 'import', 'customers.csv marketing_opt_in'"
    " WHERE NOT EXISTS (SELECT 1 FROM notice_suppressions WHERE customer_hash = ?)"
    " ON CONFLICT DO NOTHING"
)


def opted_in(customer: Customer) -> bool:
    return customer.extra.get("marketing_opt_in", "").strip().lower() in ("1", "true", "yes", "y")


# the same SQL on SQLite and PostgreSQL (ISO text instants compare as text)
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
FROM (SELECT *, strftime('%Y-%m-%dT%H:%M:%S', sent_at, '+7 days') AS sent_at_7d FROM notices) n
GROUP BY n.trigger ORDER BY n.trigger
"""


def take_unshown_sql(one: bool) -> str:
    """Mark a customer's sent notices that no widget showed yet (or the one notice) as shown,
    returning them: one statement, so that of two sockets (or processes) only one gets each.
    `?` placeholders; the PostgreSQL store numbers them."""
    return (
        "UPDATE notices SET shown_at = ? WHERE customer_id = ? AND status = 'sent'"
        " AND shown_at = ''"
        + (" AND notice_id = ?" if one else "")
        + " RETURNING notice_id, title, body, sent_at"
    )


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def enqueue(db: sqlite_utils.Database, due: Sequence[Due], now: datetime) -> int:
    """Insert the notices not already owed; how many were new."""
    before = db.conn.total_changes
    db.conn.executemany(
        "INSERT OR IGNORE INTO notices (trigger, customer_id, subject, due_at, created_at, fields)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                d.trigger,
                d.customer_id,
                d.subject,
                _iso(d.due_at),
                _iso(now),
                json.dumps(dict(d.values), ensure_ascii=False),
            )
            for d in due
        ],
    )
    return db.conn.total_changes - before


def apply_shop(
    db: sqlite_utils.Database, data: ShopData, now: datetime, templates: Templates
) -> int:
    """Write the shop rows and the notices their changes owe, in one transaction."""
    with db.atomic():
        statuses = _column(
            db,
            "SELECT order_id, status FROM orders WHERE order_id IN",
            [o.order_id for o in data.orders],
        )
        stock = _column(
            db, "SELECT sku, stock FROM products WHERE sku IN", [p.sku for p in data.products]
        )
        watchers: dict[str, list[str]] = {}
        for customer_id, sku in db.execute(
            "SELECT customer_id, subject FROM notice_watches WHERE kind = 'back_in_stock'"
        ).fetchall():
            watchers.setdefault(sku, []).append(customer_id)
        shipping = {
            row[1]: row[0]
            for row in db.execute(
                "SELECT customer_id, subject FROM notice_watches WHERE kind = 'shipped'"
            ).fetchall()
        }
        write_shop(db, data)
        for c in data.customers:
            if opted_in(c):
                db.execute(
                    IMPORTED_OPT_IN, [c.customer_id, _iso(now), suppression_key(c.customer_id)]
                )
        due = order_changes(statuses, data.orders, now, templates)
        due += stock_changes(stock, data.products, watchers, now)
        due += [
            Due("watch.shipped", d.customer_id, d.subject, d.due_at, d.values)
            for d in due
            if d.trigger == "order.shipped" and d.subject in shipping
        ]
        return enqueue(db, due, now)


def _column(db: sqlite_utils.Database, sql: str, keys: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        out.update(db.execute(f"{sql} ({marks})", chunk).fetchall())
    return out


class SqliteNoticeStore:
    def __init__(self, database: DatabaseRunner) -> None:
        self.database = database

    async def apply_shop(self, data: ShopData, now: datetime, templates: Templates) -> int:
        return await self.database.run(lambda db: apply_shop(db, data, now, templates))

    async def apply_records(
        self, file: str, records: list[dict[str, str]], now: datetime, templates: Templates
    ) -> int:
        def write(db: sqlite_utils.Database) -> int:
            data = read_records(file, records, known_ids(db))
            return apply_shop(db, data, now, templates)

        return await self.database.run(write)

    async def enqueue(self, due: Sequence[Due], now: datetime) -> int:
        def write(db: sqlite_utils.Database) -> int:
            with db.atomic():
                return enqueue(db, due, now)

        return await self.database.run(write)

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[ClaimedNotice]:
        def write(db: sqlite_utils.Database) -> list[ClaimedNotice]:
            with db.atomic():
                rows = db.execute(
                    "SELECT notice_id, trigger, customer_id, subject, fields, attempts FROM notices"
                    " WHERE (status = 'due' AND due_at <= ?)"
                    " OR (status = 'sending' AND claimed_until <= ?)"
                    " ORDER BY due_at LIMIT ?",
                    [_iso(now), _iso(now), limit],
                ).fetchall()
                db.conn.executemany(
                    "UPDATE notices SET status = 'sending', claimed_until = ?,"
                    " attempts = attempts + 1 WHERE notice_id = ?",
                    [(_iso(now + lease), r[0]) for r in rows],
                )
            return [ClaimedNotice(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5] + 1) for r in rows]

        return await self.database.run(write)

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
        await self.database.run(
            lambda db: db.execute(
                "UPDATE notices SET status = ?, reason = ?, title = ?, body = ?, channel = ?,"
                " sent_at = ? WHERE notice_id = ?",
                [status, reason, title, body, channel, _iso(now), notice_id],
            )
        )

    async def postpone(self, notice_id: int, until: datetime, reason: str) -> None:
        await self.database.run(
            lambda db: db.execute(
                "UPDATE notices SET status = 'due', due_at = ?, reason = ?, claimed_until = ''"
                " WHERE notice_id = ?",
                [_iso(until), reason, notice_id],
            )
        )

    async def sent_since(self, customer_id: str, since: datetime) -> int:
        return await self.database.run(
            lambda db: int(
                db.execute(
                    "SELECT count(*) FROM notices WHERE customer_id = ? AND status = 'sent'"
                    " AND sent_at >= ?",
                    [customer_id, _iso(since)],
                ).fetchone()[0]
            )
        )

    async def consent(self, customer_id: str) -> ConsentState:
        def read(db: sqlite_utils.Database) -> ConsentState:
            rows = db.execute(
                "SELECT scope, state FROM notice_consent WHERE customer_id = ?", [customer_id]
            ).fetchall()
            return ConsentState(
                opted_out=frozenset(s for s, st in rows if st == "out"),
                marketing_opt_in=any(s == "marketing" and st == "in" for s, st in rows),
            )

        return await self.database.run(read)

    async def set_consent(
        self, customer_id: str, scope: str, state: str, now: datetime, source: str, wording: str
    ) -> None:
        await self.database.run(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO notice_consent VALUES (?, ?, ?, ?, ?, ?)",
                [customer_id, scope, state, _iso(now), source, wording],
            )
        )

    async def watch(self, customer_id: str, kind: str, subject: str, now: datetime) -> None:
        await self.database.run(
            lambda db: db.execute(
                "INSERT OR IGNORE INTO notice_watches VALUES (?, ?, ?, ?)",
                [customer_id, kind, subject, _iso(now)],
            )
        )

    async def unshown(self, customer_id: str) -> list[tuple[int, str, str]]:
        return await self.database.run(
            lambda db: [
                (int(r[0]), r[1], r[2])
                for r in db.execute(
                    "SELECT notice_id, title, body FROM notices WHERE customer_id = ?"
                    " AND status = 'sent' AND shown_at = '' ORDER BY sent_at",
                    [customer_id],
                ).fetchall()
            ]
        )

    async def take_unshown(
        self, customer_id: str, now: datetime, notice_id: int | None = None
    ) -> list[tuple[int, str, str]]:
        params: list[Any] = [_iso(now), customer_id]
        if notice_id is not None:
            params.append(notice_id)

        def write(db: sqlite_utils.Database) -> list[tuple[int, str, str]]:
            rows = db.execute(take_unshown_sql(notice_id is not None), params).fetchall()
            return [(int(r[0]), r[1], r[2]) for r in sorted(rows, key=lambda r: (r[3], r[0]))]

        return await self.database.run(write)

    async def first_signature(self, signature: str, now: datetime) -> bool:
        """True the first time a webhook signature is seen (else it is a replay)."""

        def write(db: sqlite_utils.Database) -> bool:
            db.execute("DELETE FROM webhook_seen WHERE at < ?", [_iso(now - timedelta(minutes=10))])
            if db.execute("SELECT 1 FROM webhook_seen WHERE signature = ?", [signature]).fetchone():
                return False
            db.execute("INSERT INTO webhook_seen VALUES (?, ?)", [signature, _iso(now)])
            return True

        return await self.database.run(write)

    async def counts(self) -> list[NoticeCounts]:
        def read(db: sqlite_utils.Database) -> list[NoticeCounts]:
            return [
                NoticeCounts(r[0], r[1], int(r[2]))
                for r in db.execute(
                    "SELECT trigger, status, count(*) FROM notices GROUP BY trigger, status"
                    " ORDER BY trigger, status"
                ).fetchall()
            ]

        return await self.database.run(read)

    async def customer_of(self, notice_id: int) -> str | None:
        def read(db: sqlite_utils.Database) -> str | None:
            row = db.execute(
                "SELECT customer_id FROM notices WHERE notice_id = ?", [notice_id]
            ).fetchone()
            return str(row[0]) if row else None

        return await self.database.run(read)

    async def time_inputs(
        self, now: datetime
    ) -> tuple[list[Order], list[Repurchase], list[Occasion]]:
        """What the passing of time may make due: late orders, consumables, occasions."""

        def read(db: sqlite_utils.Database) -> tuple[list[Order], list[Repurchase], list[Occasion]]:
            late = [
                _order(r)
                for r in db.execute(
                    _ORDER + " WHERE status IN ('processing', 'shipped')"
                    " AND estimated_delivery != '' AND estimated_delivery < ?",
                    [_iso(now)],
                ).fetchall()
            ]
            repurchases = [
                Repurchase(r[0], r[1], r[2], datetime.fromisoformat(r[3]), int(r[4]))
                for r in db.execute(
                    "SELECT o.customer_id, i.sku, p.name, max(o.created_at),"
                    " CAST(json_extract(p.extra, '$.replenish_days') AS INTEGER) AS days"
                    " FROM order_items i JOIN orders o ON o.order_id = i.order_id"
                    " JOIN products p ON p.sku = i.sku"
                    " WHERE json_extract(p.extra, '$.replenish_days') IS NOT NULL"
                    " AND o.status NOT IN ('cancelled', 'returned')"
                    " GROUP BY o.customer_id, i.sku"
                ).fetchall()
                if r[4]
            ]
            occasions = []
            for customer_id, subject in db.execute(
                "SELECT customer_id, subject FROM notice_watches WHERE kind = 'occasion'"
            ).fetchall():
                date, _, label = subject.partition("|")
                month, _, day = date.partition("-")
                occasions.append(Occasion(customer_id, label, int(month), int(day)))
            return late, repurchases, occasions

        return await self.database.run(read)

    async def proactive(self) -> list[dict[str, Any]]:
        """Per trigger: how many were sent, shown in the widget, held out, suppressed, and
        unsubscribed after; orders within 7 days of the notice (of its creation for the
        holdout), for the sent group and the holdout."""

        def read(db: sqlite_utils.Database) -> list[dict[str, Any]]:
            rows = db.execute(PROACTIVE).fetchall()
            names = ["trigger", "sent", "shown", "holdout", "suppressed", "unsubscribed",
                     "sent_ordered_7d", "holdout_ordered_7d"]  # fmt: skip
            return [dict(zip(names, r, strict=True)) for r in rows]

        return await self.database.run(read)

    async def answer(self, customer_id: str, trigger: str, since: datetime, value: str) -> bool:
        """Record the customer's answer on their latest unanswered `trigger` notice sent
        after `since`; False if there is none."""

        def write(db: sqlite_utils.Database) -> bool:
            row = db.execute(
                "SELECT notice_id FROM notices WHERE customer_id = ? AND trigger = ?"
                " AND status = 'sent' AND sent_at >= ? AND reason NOT LIKE 'answer:%'"
                " ORDER BY sent_at DESC LIMIT 1",
                [customer_id, trigger, _iso(since)],
            ).fetchone()
            if row is None:
                return False
            db.execute(
                "UPDATE notices SET reason = ? WHERE notice_id = ?", [f"answer:{value}", row[0]]
            )
            return True

        return await self.database.run(write)
