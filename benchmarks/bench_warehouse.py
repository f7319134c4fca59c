"""Time `balcao warehouse export` on a generated shop (`make bench-warehouse`).

    python benchmarks/bench_warehouse.py [--messages 1000000] [--orders 100000] [--keep DIR]

Generates a shop into a temporary SQLite file: customers, `--orders` orders with their
items and payments, and conversations (bot/cli/demo_history.py's generator: answers,
fallbacks, handoffs, ratings in en/pt/es) until they hold `--messages` messages. Then
times a full export to DuckDB, an incremental one after a day's new data (0.1 % more
conversations, 0.3 % more orders), and a full export to Parquet; prints a Markdown table
with times and sizes (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.adapters.sqlite.database import connect  # noqa: E402
from bot.app import MIGRATIONS  # noqa: E402
from bot.cli import main as balcao  # noqa: E402
from bot.cli.demo_history import DEMO_TEAM, generate, write_history  # noqa: E402
from bot.knowledge.entries import load_knowledge  # noqa: E402

MESSAGES_PER_CONVERSATION = 3.63  # what the generator makes on average
SKUS = [f"SKU-{n:03d}" for n in range(200)]


def make_shop(
    db_path: Path, orders: int, first_order: int = 1, seed: int = 1, days: int = 730
) -> None:
    """`orders` orders (about 5 per customer) with items and payments, over `days` days."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    db = connect(db_path, MIGRATIONS)
    customers = max(orders // 5, 1)
    with db.atomic():
        if first_order == 1:
            db.conn.executemany(
                "INSERT INTO products VALUES (?, ?, ?, ?, 'EUR', '', 10, '{}')",
                [
                    (
                        s,
                        f"Product {s}",
                        rng.choice(("kitchen", "bath", "garden")),
                        rng.uniform(5, 200),
                    )
                    for s in SKUS
                ],
            )
            db.conn.executemany(
                "INSERT INTO customers VALUES (?, ?, ?, '', ?, '', ?, '', '{}')",
                [
                    (f"B{n:07d}", f"Name {n}", f"c{n}@example.com", rng.choice(("en", "pt", "es")),
                     (now - timedelta(days=days + 30)).isoformat())
                    for n in range(customers)
                ],
            )  # fmt: skip
        order_rows, item_rows, tx_rows = [], [], []
        for n in range(first_order, first_order + orders):
            customer = f"B{rng.randrange(customers):07d}"
            at = (now - timedelta(days=rng.uniform(0, days))).isoformat()
            lines = rng.sample(SKUS, rng.randint(1, 3))
            prices = [round(rng.uniform(5, 200), 2) for _ in lines]
            total = round(sum(prices), 2)
            status = rng.choices(("delivered", "cancelled", "returned"), weights=(93, 4, 3))[0]
            order_rows.append((f"O{n:08d}", customer, at, status, total, "EUR", "", "", "", "{}"))
            item_rows.extend((f"O{n:08d}", s, 1, p) for s, p in zip(lines, prices, strict=True))
            tx_rows.append(
                (f"T{n:08d}", customer, f"O{n:08d}", at, "payment", total, "EUR", "settled", "card")
            )
        db.conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", order_rows)
        db.conn.executemany("INSERT INTO order_items VALUES (?, ?, ?, ?)", item_rows)
        db.conn.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", tx_rows)
    db.close()


def add_conversations(db_path: Path, count: int, prefix: str, seed: int, days: int) -> int:
    db = connect(db_path, MIGRATIONS)
    customers = [(r[0], r[1]) for r in db.execute("SELECT customer_id, language FROM customers")]
    agents = [(e, n, langs) for e, n, role, langs in DEMO_TEAM if role == "agent"]
    conversations = generate(
        load_knowledge(ROOT / "knowledge"), customers, agents, datetime.now(UTC).date(),
        count=count, prefix=prefix, seed=seed, days=days,
    )  # fmt: skip
    write_history(db, conversations)
    messages = sum(1 for c in conversations for e in c.events if e[0] in ("user", "bot", "agent"))
    db.close()
    return messages


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return path.stat().st_size


def _export(db: Path, to: Path, *extra: str) -> float:
    started = time.perf_counter()
    argv = [
        "warehouse",
        "export",
        "--db",
        str(db),
        "--kb",
        str(ROOT / "knowledge"),
        "--to",
        str(to),
        "--quiet",
        *extra,
    ]
    if balcao(argv) != 0:
        raise SystemExit("export failed")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="folder to keep the store and warehouses in")
    args = parser.parse_args(argv)
    os.environ.setdefault("BALCAO_SECRET", "bench-secret")
    os.environ["BALCAO_LOG_LEVEL"] = "WARNING"
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "shop.sqlite3"
        for stale in folder.glob("shop.sqlite3*"):
            stale.unlink()
        started = time.perf_counter()
        make_shop(db, args.orders)
        conversations = max(int(args.messages / MESSAGES_PER_CONVERSATION), 1)
        messages = add_conversations(db, conversations, "bench-", 1, 365)
        generated = time.perf_counter() - started
        print(
            f"generated {messages} messages in {conversations} conversations and {args.orders}"
            f" orders in {generated:.1f} s ({_size(db) / 1e6:.0f} MB of SQLite)",
            file=sys.stderr,
        )
        duck = folder / "warehouse.duckdb"
        duck.unlink(missing_ok=True)
        full = _export(db, duck)
        full_size = _size(duck)
        day_conversations = max(conversations // 1000, 1)
        day_messages = add_conversations(db, day_conversations, "day-", 2, 1)
        make_shop(db, max(args.orders * 3 // 1000, 1), first_order=args.orders + 1, seed=2, days=1)
        incremental = _export(db, duck)
        parquet = folder / "parquet"
        parquet_time = _export(db, parquet, "--format", "parquet", "--full")
        print("| shop | export | time | size |\n|---|---|---|---|")
        shop = f"{messages:,} messages, {args.orders:,} orders"
        print(f"| {shop} | full, DuckDB | {full:.1f} s | {full_size / 1e6:.1f} MB |")
        print(
            f"| + {day_messages:,} messages, {max(args.orders * 3 // 1000, 1):,} orders | incremental, DuckDB | {incremental:.1f} s | {_size(duck) / 1e6:.1f} MB |"
        )
        print(
            f"| the same | full, Parquet | {parquet_time:.1f} s | {_size(parquet) / 1e6:.1f} MB |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
