"""The warehouse export: a store's conversations, shop and customers' value, as a star
schema for analysis (docs/warehouse.md). Over two ports: a `WarehouseSource` (SQLite or
PostgreSQL) and a `Warehouse` (DuckDB or Parquet).

Incremental by default: the warehouse keeps a watermark (the newest event id, order and
transaction date it holds). The next export reads conversations with newer events (and
replaces those conversations' rows), orders and transactions from `SETTLE_DAYS` before
the watermark (replaced by key: statuses change), appends a customer version where the
value changed, removes customers erased since, and rebuilds the small dimensions. A first
export, or `full`, rebuilds everything.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.core.warehouse import (
    SETTLE_DAYS,
    CustomerVersions,
    ExportOptions,
    Keys,
    agent_row,
    conversation_rows,
    entry_row,
    handoff_row,
    history,
    item_row,
    order_row,
    product_row,
    quarter_starts,
    snapshot,
    transaction_row,
)
from bot.errors import InputError
from bot.knowledge.entries import KnowledgeBase
from bot.ports import ExportProgress, Warehouse, WarehouseSource

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportResult:
    target: str
    full: bool
    written: dict[str, int]  # rows written by this export, per table
    totals: dict[str, int]  # rows in the warehouse afterwards
    seconds: float


class _Quiet:
    def stage(self, label: str, total: int | None) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


async def export(
    source: WarehouseSource,
    warehouse: Warehouse,
    kb: KnowledgeBase,
    secret: str,
    options: ExportOptions,
    *,
    now: float,
    actor: str = "cli",
    progress: ExportProgress | None = None,
) -> ExportResult:
    """Export into `warehouse` (one transaction) and record it in the source's audit log."""
    if not secret:
        raise InputError(
            "BALCAO_SECRET is empty: the warehouse's customer keys are keyed hashes under it"
        )
    started = time.perf_counter()
    show = progress or _Quiet()
    keys = Keys(secret)
    previous = warehouse.last_export()
    full = options.full or previous is None
    if previous is not None and not full:
        _check_compatible(previous, keys, options)
    warehouse.begin(full)
    written: Counter[str] = Counter()
    moment = datetime.fromtimestamp(now, UTC)

    if previous is not None and not full:
        forgotten = await source.forgotten_since(float(previous["exported_epoch"]))
        gone = [k for k in (keys.customer(c) for c in forgotten) if k]
        written["forgotten rows"] = warehouse.forget_customers(gone)

    after = 0 if full or previous is None else int(previous["last_event_id"])
    upto = await source.last_event_id()
    show.stage("conversations", await source.count_events(after))
    async for batch in source.conversations(after, upto):
        messages, conversations, feedback = [], [], []
        for stored in batch:
            rows = conversation_rows(stored, keys, options.with_text)
            messages.extend(rows.messages)
            feedback.extend(rows.feedback)
            if rows.conversation is not None:
                conversations.append(rows.conversation)
        handoffs = [
            handoff_row(h, keys) for h in await source.handoffs([c.conversation_id for c in batch])
        ]
        if not full:
            warehouse.delete("fact_conversation", "conversation_key", [r[0] for r in conversations])
            warehouse.delete("fact_handoff", "handoff_id", [r[0] for r in handoffs])
        written["fact_message"] += warehouse.append("fact_message", messages)
        written["fact_feedback"] += warehouse.append("fact_feedback", feedback)
        written["fact_conversation"] += warehouse.append("fact_conversation", conversations)
        written["fact_handoff"] += warehouse.append("fact_handoff", handoffs)
        show.advance(sum(len(s.events) - s.new_from_seq + 1 for s in batch))

    orders_since = _since(previous, "orders_since", full)
    newest_order = "" if full or previous is None else str(previous["orders_since"] or "")
    purchases: list[tuple[str, datetime, Decimal, str]] = []
    show.stage("orders", None)
    async for order_batch in source.orders(orders_since):
        order_rows = [order_row(o, keys) for o, _ in order_batch]
        item_rows = [item_row(i, o, keys) for o, items in order_batch for i in items]
        if not full:
            ids = [o.order_id for o, _ in order_batch]
            warehouse.delete("fact_order", "order_id", ids)
            warehouse.delete("fact_order_item", "order_id", ids)
        written["fact_order"] += warehouse.append("fact_order", order_rows)
        written["fact_order_item"] += warehouse.append("fact_order_item", item_rows)
        if full:
            purchases.extend(
                (o.customer_id, o.created_at, o.total, o.status) for o, _ in order_batch
            )
        newest_order = max(newest_order, order_batch[-1][0].created_at.isoformat())
        show.advance(len(order_rows) + len(item_rows))

    transactions_since = _since(previous, "transactions_since", full)
    newest_transaction = (
        "" if full or previous is None else str(previous["transactions_since"] or "")
    )
    show.stage("transactions", None)
    async for tx_batch in source.transactions(transactions_since):
        tx_rows = [transaction_row(t, keys) for t in tx_batch]
        if not full:
            warehouse.delete("fact_transaction", "transaction_id", [r[0] for r in tx_rows])
        written["fact_transaction"] += warehouse.append("fact_transaction", tx_rows)
        newest_transaction = max(newest_transaction, tx_batch[-1].created_at.isoformat())
        show.advance(len(tx_rows))

    show.stage("customers", None)
    customers = await source.customers()
    versions = CustomerVersions(
        keys,
        {c.customer_id: c for c in customers},
        options.with_personal_data,
        warehouse.next_customer_version(),
        {} if full else warehouse.current_customers(),
    )
    if full:
        moments = quarter_starts(moment)
        for at, summaries in zip(moments, history(purchases, moments), strict=True):
            versions.add(snapshot(customers, summaries, at))
    versions.add(snapshot(customers, await source.purchase_summaries(), moment))
    warehouse.close_customer_versions(versions.closed)
    written["dim_customer"] += warehouse.append("dim_customer", versions.tuples())
    show.advance(len(customers))

    written["dim_product"] = warehouse.replace(
        "dim_product", [product_row(p) for p in await source.products()]
    )
    written["dim_entry"] = warehouse.replace("dim_entry", [entry_row(e) for e in kb])
    written["dim_agent"] = warehouse.replace(
        "dim_agent", [agent_row(a) for a in await source.agents()]
    )
    written["dim_date"] = warehouse.rebuild_dates()
    total_written = sum(n for t, n in written.items() if t.startswith(("fact_", "dim_")))
    warehouse.append(
        "warehouse_export",
        [
            (
                now,
                source.name,
                full,
                upto,
                newest_order,
                newest_transaction,
                options.with_text,
                options.with_personal_data,
                keys.check,
                total_written,
            )
        ],
    )
    totals = warehouse.counts()
    warehouse.commit()
    await source.record_export(
        at=now,
        actor=actor,
        target=warehouse.target,
        details={
            "full": full,
            "rows": total_written,
            "with_text": options.with_text,
            "with_personal_data": options.with_personal_data,
            "source": source.name,
        },
    )
    seconds = time.perf_counter() - started
    logger.info("warehouse export: %d rows in %.2f s", total_written, seconds)
    return ExportResult(warehouse.target, full, dict(written), totals, seconds)


def _since(previous: dict[str, Any] | None, column: str, full: bool) -> str:
    """Where an incremental export starts reading a shop table: SETTLE_DAYS before its
    watermark, so that orders whose status moved on since are read again."""
    if full or previous is None or not previous[column]:
        return ""
    mark = datetime.fromisoformat(str(previous[column]))
    return (mark - timedelta(days=SETTLE_DAYS)).isoformat()


def _check_compatible(previous: dict[str, Any], keys: Keys, options: ExportOptions) -> None:
    if previous["key_check"] != keys.check:
        raise InputError(
            "the warehouse's keys were made with another BALCAO_SECRET: add --full to rebuild it"
        )
    for flag, name in (
        (options.with_text, "with_text"),
        (options.with_personal_data, "with_personal_data"),
    ):
        if bool(previous[name]) != flag:
            given = "with" if previous[name] else "without"
            raise InputError(
                f"the warehouse was exported {given} --{name.replace('_', '-')}:"
                " give the same flags, or --full to rebuild it"
            )
