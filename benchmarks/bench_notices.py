"""How long a batch of due notices takes to schedule and hand to SMTP (`make bench-notices`).

A fresh SQLite store with N customers; N `order.shipped` notices are owed in one
transaction (scheduling), then the notice service's scans claim, check consent and
restraint, render (English template), send over SMTP to a local aiosmtpd sink and record
each, until none is left. Prints a Markdown table row for docs/benchmarks.md.

    python benchmarks/bench_notices.py --notices 100000
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.adapters.smtp import SmtpConfig, SmtpMailer  # noqa: E402
from bot.adapters.sqlite.customers import SqliteCustomerStore  # noqa: E402
from bot.adapters.sqlite.database import SqliteDatabase, connect  # noqa: E402
from bot.adapters.sqlite.notices import SqliteNoticeStore, enqueue  # noqa: E402
from bot.app import MIGRATIONS  # noqa: E402
from bot.core.notices import Due, Restraint  # noqa: E402
from bot.knowledge.notices import load_templates  # noqa: E402
from bot.services.notices import NoticeService  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run(n: int, batch: int, port: int) -> tuple[float, float, float, int]:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        db = connect(path, MIGRATIONS)
        with db.atomic():
            db.conn.executemany(
                "INSERT INTO customers VALUES (?, ?, ?, '', 'en', '', ?, '', '{}')",
                [(f"K{i}", f"Kim {i}", f"k{i}@example.com", now.isoformat()) for i in range(n)],
            )
        started = time.perf_counter()
        with db.atomic():
            enqueue(
                db,
                [
                    Due(
                        "order.shipped",
                        f"K{i}",
                        f"O{i}",
                        now,
                        {"order_id": f"O{i}", "carrier": "CTT", "tracking_code": f"CT{i:09d}PT"},
                    )  # fmt: skip
                    for i in range(n)
                ],
                now,
            )
        scheduled = time.perf_counter() - started
        db.close()

        database = await SqliteDatabase(path, MIGRATIONS).open()
        mailer = SmtpMailer(SmtpConfig.parse(f"smtp://127.0.0.1:{port}"))
        templates = load_templates(ROOT / "knowledge")
        service = NoticeService(
            SqliteNoticeStore(database),
            SqliteCustomerStore(database),
            lambda: templates,
            mailer=mailer,
            rules=Restraint(max_per_week=10, quiet_start=clock_time(0), quiet_end=clock_time(0)),
            mail_from="help@shop.example",
            public_url="https://shop.example",
            key=b"k" * 32,
        )
        started = time.perf_counter()
        cpu = time.process_time()
        sent = 0
        while True:
            done = await service.run_due(limit=batch)
            sent += done
            if done == 0:
                break
        handed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        await mailer.close()
        await database.close()
        assert n == sent, (n, sent)  # each accepted by the SMTP server
        return scheduled, handed, cpu, sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="notices one scan claims")
    args = parser.parse_args()
    # the sink in a process of its own, as a mail server would be
    port = free_port()
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Sink",
            "-l",
            f"127.0.0.1:{port}",
        ]  # fmt: skip
    )
    try:
        for _ in range(200):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        scheduled, handed, cpu, sent = asyncio.run(run(args.notices, args.batch, port))
    finally:
        sink.terminate()
        sink.wait()
    print(
        "| notices | schedule (owe, one transaction) | hand to SMTP (claim, check, render, send, record) | per second | Balcão CPU per notice |"
    )
    print("|---|---|---|---|---|")
    print(
        f"| {sent:,} | {scheduled:.2f} s | {handed:.1f} s | {sent / handed:,.0f} |"
        f" {cpu / sent * 1e3:.2f} ms |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
