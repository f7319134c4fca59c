"""Goodwill gestures an agent grants, written as transactions of the customer store."""

from __future__ import annotations

import sqlite_utils

from bot.adapters.sqlite.database import SqliteDatabase
from bot.core.customers import Transaction


async def record_transaction(database: SqliteDatabase, transaction: Transaction) -> None:
    def write(db: sqlite_utils.Database) -> None:
        with db.atomic():
            db.execute(
                "INSERT INTO transactions (transaction_id, customer_id, order_id, created_at, kind,"
                " amount, currency, status, method) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    transaction.transaction_id,
                    transaction.customer_id,
                    transaction.order_id,
                    transaction.created_at.isoformat(),
                    transaction.kind,
                    float(transaction.amount),
                    transaction.currency,
                    transaction.status,
                    transaction.method,
                ],
            )

    await database.run(write)
