"""Copy an SQLite store into PostgreSQL (`balcao migrate-to-postgres`).

Every table both stores know is copied in one PostgreSQL transaction: rows go
into a temporary table by COPY, then are upserted on the table's key, so a
second run updates rather than duplicates. Events are keyed by (conversation,
seq) and get PostgreSQL's own ids; other tables keep theirs, and their id
sequences are moved past the copied ids. Tables the SQLite file lacks (an older
store without `audit`, say) are skipped.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bot.adapters.postgres.database import PostgresDatabase
from bot.errors import InputError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    serial: bool = False  # an id sequence to move past the copied ids
    skip: tuple[str, ...] = ()  # columns left to PostgreSQL


TABLES: tuple[Table, ...] = (
    Table("conversations", ("id",)),
    Table("events", ("conversation_id", "seq"), skip=("id",)),
    Table("customers", ("customer_id",)),
    Table("products", ("sku",)),
    Table("orders", ("order_id",)),
    Table("order_items", ("order_id", "sku")),
    Table("transactions", ("transaction_id",)),
    Table("service_requests", ("request_id",)),
    Table("verification_attempts", ("id",), serial=True),
    Table("agents", ("email",)),
    Table("agent_sessions", ("token_digest",)),
    Table("handoffs", ("id",), serial=True),
    Table("audit", ("id",), serial=True),
)

_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": str,
    "integer": int,
    "bigint": int,
    "double precision": float,
}


def _sqlite_rows(conn: sqlite3.Connection, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = conn.execute(f'SELECT * FROM "{table}"')
    return [d[0] for d in cursor.description], cursor.fetchall()


async def _postgres_columns(conn: asyncpg.Connection, table: str) -> dict[str, str]:
    rows = await conn.fetch(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = $1",
        table,
    )
    return {r[0]: r[1] for r in rows}


async def _copy_table(
    conn: asyncpg.Connection, table: Table, columns: list[str], rows: list[tuple[Any, ...]]
) -> int:
    types = await _postgres_columns(conn, table.name)
    keep = [(i, c) for i, c in enumerate(columns) if c in types and c not in table.skip]
    names = [c for _, c in keep]
    missing = [k for k in table.key if k not in names]
    if missing:
        raise InputError(f"table {table.name} of the SQLite file has no {', '.join(missing)}")
    convert = [_CONVERTERS.get(types[c], lambda v: v) for c in names]
    records = [
        tuple(
            None if row[i] is None else fn(row[i]) for (i, _), fn in zip(keep, convert, strict=True)
        )
        for row in rows
    ]
    staging = f"copy_{table.name}"
    await conn.execute(
        f"CREATE TEMP TABLE {staging} (LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    await conn.copy_records_to_table(staging, records=records, columns=names)
    quoted = ", ".join(f'"{c}"' for c in names)
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in names if c not in table.key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    await conn.execute(
        f"INSERT INTO {table.name} ({quoted}) SELECT {quoted} FROM {staging}"
        f" ON CONFLICT ({', '.join(table.key)}) {action}"
    )
    if table.serial:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
            f" coalesce(max(id), 0) + 1, false) FROM {table.name}"
        )
    return len(records)


Rows = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def read_sqlite_store(sqlite_path: Path) -> Rows:
    """Columns and rows of every known table the SQLite file has."""
    if not sqlite_path.is_file():
        raise InputError(f"{sqlite_path}: no such SQLite file")
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        present = {
            r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        return {t.name: _sqlite_rows(source, t.name) for t in TABLES if t.name in present}
    except sqlite3.Error as exc:
        raise InputError(f"{sqlite_path}: cannot read it as a Balcão store ({exc})") from exc
    finally:
        source.close()


async def write_to_postgres(data: Rows, database_url: str) -> dict[str, int]:
    """Upsert the rows in one transaction (schema migrated first); rows copied per table."""
    database = await PostgresDatabase(database_url, max_size=2).open()
    counts: dict[str, int] = {}
    try:
        async with database.transaction() as conn:
            for table in TABLES:
                if table.name in data:
                    columns, rows = data[table.name]
                    counts[table.name] = await _copy_table(conn, table, columns, rows)
    finally:
        await database.close()
    logger.info("copied %s", counts)
    return counts


def copy_sqlite_to_postgres(sqlite_path: Path, database_url: str) -> dict[str, int]:
    """Copy every known table; returns the rows copied per table (absent tables left out)."""
    return asyncio.run(write_to_postgres(read_sqlite_store(sqlite_path), database_url))
