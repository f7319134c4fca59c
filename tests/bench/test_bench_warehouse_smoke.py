"""Smoke test of the warehouse benchmark (`make bench-warehouse`) with tiny numbers: it
generates a shop, exports it in full, incrementally and to Parquet, and prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_bench_warehouse_runs_with_tiny_numbers() -> None:
    argv = [sys.executable, str(ROOT / "benchmarks" / "bench_warehouse.py")]
    argv += ["--messages", "400", "--orders", "100"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert [r.split("|")[2].strip() for r in rows[1:]] == [
        "full, DuckDB",
        "incremental, DuckDB",
        "full, Parquet",
    ]
