"""Smoke test of `make bench-help`: it runs end to end with tiny numbers (not a timed test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_bench_help_runs_with_tiny_numbers() -> None:
    argv = [sys.executable, str(ROOT / "benchmarks" / "bench_help.py")]
    done = subprocess.run(
        [*argv, "--questions", "30", "--requests", "3"],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| `/community/pt/<id>` |" in done.stdout
