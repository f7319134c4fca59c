"""WarehouseSource on SQLite and on PostgreSQL: the store's rows, in batches.

DuckDB's own sqlite and postgres scanners are extensions that DuckDB downloads at run
time (its Python wheel bundles parquet and json only), so the rows are read here with the
project's own connections (sqlite3, asyncpg) and the shared row mappers, and handed to
DuckDB as NumPy columns (bot/adapters/warehouse/duckdb_warehouse.py).

Conversations are found by event id: those with an event after the watermark, then all
their events up to the export's own upper bound, so rows appended while the export runs
wait for the next one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from bot.adapters.customer_rows import (
    CUSTOMER_SELECT,
    ORDER_SELECT,
    PRODUCT_SELECT,
    SUMMARY_SELECT,
    TRANSACTION_SELECT,
    customer_row,
    order_item_row,
    order_row,
    product_row,
    summary_row,
    transaction_row,
)
from bot.adapters.handoff_rows import handoff_row
from bot.adapters.sqlite.agents import _agent
from bot.core.agents import Agent
from bot.core.customers import Customer, Order, OrderItem, Product, PurchaseSummary, Transaction
from bot.core.events import Event
from bot.core.handoff import Handoff
from bot.core.warehouse import StoredConversation
from bot.errors import InputError

BATCH = 2000  # conversations per batch
ORDER_BATCH = 5000
EXPORT_ACTION = "warehouse.export"

_CONVERSATIONS_AFTER = "SELECT DISTINCT conversation_id FROM events WHERE id > {0} AND id <= {1}"


def _stored(
    info: dict[str, tuple[str, str | None]],
    rows: Sequence[Any],
    after: int,
) -> list[StoredConversation]:
    """(conversation_id, seq, kind, data, timestamp, id) rows, by conversation then seq."""
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    out = []
    for conversation_id, events in grouped.items():
        channel, language = info.get(conversation_id, ("", None))
        new_from = min((r[1] for r in events if r[5] > after), default=events[-1][1] + 1)
        out.append(
            StoredConversation(
                conversation_id,
                channel or "",
                language,
                tuple(Event(r[2], json.loads(r[3]), r[4], r[1]) for r in events),
                new_from,
            )
        )
    return out


def _items_by_order(rows: Sequence[Any]) -> dict[str, list[OrderItem]]:
    items: dict[str, list[OrderItem]] = {}
    for r in rows:
        items.setdefault(r[0], []).append(order_item_row(r))
    return items


class SqliteWarehouseSource:
    """Reads the embedded store's file with its own connection (the CLI's, synchronously)."""

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        from bot.adapters.sqlite import agents, audit, conversations, customers, handoffs
        from bot.adapters.sqlite.database import connect

        if not Path(path).is_file():
            raise InputError(f"{path}: database not found")
        sets = (m.migrations for m in (conversations, customers, agents, handoffs, audit))
        self.db = connect(path, tuple(sets))
        self.conn: sqlite3.Connection = self.db.conn

    def close(self) -> None:
        self.db.close()

    async def last_event_id(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])

    async def count_events(self, after_event_id: int) -> int:
        row = self.conn.execute("SELECT count(*) FROM events WHERE id > ?", [after_event_id])
        return int(row.fetchone()[0])

    async def conversations(
        self, after_event_id: int, upto_event_id: int
    ) -> AsyncIterator[list[StoredConversation]]:
        ids = sorted(
            r[0]
            for r in self.conn.execute(
                _CONVERSATIONS_AFTER.format("?", "?"), [after_event_id, upto_event_id]
            )
        )
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            marks = ", ".join("?" * len(chunk))
            info = {
                r[0]: (r[1], r[2])
                for r in self.conn.execute(
                    f"SELECT id, channel, language FROM conversations WHERE id IN ({marks})", chunk
                )
            }
            rows = self.conn.execute(
                "SELECT conversation_id, seq, kind, data, timestamp, id FROM events"
                f" WHERE conversation_id IN ({marks}) AND id <= ? ORDER BY conversation_id, seq",
                [*chunk, upto_event_id],
            ).fetchall()
            yield _stored(info, rows, after_event_id)

    async def handoffs(self, conversation_ids: Sequence[str]) -> list[Handoff]:
        ids = list(conversation_ids)
        if not ids:
            return []
        self.conn.row_factory = sqlite3.Row
        try:
            rows = self.conn.execute(
                f"SELECT * FROM handoffs WHERE conversation_id IN ({', '.join('?' * len(ids))})",
                ids,
            ).fetchall()
        finally:
            self.conn.row_factory = None
        return [handoff_row(r) for r in rows]

    async def customers(self) -> list[Customer]:
        return [
            customer_row(r) for r in self.conn.execute(CUSTOMER_SELECT + " ORDER BY customer_id")
        ]

    async def purchase_summaries(self) -> list[PurchaseSummary]:
        return [
            summary_row(r) for r in self.conn.execute(SUMMARY_SELECT + " GROUP BY c.customer_id")
        ]

    async def products(self) -> list[Product]:
        return [product_row(r) for r in self.conn.execute(PRODUCT_SELECT + " ORDER BY sku")]

    async def agents(self) -> list[Agent]:
        self.conn.row_factory = sqlite3.Row
        try:
            return [_agent(r) for r in self.conn.execute("SELECT * FROM agents ORDER BY email")]
        finally:
            self.conn.row_factory = None

    async def orders(self, since: str) -> AsyncIterator[list[tuple[Order, list[OrderItem]]]]:
        cursor = self.conn.execute(
            ORDER_SELECT + " WHERE created_at >= ? ORDER BY created_at, order_id", [since]
        )
        while batch := cursor.fetchmany(ORDER_BATCH):
            orders = [order_row(r) for r in batch]
            ids = [o.order_id for o in orders]
            items = _items_by_order(
                self.conn.execute(
                    "SELECT order_id, sku, quantity, unit_price FROM order_items"
                    f" WHERE order_id IN ({', '.join('?' * len(ids))}) ORDER BY order_id, sku",
                    ids,
                ).fetchall()
            )
            yield [(o, items.get(o.order_id, [])) for o in orders]

    async def transactions(self, since: str) -> AsyncIterator[list[Transaction]]:
        cursor = self.conn.execute(
            TRANSACTION_SELECT + " WHERE created_at >= ? ORDER BY created_at, transaction_id",
            [since],
        )
        while batch := cursor.fetchmany(ORDER_BATCH):
            yield [transaction_row(r) for r in batch]

    async def forgotten_since(self, at: float) -> list[str]:
        rows = self.conn.execute(
            "SELECT subject FROM audit WHERE action = 'customer.forget' AND at > ?", [at]
        )
        return [r[0].removeprefix("customer:") for r in rows]

    async def record_export(self, *, at: float, actor: str, target: str, details: Any) -> None:
        from bot.adapters.sqlite.audit import record

        with self.db.atomic():
            record(
                self.db,
                at=at,
                actor=actor,
                action=EXPORT_ACTION,
                subject=f"warehouse:{target}",
                details=details,
            )


class PostgresWarehouseSource:
    """Reads a PostgreSQL store through one asyncpg connection."""

    name = "postgresql"

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    @classmethod
    async def connect(cls, url: str) -> PostgresWarehouseSource:
        import asyncpg

        from bot.adapters.postgres.database import redacted

        try:
            conn = await asyncpg.connect(url, timeout=10)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise InputError(f"cannot connect to {redacted(url)}: {exc}") from exc
        return cls(conn)

    async def close(self) -> None:
        await self.conn.close()

    async def last_event_id(self) -> int:
        return int(await self.conn.fetchval("SELECT coalesce(max(id), 0) FROM events"))

    async def count_events(self, after_event_id: int) -> int:
        return int(
            await self.conn.fetchval("SELECT count(*) FROM events WHERE id > $1", after_event_id)
        )

    async def conversations(
        self, after_event_id: int, upto_event_id: int
    ) -> AsyncIterator[list[StoredConversation]]:
        rows = await self.conn.fetch(
            _CONVERSATIONS_AFTER.format("$1", "$2"), after_event_id, upto_event_id
        )
        ids = sorted(r[0] for r in rows)
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            info = {
                r[0]: (r[1], r[2])
                for r in await self.conn.fetch(
                    "SELECT id, channel, language FROM conversations WHERE id = ANY($1::text[])",
                    chunk,
                )
            }
            events = await self.conn.fetch(
                'SELECT conversation_id, seq, kind, data, "timestamp", id FROM events'
                " WHERE conversation_id = ANY($1::text[]) AND id <= $2"
                ' ORDER BY conversation_id COLLATE "C", seq',
                chunk,
                upto_event_id,
            )
            yield _stored(info, events, after_event_id)

    async def handoffs(self, conversation_ids: Sequence[str]) -> list[Handoff]:
        rows = await self.conn.fetch(
            "SELECT * FROM handoffs WHERE conversation_id = ANY($1::text[])", list(conversation_ids)
        )
        return [handoff_row(r) for r in rows]

    async def customers(self) -> list[Customer]:
        rows = await self.conn.fetch(CUSTOMER_SELECT + ' ORDER BY customer_id COLLATE "C"')
        return [customer_row(r) for r in rows]

    async def purchase_summaries(self) -> list[PurchaseSummary]:
        return [
            summary_row(r)
            for r in await self.conn.fetch(SUMMARY_SELECT + " GROUP BY c.customer_id")
        ]

    async def products(self) -> list[Product]:
        return [
            product_row(r)
            for r in await self.conn.fetch(PRODUCT_SELECT + ' ORDER BY sku COLLATE "C"')
        ]

    async def agents(self) -> list[Agent]:
        return [_agent(r) for r in await self.conn.fetch("SELECT * FROM agents ORDER BY email")]

    async def orders(self, since: str) -> AsyncIterator[list[tuple[Order, list[OrderItem]]]]:
        async with self.conn.transaction():
            cursor = await self.conn.cursor(
                ORDER_SELECT + " WHERE created_at >= $1 ORDER BY created_at, order_id", since
            )
            while batch := await cursor.fetch(ORDER_BATCH):
                orders = [order_row(r) for r in batch]
                items = _items_by_order(
                    await self.conn.fetch(
                        "SELECT order_id, sku, quantity, unit_price FROM order_items"
                        " WHERE order_id = ANY($1::text[]) ORDER BY order_id, sku",
                        [o.order_id for o in orders],
                    )
                )
                yield [(o, items.get(o.order_id, [])) for o in orders]

    async def transactions(self, since: str) -> AsyncIterator[list[Transaction]]:
        async with self.conn.transaction():
            cursor = await self.conn.cursor(
                TRANSACTION_SELECT + " WHERE created_at >= $1 ORDER BY created_at, transaction_id",
                since,
            )
            while batch := await cursor.fetch(ORDER_BATCH):
                yield [transaction_row(r) for r in batch]

    async def forgotten_since(self, at: float) -> list[str]:
        rows = await self.conn.fetch(
            "SELECT subject FROM audit WHERE action = 'customer.forget' AND at > $1", at
        )
        return [r[0].removeprefix("customer:") for r in rows]

    async def record_export(self, *, at: float, actor: str, target: str, details: Any) -> None:
        await self.conn.execute(
            "INSERT INTO audit (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)",
            at,
            actor,
            EXPORT_ACTION,
            f"warehouse:{target}",
            json.dumps(details, sort_keys=True),
        )
