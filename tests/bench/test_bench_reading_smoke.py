"""Smoke test of `bench_nlu.py --reading-only`: the conversation-level tables are produced."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_bench_nlu_reading_tables_run_without_data() -> None:
    argv = [sys.executable, str(ROOT / "benchmarks" / "bench_nlu.py"), "--reading-only"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for title in ("| at-risk reader |", "| two questions", "| language switches |"):
        assert title in done.stdout
    assert "| all | test | 93 |" in done.stdout
