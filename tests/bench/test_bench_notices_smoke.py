"""Smoke test of the notices benchmark (`make bench-notices`) with a tiny batch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_bench_notices_runs_with_a_tiny_batch() -> None:
    argv = [sys.executable, str(ROOT / "benchmarks" / "bench_notices.py"), "--notices", "50"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    [row] = [line for line in done.stdout.splitlines() if line.startswith("| 50 ")]
    assert row.count("|") == 6  # notices, schedule, hand over, per second, CPU per notice
