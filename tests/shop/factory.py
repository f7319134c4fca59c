"""Builders shared by the shop and action tests: a real SQLite store imported from small CSVs."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from bot.cli.shop import import_shop

SHOP = Path(__file__).parent / "fixtures" / "shop"
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)

# the fixture customers' details
ALICE = {"customer_id": "C1", "email": "alice@example.com", "postcode": "SW1A 1AA"}  # en
JOAO = {"customer_id": "C2", "email": "joao@example.com", "postcode": "1000-001"}  # pt
LUCIA = {"customer_id": "C3", "email": "lucia@example.com", "postcode": "28001"}  # es


def copy_shop(target: Path) -> Path:
    """A private copy of the fixture CSVs, safe to edit."""
    shutil.copytree(SHOP, target)
    return target


def make_shop_db(path: Path) -> Path:
    import_shop(SHOP, path)
    return path
