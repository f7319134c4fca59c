"""The demo shop, seeded once into a real SQLite file and exported once into a real DuckDB
file; tests that change either work on their own copies."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "knowledge"
SECRET = "warehouse-test-secret"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALCAO_SECRET", SECRET)
    monkeypatch.delenv("BALCAO_DATABASE", raising=False)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    assert main(["seed-demo", "--db", str(path)]) == 0
    return path


def export_args(db: Path, to: Path, *extra: str) -> list[str]:
    return [
        "warehouse",
        "export",
        "--db",
        str(db),
        "--kb",
        str(KB),
        "--to",
        str(to),
        "--quiet",
        *extra,
    ]


@pytest.fixture(scope="session")
def demo_export(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A full export of the demo shop (read it only)."""
    target = tmp_path_factory.mktemp("warehouse") / "demo.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BALCAO_SECRET", SECRET)
        assert main(export_args(demo_store, target)) == 0
    return target


@pytest.fixture
def store_copy(demo_store: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store.sqlite3"
    shutil.copy(demo_store, target)
    return target


@pytest.fixture
def query() -> Callable[[Path, str], list[tuple[object, ...]]]:
    def run(path: Path, sql: str) -> list[tuple[object, ...]]:
        conn = duckdb.connect(str(path), read_only=True)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    return run
