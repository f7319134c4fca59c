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
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.adapters.customer_rows import CUSTOMER_SELECT as _CUSTOMER
from bot.adapters.customer_rows import customer_row as _customer
from bot.adapters.shop_csv import ShopData, read_records
from bot.adapters.sqlite.customers import (
    _ORDER,
    _iso,
    _order,
    known_ids,
    write_shop,
)
from bot.adapters.sqlite.database import DatabaseRunner
from bot.core.customers import Order
from bot.core.notices import (
    RHYTHM_PURCHASES,
    Addressee,
    ClaimedNotice,
    ConsentState,
    Due,
    NoticeCounts,
    Occasion,
    Purchase,
    Repurchase,
    repurchases,
    shop_changes,
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


@migrations()
def m003_notice_segments(db: sqlite_utils.Database) -> None:
    """The customer's tier and lifecycle stage when the notice was decided: the proactive
    figures by segment."""
    db.executescript(
        """
        ALTER TABLE notices ADD COLUMN tier TEXT NOT NULL DEFAULT '';
        ALTER TABLE notices ADD COLUMN stage TEXT NOT NULL DEFAULT '';
        """
    )


# --- what both stores share -------------------------------------------------------
# The SQL below runs on SQLite as written and on PostgreSQL through `numbered` ($1, $2, ...
# for ?); `{lock}` is '' here and ' FOR UPDATE SKIP LOCKED' there. Instants are ISO text in
# UTC on both, so they compare as text.

ENQUEUE = (
    "INSERT INTO notices (trigger, customer_id, subject, due_at, created_at, fields)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
# claimed_until, now, now, limit
CLAIM = (
    "UPDATE notices SET status = 'sending', claimed_until = ?, attempts = attempts + 1"
    " WHERE notice_id IN (SELECT notice_id FROM notices WHERE (status = 'due' AND due_at <= ?)"
    " OR (status = 'sending' AND claimed_until <= ?) ORDER BY due_at LIMIT ?{lock})"
    " RETURNING notice_id, trigger, customer_id, subject, fields, attempts"
)
FINISH = (
    "UPDATE notices SET status = ?, reason = ?, title = ?, body = ?, channel = ?, sent_at = ?,"
    " tier = ?, stage = ? WHERE notice_id = ?"
)
POSTPONE = (
    "UPDATE notices SET status = 'due', due_at = ?, reason = ?, claimed_until = ''"
    " WHERE notice_id = ?"
)
# `{ids}`: a subquery of the customer ids of a scan, given as one JSON array
ADDRESSEES = _CUSTOMER + " WHERE customer_id IN ({ids})"
ADDRESSEES_CONSENT = (
    "SELECT customer_id, scope, state FROM notice_consent WHERE customer_id IN ({ids})"
)
ADDRESSEES_SENT = (
    "SELECT customer_id, count(*) FROM notices WHERE customer_id IN ({ids}) AND status = 'sent'"
    " AND sent_at >= ? GROUP BY customer_id"
)
CONSENT = "SELECT scope, state FROM notice_consent WHERE customer_id = ?"
SET_CONSENT = (
    "INSERT INTO notice_consent VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id, scope)"
    " DO UPDATE SET state = excluded.state, at = excluded.at, source = excluded.source,"
    " wording = excluded.wording"
)
# an import's marketing opt-in (customers.csv `marketing_opt_in`), never over an earlier
# choice and never for a forgotten customer (customer id, now, its suppression key)
IMPORTED_OPT_IN = (
    "INSERT INTO notice_consent (customer_id, scope, state, at, source, wording)"
    " SELECT ?, 'marketing', 'in', ?, 'import', 'customers.csv marketing_opt_in'"
    " WHERE NOT EXISTS (SELECT 1 FROM notice_suppressions WHERE customer_hash = ?)"
    " ON CONFLICT DO NOTHING"
)


def take_unshown_sql(one: bool) -> str:
    """Mark a customer's sent notices that no widget showed yet (or the one notice) as shown,
    returning them: one statement, so that of two sockets (or processes) only one gets each."""
    return (
        "UPDATE notices SET shown_at = ? WHERE customer_id = ? AND status = 'sent'"
        " AND shown_at = ''"
        + (" AND notice_id = ?" if one else "")
        + " RETURNING notice_id, title, body, sent_at"
    )


WATCH = "INSERT INTO notice_watches VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
SHOP_WATCHES = (
    "SELECT customer_id, kind, subject FROM notice_watches"
    " WHERE kind IN ('back_in_stock', 'shipped')"
)
FORGET_SIGNATURES = "DELETE FROM webhook_seen WHERE at < ?"
SEE_SIGNATURE = "INSERT INTO webhook_seen VALUES (?, ?) ON CONFLICT DO NOTHING"
COUNTS = (
    "SELECT trigger, status, count(*) FROM notices GROUP BY trigger, status"
    " ORDER BY trigger, status"
)
CUSTOMER_OF = "SELECT customer_id FROM notices WHERE notice_id = ?"
# answer, customer_id, trigger, since
ANSWER = (
    "UPDATE notices SET reason = ? WHERE notice_id = (SELECT notice_id FROM notices"
    " WHERE customer_id = ? AND trigger = ? AND status = 'sent' AND sent_at >= ?"
    " AND reason NOT LIKE 'answer:%' ORDER BY sent_at DESC LIMIT 1{lock}) RETURNING notice_id"
)
LATE = (
    _ORDER + " WHERE status IN ('processing', 'shipped')"
    " AND estimated_delivery != '' AND estimated_delivery < ?"
)
# Every purchase of a product the shop gives a replenish_days, or one the customer bought
# on RHYTHM_PURCHASES orders or more (her own rhythm); `{replenish}`: the product's
# replenish_days from its JSON `extra`, as an integer
REPURCHASES = (
    "SELECT o.customer_id, i.sku, p.name, o.created_at, {replenish}, p.category"
    " FROM order_items i JOIN orders o ON o.order_id = i.order_id"
    " JOIN products p ON p.sku = i.sku"
    " WHERE o.status NOT IN ('cancelled', 'returned') AND ({replenish} IS NOT NULL"
    " OR (o.customer_id, i.sku) IN (SELECT o2.customer_id, i2.sku FROM order_items i2"
    " JOIN orders o2 ON o2.order_id = i2.order_id"
    " WHERE o2.status NOT IN ('cancelled', 'returned') GROUP BY o2.customer_id, i2.sku"
    f" HAVING count(DISTINCT o2.order_id) >= {RHYTHM_PURCHASES}))"
    " ORDER BY o.customer_id, i.sku, o.created_at"
)
OCCASIONS = "SELECT customer_id, subject FROM notice_watches WHERE kind = 'occasion'"
# `{plus_7d}`: sent_at seven days later, as ISO text ('' when not sent)
PROACTIVE = """
SELECT n.trigger, n.tier, n.stage,
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
FROM (SELECT *, {plus_7d} AS sent_at_7d FROM notices) n
GROUP BY n.trigger, n.tier, n.stage ORDER BY n.trigger, n.tier, n.stage
"""
PROACTIVE_NAMES = ("trigger", "tier", "stage", "sent", "shown", "holdout", "suppressed", "unsubscribed",
                   "sent_ordered_7d", "holdout_ordered_7d")  # fmt: skip


def due_row(due: Due, now: datetime) -> tuple[str, ...]:
    return (
        due.trigger,
        due.customer_id,
        due.subject,
        _iso(due.due_at),
        _iso(now),
        json.dumps(dict(due.values), ensure_ascii=False),
    )


def imported_opt_ins(data: ShopData) -> list[str]:
    """Customers whose imported row says yes to marketing (customers.csv marketing_opt_in)."""
    yes = ("1", "true", "yes", "y")
    return [
        c.customer_id
        for c in data.customers
        if c.extra.get("marketing_opt_in", "").strip().lower() in yes
    ]


def claimed(row: Sequence[Any]) -> ClaimedNotice:
    return ClaimedNotice(int(row[0]), row[1], row[2], row[3], json.loads(row[4]), int(row[5]))


def consent_state(rows: Iterable[Sequence[Any]]) -> ConsentState:
    pairs = [(str(r[0]), str(r[1])) for r in rows]
    return ConsentState(
        opted_out=frozenset(scope for scope, state in pairs if state == "out"),
        marketing_opt_in=any(scope == "marketing" and state == "in" for scope, state in pairs),
    )


def addressees(
    customers: Iterable[Sequence[Any]],
    consent: Iterable[Sequence[Any]],
    sent: Iterable[Sequence[Any]],
) -> dict[str, Addressee]:
    by_customer: dict[str, list[Sequence[Any]]] = {}
    for row in consent:
        by_customer.setdefault(row[0], []).append(row[1:])
    counts = {row[0]: int(row[1]) for row in sent}
    return {
        c.customer_id: Addressee(
            c, consent_state(by_customer.get(c.customer_id, ())), counts.get(c.customer_id, 0)
        )
        for c in map(_customer, customers)
    }


def purchase(row: Sequence[Any]) -> Purchase:
    days = int(row[4]) if row[4] else None
    return Purchase(row[0], row[1], row[2], _instant_utc(row[3]), days, row[5] or "")


def occasions(rows: Iterable[Sequence[Any]]) -> list[Occasion]:
    found = []
    for customer_id, subject in rows:
        date, _, label = subject.partition("|")
        month, _, day = date.partition("-")
        found.append(Occasion(customer_id, label, int(month), int(day)))
    return found


def proactive_rows(rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    return [
        dict(zip(PROACTIVE_NAMES, (*r[:3], *(int(v or 0) for v in r[3:])), strict=True))
        for r in rows
    ]


def _instant_utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


# --- SQLite ------------------------------------------------------------------------

NO_LOCK = {"lock": ""}


def enqueue(db: sqlite_utils.Database, due: Sequence[Due], now: datetime) -> int:
    """Insert the notices not already owed; how many were new."""
    before = db.conn.total_changes
    db.conn.executemany(ENQUEUE, [due_row(d, now) for d in due])
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
        watches = db.execute(SHOP_WATCHES).fetchall()
        write_shop(db, data)
        db.conn.executemany(
            IMPORTED_OPT_IN,
            [(c, _iso(now), suppression_key(c)) for c in imported_opt_ins(data)],
        )
        due = shop_changes(statuses, stock, watches, data.orders, data.products, now, templates)
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
                args = [_iso(now + lease), _iso(now), _iso(now), limit]
                rows = db.execute(CLAIM.format(**NO_LOCK), args).fetchall()
            return [claimed(r) for r in rows]

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
        tier: str = "",
        stage: str = "",
    ) -> None:
        args = [status, reason, title, body, channel, _iso(now), tier, stage, notice_id]
        await self.database.run(lambda db: db.execute(FINISH, args))

    async def postpone(self, notice_id: int, until: datetime, reason: str) -> None:
        await self.database.run(lambda db: db.execute(POSTPONE, [_iso(until), reason, notice_id]))

    async def addressees(
        self, customer_ids: Sequence[str], since: datetime
    ) -> dict[str, Addressee]:
        """Each customer with their consent and how many notices they were sent since
        `since`: one read for a whole scan."""
        ids = json.dumps(list(customer_ids))

        def read(db: sqlite_utils.Database) -> dict[str, Addressee]:
            return addressees(
                db.execute(ADDRESSEES.format(ids=IDS), [ids]).fetchall(),
                db.execute(ADDRESSEES_CONSENT.format(ids=IDS), [ids]).fetchall(),
                db.execute(ADDRESSEES_SENT.format(ids=IDS), [ids, _iso(since)]).fetchall(),
            )

        return await self.database.run(read)

    async def consent(self, customer_id: str) -> ConsentState:
        return await self.database.run(
            lambda db: consent_state(db.execute(CONSENT, [customer_id]).fetchall())
        )

    async def set_consent(
        self, customer_id: str, scope: str, state: str, now: datetime, source: str, wording: str
    ) -> None:
        args = [customer_id, scope, state, _iso(now), source, wording]
        await self.database.run(lambda db: db.execute(SET_CONSENT, args))

    async def watch(self, customer_id: str, kind: str, subject: str, now: datetime) -> None:
        args = [customer_id, kind, subject, _iso(now)]
        await self.database.run(lambda db: db.execute(WATCH, args))

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
            with db.atomic():
                db.execute(FORGET_SIGNATURES, [_iso(now - timedelta(minutes=10))])
                return bool(db.execute(SEE_SIGNATURE, [signature, _iso(now)]).rowcount)

        return await self.database.run(write)

    async def counts(self) -> list[NoticeCounts]:
        return await self.database.run(
            lambda db: [NoticeCounts(r[0], r[1], int(r[2])) for r in db.execute(COUNTS).fetchall()]
        )

    async def customer_of(self, notice_id: int) -> str | None:
        def read(db: sqlite_utils.Database) -> str | None:
            row = db.execute(CUSTOMER_OF, [notice_id]).fetchone()
            return str(row[0]) if row else None

        return await self.database.run(read)

    async def time_inputs(
        self, now: datetime
    ) -> tuple[list[Order], list[Repurchase], list[Occasion]]:
        """What the passing of time may make due: late orders, consumables, occasions."""

        def read(db: sqlite_utils.Database) -> tuple[list[Order], list[Repurchase], list[Occasion]]:
            late = [_order(r) for r in db.execute(LATE, [_iso(now)]).fetchall()]
            found = db.execute(REPURCHASES.format(replenish=REPLENISH)).fetchall()
            return (
                late,
                repurchases(map(purchase, found)),
                occasions(db.execute(OCCASIONS).fetchall()),
            )

        return await self.database.run(read)

    async def proactive(self) -> list[dict[str, Any]]:
        """Per trigger and the customers' tier and lifecycle stage when it was decided: how
        many were sent, shown in the widget, held out, suppressed, and unsubscribed after;
        orders within 7 days of the notice (of the decision for the holdout), for the sent
        group and the holdout."""
        sql = PROACTIVE.format(plus_7d=PLUS_7D)
        return await self.database.run(lambda db: proactive_rows(db.execute(sql).fetchall()))

    async def answer(self, customer_id: str, trigger: str, since: datetime, value: str) -> bool:
        """Record the customer's answer on their latest unanswered `trigger` notice sent
        after `since`; False if there is none."""
        sql = ANSWER.format(**NO_LOCK)
        args = [f"answer:{value}", customer_id, trigger, _iso(since)]
        return await self.database.run(lambda db: bool(db.execute(sql, args).fetchall()))


IDS = "SELECT value FROM json_each(?)"
REPLENISH = "CAST(json_extract(p.extra, '$.replenish_days') AS INTEGER)"
PLUS_7D = "strftime('%Y-%m-%dT%H:%M:%S', sent_at, '+7 days')"
