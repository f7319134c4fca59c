"""Shop data commands: `balcao data import DIR --db PATH`, and the demo shop's seeding.

An import reads and checks every file first (`bot.adapters.shop_csv`), then writes
everything in one transaction: a bad row leaves the store as it was.
"""

from __future__ import annotations

import argparse
import csv
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.adapters.shop_csv import read_shop
from bot.adapters.sqlite.agents import agent_emails
from bot.adapters.sqlite.customers import known_ids, table_counts
from bot.adapters.sqlite.database import connect
from bot.adapters.sqlite.notices import apply_shop
from bot.knowledge.notices import Templates, load_templates

logger = logging.getLogger(__name__)

DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"
DEMO_ANCHOR = date(2026, 11, 21)  # the day after the newest demo order: seeding makes it yesterday


@dataclass(frozen=True)
class ImportResult:
    imported: dict[str, int]  # rows read per table
    totals: dict[str, int]  # rows in the store afterwards
    seconds: float
    conversations: int = 0  # demo conversations written (seed-demo)
    notices: int = 0  # notices the changes owe (an order shipped, a product back in stock)


def import_shop(
    directory: Path,
    db_path: Path,
    shift: timedelta = timedelta(0),
    kb: Path | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Validate then upsert the CSVs in `directory` into the store at `db_path`, with the
    notices their changes owe (an order moved to shipped...), in one transaction."""
    from bot.app import MIGRATIONS

    started = time.perf_counter()
    templates = load_templates(kb) if kb is not None else Templates()
    db = connect(db_path, MIGRATIONS)
    try:
        data = read_shop(directory, known_ids(db), shift)
        notices = apply_shop(db, data, now or datetime.now(UTC), templates)
        totals = table_counts(db)
    finally:
        db.close()
    seconds = time.perf_counter() - started
    logger.info("imported %s in %.2f s, %d notices owed", data.counts(), seconds, notices)
    return ImportResult(data.counts(), totals, seconds, notices=notices)


def demo_shift(today: date | None = None) -> timedelta:
    """How far to move the demo's dates so that its newest orders are recent."""
    return (today or datetime.now(UTC).date()) - DEMO_ANCHOR


def seed_demo(db_path: Path, today: date | None = None) -> ImportResult:
    """The demo shop's CSVs, then months of its conversations (bot/cli/demo_history.py)."""
    from bot.app import MIGRATIONS
    from bot.cli.demo_history import seed_history

    result = import_shop(DEMO_DIR, db_path, demo_shift(today))
    started = time.perf_counter()
    db = connect(db_path, MIGRATIONS)
    try:
        written = seed_history(db, today or datetime.now(UTC).date())
    finally:
        db.close()
    return replace(
        result, conversations=written, seconds=result.seconds + time.perf_counter() - started
    )


def not_the_demos(db_path: Path, demo_agents: frozenset[str]) -> list[str]:
    """What the store at `db_path` holds that the demo did not put there: customers or
    agents of a real shop. Empty for a new file, and for one `seed-demo` seeded before
    (its demo agents are there already: seeding again adds no account)."""
    from bot.app import MIGRATIONS

    if not db_path.exists():
        return []
    with (DEMO_DIR / "customers.csv").open(encoding="utf-8", newline="") as f:
        demo_customers = {row["customer_id"] for row in csv.DictReader(f)}
    db = connect(db_path, MIGRATIONS)
    try:
        emails = agent_emails(db)
        if emails & demo_agents:
            return []
        customers = set(known_ids(db).customers) - demo_customers
        agents = emails - demo_agents
    finally:
        db.close()
    found = []
    if customers:
        found.append(f"customers: {len(customers)}")
    if agents:
        found.append(f"agents: {len(agents)}")
    return found


def register(subparsers: Any) -> None:
    data = subparsers.add_parser("data", help="Load a shop's customer data.")
    commands = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    load = commands.add_parser(
        "import",
        help="Import customers.csv, products.csv, orders.csv, order_items.csv and"
        " transactions.csv from DIR (upsert by id; nothing is written if a row is bad).",
    )
    load.add_argument("directory", metavar="DIR", help="Folder holding the CSV files.")
    load.add_argument("--db", help="SQLite file (BALCAO_DB; default var/balcao.sqlite3).")
    load.add_argument("--kb", help="Knowledge folder with the notice triggers (BALCAO_KB).")
    load.set_defaults(handler=import_command)


def import_command(args: argparse.Namespace) -> int:
    from bot.cli.program import settings_from

    settings = settings_from(args)
    result = import_shop(Path(args.directory), settings.db, kb=settings.kb)
    read = ", ".join(f"{n} {k}" for k, n in result.imported.items())
    print(f"imported {read} into {settings.db} in {result.seconds:.2f} s")
    if result.notices:
        print(f"{result.notices} notice(s) owed for the changes (README 'Reaching out')")
    return 0
