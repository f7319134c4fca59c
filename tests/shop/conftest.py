from __future__ import annotations

from pathlib import Path

import pytest

from tests.shop.factory import copy_shop, make_shop_db


@pytest.fixture
def shop_db(tmp_path: Path) -> Path:
    return make_shop_db(tmp_path / "shop.sqlite3")


@pytest.fixture
def shop_dir(tmp_path: Path) -> Path:
    return copy_shop(tmp_path / "csv")
