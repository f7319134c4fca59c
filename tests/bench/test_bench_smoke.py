"""Smoke test of the load benchmark (`make bench-load`): it runs end to end with tiny numbers.

Not a timed test: it checks the tool works (servers start, sessions talk, the table has its
columns and the run has no errors), not how fast Balcão is.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "benchmarks" / "bench_load.py"
COLUMNS = ("server", "phase", "sessions", "msg/s", "p50 ms", "p95 ms", "p99 ms", "errors")


def _row(lines: list[str], server: str, phase: str) -> dict[str, str]:
    header = next(line for line in lines if line.startswith("| server |"))
    names = [c.strip() for c in header.strip("|").split("|")]
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == len(names) and cells[0] == server and cells[1].startswith(phase):
            return dict(zip(names, cells, strict=True))
    raise AssertionError(f"no {server} {phase} row in:\n" + "\n".join(lines))


def test_bench_load_runs_with_tiny_numbers() -> None:
    argv = [sys.executable, str(SCRIPT), "--sessions", "20", "--rate", "20", "--duration", "1"]
    argv += ["--idle", "50", "--warmup", "0", "--timeout", "5"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    header = next((line for line in lines if line.startswith("| server |")), "")
    for column in COLUMNS:
        assert f"| {column} |" in header, f"no column {column!r} in {header!r}"
    for server in ("balcao", "echo"):
        for phase in ("paced", "max", "idle"):
            row = _row(lines, server, phase)
            assert row["errors"] == "0", row
            assert row["sessions"] != "0", row
        assert float(_row(lines, server, "max")["msg/s"].replace(",", "")) > 0
    assert int(_row(lines, "balcao", "idle")["sessions"]) == 50
    assert any("Balcão / echo throughput" in line for line in lines), done.stdout
