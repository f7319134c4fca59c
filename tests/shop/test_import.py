"""Importing a shop's CSVs: validate everything, then write everything, or nothing."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.shop_csv import ShopDataError
from bot.cli.program import main
from bot.cli.shop import DEMO_ANCHOR, demo_shift, import_shop, seed_demo


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def replace_line(path: Path, line: int, text: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_import_loads_every_file(shop_dir: Path, tmp_path: Path) -> None:
    result = import_shop(shop_dir, tmp_path / "s.sqlite3")

    assert result.imported == {
        "customers": 4,
        "products": 8,
        "orders": 8,
        "order_items": 12,
        "transactions": 11,
    }
    assert result.totals == result.imported


def test_import_twice_upserts_instead_of_duplicating(shop_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    import_shop(shop_dir, db)
    replace_line(
        shop_dir / "orders.csv",
        2,
        "100001,C1,2026-06-10T10:00:00Z,delivered,46.90,EUR,Royal Mail,RM123456789GB,2026-06-17",
    )
    import_shop(shop_dir, db)

    assert count(db, "orders") == 8 and count(db, "order_items") == 12
    with sqlite3.connect(db) as conn:
        status = conn.execute("SELECT status FROM orders WHERE order_id = '100001'").fetchone()[0]
    assert status == "delivered"


def test_extra_columns_are_kept(shop_db: Path) -> None:
    with sqlite3.connect(shop_db) as conn:
        product = conn.execute("SELECT extra FROM products WHERE sku = 'TEA-PRE'").fetchone()[0]
        customer = conn.execute("SELECT extra FROM customers WHERE customer_id = 'C2'").fetchone()[
            0
        ]
    assert json.loads(product) == {
        "line": "teapot",
        "tier": "premium",
        "name_pt": "Bule de Ferro Fundido",
        "name_es": "Tetera de Hierro Fundido",
    }
    assert json.loads(customer) == {"country": "PT"}


def test_bad_rows_are_reported_by_file_and_line_and_nothing_is_written(
    shop_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "s.sqlite3"
    replace_line(
        shop_dir / "customers.csv", 3, "C2,João Silva,not-an-email,,pt,1000-001,2025-02-01,,PT"
    )
    replace_line(shop_dir / "orders.csv", 4, "100003,C9,yesterday,lost,abc,EUR,,,")

    with pytest.raises(ShopDataError) as caught:
        import_shop(shop_dir, db)

    message = str(caught.value)
    assert "customers.csv:3: 'email' is not an email address" in message
    assert "orders.csv:4: customer 'C9' is not in customers.csv nor in the store" in message
    assert "orders.csv:4: 'created_at' is not an ISO date: 'yesterday'" in message
    assert "orders.csv:4: 'status' must be one of" in message
    assert "orders.csv:4: 'total' is not an amount: 'abc'" in message
    assert count(db, "customers") == 0 and count(db, "orders") == 0


def test_missing_required_column_is_named(shop_dir: Path, tmp_path: Path) -> None:
    replace_line(
        shop_dir / "products.csv",
        1,
        "sku,name,category,cost,currency,description,stock,line,tier,name_pt,name_es",
    )

    with pytest.raises(ShopDataError, match=r"products.csv:1: missing column\(s\): price"):
        import_shop(shop_dir, tmp_path / "s.sqlite3")


def test_duplicate_ids_in_a_file_are_refused(shop_dir: Path, tmp_path: Path) -> None:
    with (shop_dir / "products.csv").open("a", encoding="utf-8") as handle:
        handle.write("TEA-BAS,Another Teapot,kitchen,1.00,EUR,,1,,,,\n")

    with pytest.raises(
        ShopDataError, match=r"products.csv:10: duplicate id 'TEA-BAS' \(first at line 2\)"
    ):
        import_shop(shop_dir, tmp_path / "s.sqlite3")


def test_a_later_partial_import_may_refer_to_stored_rows(shop_db: Path, tmp_path: Path) -> None:
    later = tmp_path / "later"
    later.mkdir()
    (later / "orders.csv").write_text(
        "order_id,customer_id,created_at,status,total,currency,carrier,tracking_code,estimated_delivery\n"
        "100009,C4,2026-06-15,pending,9.90,EUR,,,\n",
        encoding="utf-8",
    )
    (later / "order_items.csv").write_text(
        "order_id,sku,quantity,unit_price\n100009,TRV-CRK,1,9.90\n", encoding="utf-8"
    )

    result = import_shop(later, shop_db)

    assert result.totals["orders"] == 9 and result.totals["order_items"] == 13


def test_cli_import_prints_counts(
    shop_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["data", "import", str(shop_dir), "--db", str(tmp_path / "s.sqlite3")])

    assert code == 0
    assert "imported 4 customers, 8 products, 8 orders" in capsys.readouterr().out


def test_cli_import_of_bad_data_exits_2_with_file_and_line(
    shop_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace_line(shop_dir / "order_items.csv", 2, "100001,NOPE,0,24.90")

    code = main(["data", "import", str(shop_dir), "--db", str(tmp_path / "s.sqlite3")])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("balcao: ")
    assert "order_items.csv:2: product 'NOPE' is not in products.csv nor in the store" in err
    assert "order_items.csv:2: 'quantity' is not a whole number >= 1: '0'" in err


def test_cli_import_of_a_missing_folder_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["data", "import", str(tmp_path / "nowhere"), "--db", str(tmp_path / "s.sqlite3")])

    assert code == 2
    assert "not a folder of CSV files" in capsys.readouterr().err


def test_demo_shop_seeds_hundreds_of_customers_and_thousands_of_orders(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite3"
    first = seed_demo(db)
    again = seed_demo(db)

    assert first.totals == again.totals  # idempotent
    assert first.totals["customers"] >= 500 and first.totals["orders"] >= 2000
    with sqlite3.connect(db) as conn:
        languages = {r[0] for r in conn.execute("SELECT DISTINCT language FROM customers")}
        newest = conn.execute("SELECT max(created_at) FROM orders").fetchone()[0]
    assert languages == {"en", "pt", "es"}
    age = datetime.now(UTC) - datetime.fromisoformat(newest)
    assert timedelta(0) <= age < timedelta(days=2)  # dates shifted to stay current


def test_demo_shift_is_zero_on_the_generators_day() -> None:
    assert demo_shift(DEMO_ANCHOR) == timedelta(0)
    assert demo_shift(DEMO_ANCHOR + timedelta(days=10)) == timedelta(days=10)


def test_seed_demo_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["seed-demo", "--db", str(tmp_path / "demo.sqlite3")])

    assert code == 0
    assert "demo store ready" in capsys.readouterr().out


def test_seed_demo_runs_again_on_its_own_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    db = str(tmp_path / "demo.sqlite3")
    assert main(["seed-demo", "--db", db]) == 0
    assert main(["seed-demo", "--db", db]) == 0  # `make run` seeds on every start
    monkeypatch.setattr("sys.stdin", io.StringIO("a long private passphrase\n"))
    add = ["agents", "add", "ana@shop.example", "--name", "Ana", "--password-stdin", "--db", db]
    assert main(add) == 0  # as README's "A person takes over" says
    assert main(["seed-demo", "--db", db]) == 0
    assert "demo store ready" in capsys.readouterr().out


def test_seed_demo_refuses_a_real_shops_file_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    db = str(tmp_path / "shop.sqlite3")
    monkeypatch.setattr("sys.stdin", io.StringIO("a long private passphrase\n"))
    add = ["agents", "add", "boss@realshop.example", "--name", "Boss", "--password-stdin"]
    assert main([*add, "--role", "admin", "--db", db]) == 0
    capsys.readouterr()

    code = main(["seed-demo", "--db", db])

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith(f"balcao: {db} is not the demo's (agents: 1 of its own)")
    assert "--force" in err[-1]
    assert main(["seed-demo", "--db", db, "--force"]) == 0
