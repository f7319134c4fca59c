"""`balcao warehouse export` on the demo shop: every table, the store's counts, privacy,
incremental appends, forgetting, PostgreSQL, Parquet and the CLI's errors."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from bot.cli import main
from bot.core.events import Event
from bot.core.warehouse import Keys
from bot.core.warehouse_schema import FACT_NOTICE, TABLES
from tests.warehouse.conftest import ROOT, SECRET, export_args

Query = Callable[[Path, str], list[tuple[object, ...]]]
DOC = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")


def _count(query: Query, path: Path, table: str) -> int:
    return int(query(path, f"SELECT count(*) FROM {table}")[0][0])  # type: ignore[call-overload]


def _store_count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_every_table_is_produced_and_filled(demo_export: Path, query: Query) -> None:
    names = {r[0] for r in query(demo_export, "SELECT table_name FROM information_schema.tables")}
    assert {t.name for t in TABLES} <= names
    for table in TABLES:
        if table is not FACT_NOTICE:  # Balcão sends no notices yet
            assert _count(query, demo_export, table.name) > 0, table.name


def test_conversation_and_order_counts_equal_the_stores(
    demo_store: Path, demo_export: Path, query: Query
) -> None:
    assert _count(query, demo_export, "fact_conversation") == _store_count(
        demo_store, "SELECT count(*) FROM conversations"
    )
    assert _count(query, demo_export, "fact_order") == _store_count(
        demo_store, "SELECT count(*) FROM orders"
    )
    assert _count(query, demo_export, "fact_handoff") == _store_count(
        demo_store, "SELECT count(*) FROM handoffs"
    )


def _texts(path: Path, query: Query) -> str:
    """Every VARCHAR value of every table, as one string."""
    parts = [
        f'SELECT DISTINCT "{c.name}" AS v FROM {t.name}'
        for t in TABLES
        for c in t.columns
        if c.type == "VARCHAR"
    ]
    rows = query(path, " UNION ".join(parts))
    return "\n".join(str(r[0]) for r in rows if r[0] is not None)


def test_no_personal_data_or_text_without_the_flags(
    demo_store: Path, demo_export: Path, query: Query
) -> None:
    assert query(
        demo_export,
        "SELECT count(name), count(email), count(phone), count(postcode) FROM dim_customer",
    ) == [(0, 0, 0, 0)]
    everything = _texts(demo_export, query)
    assert "@example.com" not in everything
    assert "C00001" not in everything  # customer ids are keyed hashes
    assert "demo-00001" not in everything  # so are conversation ids
    assert query(demo_export, "SELECT count(text) FROM fact_message") == [(0,)]
    key = Keys(SECRET).customer("C00001")
    assert query(demo_export, f"SELECT count(*) FROM dim_customer WHERE customer_key = '{key}'")[0][
        0
    ]


def test_personal_data_and_text_only_when_asked(
    store_copy: Path, tmp_path: Path, query: Query
) -> None:
    target = tmp_path / "personal.duckdb"
    assert main(export_args(store_copy, target, "--with-personal-data", "--with-text")) == 0
    [(emails, texts)] = query(
        target,
        "SELECT (SELECT count(email) FROM dim_customer), (SELECT count(text) FROM fact_message)",
    )
    assert emails and texts
    # an incremental export must not mix privacy levels
    assert main(export_args(store_copy, target)) == 2


def test_every_query_in_the_docs_returns_rows(demo_export: Path, query: Query) -> None:
    blocks = re.findall(r"```sql\n(.*?)```", DOC, flags=re.S)
    assert len(blocks) >= 9
    for sql in blocks:
        assert query(demo_export, sql), sql


@pytest.mark.parametrize(
    "table,column", [(t.name, c.name) for t in TABLES for c in t.columns], ids=str
)
def test_the_docs_describe_every_column(table: str, column: str) -> None:
    section = DOC.split(f"### `{table}`", 1)[1].split("###", 1)[0]
    assert f"| `{column}` |" in section


async def _add_conversations(db: Path, count: int) -> int:
    """New conversations through the real store; returns the messages they hold."""
    from bot.adapters.sqlite.conversations import SqliteConversationStore
    from bot.adapters.sqlite.database import SqliteDatabase
    from bot.app import MIGRATIONS

    database = await SqliteDatabase(db, MIGRATIONS).open()
    try:
        store = SqliteConversationStore(database)
        now = time.time()
        for n in range(count):
            await store.append(
                f"new-{n}",
                [
                    Event("language", {"language": "pt"}, now),
                    Event("user", {"text": "onde está a encomenda", "decision": "answer",
                                   "entry": "order-status", "confidence": 0.9}, now + 1),
                    Event("bot", {"text": "…", "entry": "order-status"}, now + 2),
                    Event("feedback", {"rating": 5}, now + 3),
                ],
                sender=f"s{n}",
                channel="widget",
            )  # fmt: skip
    finally:
        await database.close()
    return count * 2


def test_a_second_export_appends_only_the_new_conversations(
    store_copy: Path, tmp_path: Path, query: Query
) -> None:
    target = tmp_path / "w.duckdb"
    assert main(export_args(store_copy, target)) == 0
    before = {
        t: _count(query, target, t) for t in ("fact_conversation", "fact_message", "fact_feedback")
    }
    messages = asyncio.run(_add_conversations(store_copy, 3))
    assert main(export_args(store_copy, target)) == 0
    after = {t: _count(query, target, t) for t in before}
    assert after["fact_conversation"] - before["fact_conversation"] == 3
    assert after["fact_message"] - before["fact_message"] == messages
    assert after["fact_feedback"] - before["fact_feedback"] == 3
    assert query(
        target, "SELECT count(*), sum(CAST(full_rebuild AS INT)) FROM warehouse_export"
    ) == [(2, 1)]
    # nothing new: nothing appended
    assert main(export_args(store_copy, target)) == 0
    assert {t: _count(query, target, t) for t in before} == after


def test_forgotten_customers_leave_later_exports(
    store_copy: Path, tmp_path: Path, query: Query, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "w.duckdb"
    assert main(export_args(store_copy, target)) == 0
    key = Keys(SECRET).customer("C00001")
    about = (
        f"SELECT (SELECT count(*) FROM dim_customer WHERE customer_key = '{key}')"
        f" + (SELECT count(*) FROM fact_order WHERE customer_key = '{key}')"
        f" + (SELECT count(*) FROM fact_conversation WHERE customer_key = '{key}')"
    )
    assert query(target, about)[0][0]
    capsys.readouterr()
    assert main(["customer", "forget", "C00001", "--db", str(store_copy)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("forgot customer C00001:")
    assert out[1].startswith("earlier warehouse exports may still hold them: ")
    assert str(target) in out[1]
    # the next export into the same warehouse removes them ...
    assert main(export_args(store_copy, target)) == 0
    assert query(target, about) == [(0,)]
    # ... and a full one holds nothing of them
    assert main(export_args(store_copy, target, "--full")) == 0
    assert query(target, about) == [(0,)]
    assert key not in _texts(target, query)


def test_parquet_export_writes_every_table_and_appends(
    store_copy: Path, tmp_path: Path, query: Query
) -> None:
    folder = tmp_path / "parquet"
    assert main(export_args(store_copy, folder, "--format", "parquet")) == 0
    assert {p.stem for p in folder.glob("*.parquet")} == {t.name for t in TABLES}
    asyncio.run(_add_conversations(store_copy, 2))
    assert main(export_args(store_copy, folder, "--format", "parquet")) == 0
    import duckdb

    conn = duckdb.connect()
    [(rows,)] = conn.execute(
        "SELECT count(*) FROM read_parquet(?)", [str(folder / "fact_conversation.parquet")]
    ).fetchall()
    assert rows == _store_count(store_copy, "SELECT count(*) FROM conversations")


@pytest.mark.postgres
def test_the_same_export_from_postgresql(
    demo_store: Path, demo_export: Path, pg_url: str, tmp_path: Path, query: Query
) -> None:
    from bot.adapters.postgres.copy import copy_sqlite_to_postgres

    copy_sqlite_to_postgres(demo_store, pg_url)
    target = tmp_path / "pg.duckdb"
    args = export_args(demo_store, target, "--database", pg_url)
    args[2:4] = []  # one store per deployment: no --db beside --database
    assert main(args) == 0
    for table in TABLES:
        if table.name == "warehouse_export":
            continue
        columns = ", ".join(
            f'"{c.name}"' for c in table.columns if c.name not in ("valid_from", "valid_to")
        )
        sql = f"SELECT {columns} FROM {table.name} ORDER BY ALL"
        if table.name == "dim_customer":  # the current versions: as of each export's moment
            sql = f"SELECT customer_key, tier, orders, spent FROM {table.name} WHERE is_current ORDER BY ALL"
        assert query(target, sql) == query(demo_export, sql), table.name
    assert query(target, "SELECT source FROM warehouse_export") == [("postgresql",)]


# --- errors: one line, exit 2 ------------------------------------------------------------


def _one_line_error(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("balcao: "), err
    return err[0]


def test_a_bad_path_is_one_line(
    demo_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _one_line_error(capsys, export_args(demo_store, tmp_path / "missing" / "w.duckdb"))
    assert "does not exist" in line
    line = _one_line_error(capsys, export_args(demo_store, tmp_path))
    assert "is a folder" in line


def test_an_unusable_file_is_one_line(
    demo_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_duckdb = tmp_path / "notes.duckdb"
    not_duckdb.write_text("not a database\n" * 100)
    _one_line_error(capsys, export_args(demo_store, not_duckdb))
    _one_line_error(capsys, export_args(demo_store, Path("/proc/warehouse.duckdb")))


def test_a_locked_warehouse_is_one_line(
    demo_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
         " sys.stdin.read()", str(target)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        line = _one_line_error(capsys, export_args(demo_store, target))
        assert "locked" in line
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()
        holder.wait(timeout=10)
        holder.stdout.close()


def test_without_a_secret_the_embedded_store_keeps_a_key_of_its_own(
    demo_store: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`balcao warehouse export` on the demo shop works as the README shows it, with no
    BALCAO_SECRET: a random key is made once beside the SQLite file (owner-only) and used
    again, so customer keys stay the same from one export to the next."""
    monkeypatch.setenv("BALCAO_SECRET", "")
    target = tmp_path / "w.duckdb"
    store = tmp_path / "store.sqlite3"
    store.write_bytes(demo_store.read_bytes())
    assert main(export_args(store, target)) == 0
    key = Path(f"{store}.warehouse-key")
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_text().strip()) == 64
    first = duckdb.connect(str(target), read_only=True)
    keys = {r[0] for r in first.execute("SELECT customer_key FROM dim_customer").fetchall()}
    first.close()
    assert main(export_args(store, target, "--full")) == 0
    again = duckdb.connect(str(target), read_only=True)
    assert keys == {r[0] for r in again.execute("SELECT customer_key FROM dim_customer").fetchall()}
    again.close()


def test_a_missing_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _one_line_error(capsys, export_args(tmp_path / "nope.sqlite3", tmp_path / "w.duckdb"))
    assert "database not found" in line
