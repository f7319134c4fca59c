"""DuckDbWarehouse: the star schema in one DuckDB file, or as Parquet files in a folder.

Rows arrive as Python tuples and go in as NumPy columns: DuckDB scans a dict of NumPy
arrays directly (`register`), about a million rows a second on this machine, where
`executemany` manages under a thousand (docs/benchmarks.md). TIMESTAMP columns arrive as
UNIX seconds and are converted here; date keys are derived here too.

A DuckDB file is written in one transaction (an export that fails leaves it as it was)
and DuckDB's own file lock keeps two exports apart. A Parquet folder is read into an
in-memory DuckDB, changed, and written back table by table (each file replaced whole),
under a lock file of its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import duckdb
import numpy as np

from bot.core.warehouse_schema import BY_NAME, DIM_CUSTOMER, DIM_DATE, FACTS, TABLES, Column
from bot.errors import InputError

FORMATS = ("duckdb", "parquet")
LOCK_FILE = ".balcao-warehouse.lock"


def _timestamp(expression: str) -> str:
    return f"make_timestamp(CAST(round({expression} * 1000000) AS BIGINT))"


def _select(column: Column) -> str:
    if column.date_of:
        stamp = _timestamp(f'"{column.date_of}"')
        return f"CAST(strftime({stamp}, '%Y%m%d') AS INTEGER)"
    if column.type == "TIMESTAMP":
        return _timestamp(f'CAST("{column.name}" AS DOUBLE)')
    return f'CAST("{column.name}" AS {column.type})'


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class DuckDbWarehouse:
    def __init__(self, target: Path, fmt: str = "duckdb") -> None:
        if fmt not in FORMATS:
            raise InputError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        self.path = Path(target)
        self.target = str(target)
        self.format = fmt
        self._lock: IO[str] | None = None
        parent = self.path.parent
        if not parent.is_dir():
            raise InputError(f"{target}: folder {parent} does not exist")
        if fmt == "duckdb":
            if self.path.is_dir():
                raise InputError(
                    f"{target}: is a folder (give a .duckdb file, or --format parquet)"
                )
            if not os.access(parent, os.W_OK) or (
                self.path.exists() and not os.access(self.path, os.W_OK)
            ):
                raise InputError(f"{target}: not writable")
            try:
                self.conn = duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                text = str(exc)
                if "lock" in text.lower():
                    raise InputError(
                        f"{target}: the warehouse is locked by another process"
                        " (an export or a DuckDB session has it open)"
                    ) from exc
                raise InputError(f"{target}: cannot open: {_first_line(exc)}") from exc
            except duckdb.Error as exc:
                raise InputError(f"{target}: not a DuckDB warehouse: {_first_line(exc)}") from exc
        else:
            if self.path.exists() and not self.path.is_dir():
                raise InputError(f"{target}: is a file (--format parquet writes a folder)")
            self.path.mkdir(exist_ok=True)
            if not os.access(self.path, os.W_OK):
                raise InputError(f"{target}: not writable")
            self._lock = (self.path / LOCK_FILE).open("w")
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                self._lock.close()
                raise InputError(f"{target}: the warehouse is locked by another export") from exc
            self.conn = duckdb.connect()
            for table in TABLES:
                file = self.path / f"{table.name}.parquet"
                if file.is_file():
                    self._run(
                        f"CREATE TABLE {table.name} AS SELECT * FROM read_parquet(?)", [str(file)]
                    )
        self._batch = 0

    # --- the transaction ---------------------------------------------------------------

    def begin(self, full: bool) -> None:
        self._run("BEGIN TRANSACTION")
        if full:
            for table in TABLES:
                self._run(f"DROP TABLE IF EXISTS {table.name}")
        for table in TABLES:
            columns = ", ".join(f'"{c.name}" {c.type}' for c in table.columns)
            self._run(f"CREATE TABLE IF NOT EXISTS {table.name} ({columns})")

    def commit(self) -> None:
        self._run("COMMIT")
        if self.format == "parquet":
            for table in TABLES:
                final = self.path / f"{table.name}.parquet"
                partial = self.path / f".{table.name}.parquet.partial"
                self._run(f"COPY {table.name} TO '{_quoted(partial)}' (FORMAT parquet)")
                os.replace(partial, final)
        else:
            self._run("CHECKPOINT")

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.conn.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # --- rows --------------------------------------------------------------------------

    def append(self, table: str, rows: Sequence[tuple[Any, ...]]) -> int:
        if not rows:
            return 0
        spec = BY_NAME[table]
        handed = spec.handed
        name = self._register({c.name: _column([r[i] for r in rows]) for i, c in enumerate(handed)})
        try:
            names = ", ".join(f'"{c.name}"' for c in spec.columns)
            selects = ", ".join(_select(c) for c in spec.columns)
            self._run(f"INSERT INTO {table} ({names}) SELECT {selects} FROM {name}")
        finally:
            self.conn.unregister(name)
        return len(rows)

    def replace(self, table: str, rows: Sequence[tuple[Any, ...]]) -> int:
        self._run(f"DELETE FROM {table}")
        return self.append(table, rows)

    def delete(self, table: str, column: str, values: Sequence[Any]) -> int:
        if not values:
            return 0
        name = self._register({"v": _column(list(values))})
        try:
            result = self._run(f'DELETE FROM {table} WHERE "{column}" IN (SELECT v FROM {name})')[
                :1
            ]
        finally:
            self.conn.unregister(name)
        return int(result[0][0]) if result else 0

    def forget_customers(self, customer_keys: Sequence[str]) -> int:
        """Delete every row about these customers, their conversations' included."""
        if not customer_keys:
            return 0
        name = self._register({"k": _column(list(customer_keys))})
        removed = 0
        try:
            conversations = [
                r[0]
                for r in self._run(
                    "SELECT conversation_key FROM fact_conversation"
                    f" WHERE customer_key IN (SELECT k FROM {name})"
                )
            ]
            for table in TABLES:
                names = {c.name for c in table.columns}
                if "conversation_key" in names:
                    removed += self.delete(table.name, "conversation_key", conversations)
                if "customer_key" in names:
                    result = self._run(
                        f"DELETE FROM {table.name} WHERE customer_key IN (SELECT k FROM {name})"
                    )[:1]
                    removed += int(result[0][0]) if result else 0
        finally:
            self.conn.unregister(name)
        return removed

    def _register(self, columns: dict[str, np.ndarray[Any, Any]]) -> str:
        self._batch += 1
        name = f"_batch_{self._batch}"
        self.conn.register(name, columns)
        return name

    # --- what the export asks ------------------------------------------------------------

    def last_export(self) -> dict[str, Any] | None:
        if not self._exists("warehouse_export"):
            return None
        cursor = self.conn.execute(
            "SELECT *, epoch(exported_at) AS exported_epoch FROM warehouse_export"
            " ORDER BY exported_at DESC LIMIT 1"
        )
        rows = cursor.fetchall()
        if not rows:
            return None
        return dict(zip([d[0] for d in cursor.description or ()], rows[0], strict=True))

    def current_customers(self) -> dict[str, tuple[tuple[int, int, int, str, str], int]]:
        rows = self._run(
            "SELECT customer_key, recency, frequency, monetary, tier, lifecycle_stage,"
            " customer_version FROM dim_customer WHERE is_current"
        )
        return {r[0]: ((r[1], r[2], r[3], r[4], r[5]), r[6]) for r in rows}

    def next_customer_version(self) -> int:
        row = self._run("SELECT coalesce(max(customer_version), 0) + 1 FROM dim_customer")[:1]
        return int(row[0][0]) if row else 1

    def close_customer_versions(self, closed: Sequence[tuple[int, float]]) -> None:
        if not closed:
            return
        name = self._register(
            {"v": _column([c[0] for c in closed]), "t": _column([c[1] for c in closed])}
        )
        try:
            self._run(
                f"UPDATE {DIM_CUSTOMER.name} SET is_current = false,"
                f" valid_to = {_timestamp('CAST(b.t AS DOUBLE)')}"
                f" FROM {name} b WHERE customer_version = CAST(b.v AS BIGINT)"
            )
        finally:
            self.conn.unregister(name)

    def rebuild_dates(self) -> int:
        spans = " UNION ALL ".join(
            f"SELECT min(date_key) AS lo, max(date_key) AS hi FROM {t.name}" for t in FACTS
        )
        self._run(f"DELETE FROM {DIM_DATE.name}")
        self._run(
            f"""
            INSERT INTO {DIM_DATE.name}
            WITH span AS (
                SELECT strptime(CAST(min(lo) AS VARCHAR), '%Y%m%d')::DATE AS lo,
                       strptime(CAST(max(hi) AS VARCHAR), '%Y%m%d')::DATE AS hi
                FROM ({spans}) WHERE lo IS NOT NULL
            ), days AS (
                SELECT CAST(d AS DATE) AS d FROM span, generate_series(
                    CAST(span.lo AS TIMESTAMP), CAST(span.hi AS TIMESTAMP), INTERVAL 1 DAY
                ) AS g(d)
            )
            SELECT CAST(strftime(d, '%Y%m%d') AS INTEGER), d, year(d), quarter(d), month(d),
                   monthname(d), weekofyear(d), CAST(date_trunc('week', d) AS DATE),
                   isodow(d), dayname(d), isodow(d) >= 6
            FROM days ORDER BY d
            """
        )
        row = self._run(f"SELECT count(*) FROM {DIM_DATE.name}")[:1]
        return int(row[0][0]) if row else 0

    def counts(self) -> dict[str, int]:
        out = {}
        for table in TABLES:
            row = self._run(f"SELECT count(*) FROM {table.name}")[:1]
            out[table.name] = int(row[0][0]) if row else 0
        return out

    def _run(self, sql: str, params: Sequence[Any] | None = None) -> list[Any]:
        """Execute and read the whole result (DuckDB wants every result finished)."""
        return self.conn.execute(sql, params).fetchall()

    def _exists(self, table: str) -> bool:
        row = self._run(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        )[:1]
        return bool(row and row[0][0])


def _column(values: list[Any]) -> np.ndarray[Any, Any]:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
