"""Goodwill within limits, and the customer panel of a verified customer: on each store
(SQLite, and the same shop copied into PostgreSQL), so parity is checked."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from actions import store
from bot.app import create_app
from bot.config import Secret, Settings
from bot.core.agents import hash_password, new_agent
from bot.core.identity import identity_hash
from channels.keys import AGENTS
from tests.desk.conftest import PASSWORD, auth
from tests.shop.factory import make_shop_db
from tests.support.stores import rows

SECRET = "goodwill-secret"


@pytest.fixture
def settings_with_shop(
    tmp_path: Path, kb_dir: Path, store_overrides: dict[str, Any]
) -> Iterator[Settings]:
    """The shop on each store: SQLite, and the same rows copied into PostgreSQL (parity)."""
    db = make_shop_db(tmp_path / "shop.sqlite3")
    if store_overrides:
        from bot.adapters.postgres.copy import copy_sqlite_to_postgres

        copy_sqlite_to_postgres(db, store_overrides["database"])
    yield Settings.from_env(
        {},
        **store_overrides,
        db=db,
        kb=kb_dir,
        secret=Secret(SECRET),
        business_hours="always",
        auto_assign=False,
        actions_package="tests.support.echo_actions",
        goodwill_limits="top=100,high-potential=50,low-value=20,other=10",
    )
    store.close()


@pytest.fixture
async def client(aiohttp_client: Any, settings_with_shop: Settings) -> TestClient:
    return await aiohttp_client(create_app(settings_with_shop))


async def login(client: TestClient, email: str, role: str = "agent") -> str:
    await client.app[AGENTS].save(
        new_agent(email, email.split("@")[0].title(), role), hash_password(PASSWORD), time.time()
    )
    token = (
        await (
            await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        ).json()
    )["token"]
    await client.post("/api/agents/me/status", json={"status": "online"}, headers=auth(token))
    return token


async def claimed_handoff(client: TestClient, token: str, customer_id: str | None) -> int:
    metadata = (
        {"customer_id": customer_id, "identifier_hash": identity_hash(SECRET, customer_id)}
        if customer_id
        else {}
    )
    await client.post(
        "/webhooks/rest/webhook",
        json={
            "sender": "web-customer",
            "message": "I want to speak to a human",
            "metadata": metadata,
        },
    )
    [row] = await (await client.get("/api/handoffs?status=waiting", headers=auth(token))).json()
    await client.post(f"/api/handoffs/{row['id']}/claim", headers=auth(token))
    return int(row["id"])


async def test_the_panel_shows_a_verified_customer(client: TestClient) -> None:
    token = await login(client, "ana@shop.example")
    handoff = await claimed_handoff(client, token, "C1")
    detail = await (await client.get(f"/api/handoffs/{handoff}", headers=auth(token))).json()
    customer = detail["customer"]
    assert customer["customer_id"] == "C1" and customer["email"] == "alice@example.com"
    assert customer["tier"] in ("top", "high-potential", "low-value")
    assert customer["stage"] in ("exploration", "growth", "commitment", "dissolution")
    assert set(customer["rfm"]) == {"recency", "frequency", "monetary", "code"}
    assert {"100001", "100002", "100003"} <= {o["order_id"] for o in customer["recent_orders"]}


async def test_the_panel_shows_nothing_personal_for_a_stranger(client: TestClient) -> None:
    token = await login(client, "ana@shop.example")
    handoff = await claimed_handoff(client, token, None)
    detail = await (await client.get(f"/api/handoffs/{handoff}", headers=auth(token))).json()
    assert detail["customer"] is None and detail["verified"] is False


async def test_goodwill_within_the_tier_limit_is_recorded_and_above_it_needs_an_admin(
    client: TestClient,
) -> None:
    token = await login(client, "ana@shop.example")
    handoff = await claimed_handoff(client, token, "C1")
    detail = await (await client.get(f"/api/handoffs/{handoff}", headers=auth(token))).json()
    limit = {"top": 100, "high-potential": 50, "low-value": 20}.get(detail["customer"]["tier"], 10)

    resp = await client.post(
        f"/api/handoffs/{handoff}/goodwill",
        json={"kind": "credit", "amount": limit},
        headers=auth(token),
    )
    assert resp.status == 201
    granted = await resp.json()
    found = await rows(
        client.app,
        "SELECT customer_id, kind, amount FROM transactions WHERE transaction_id = ?",
        granted["transaction_id"],
    )
    assert found == [("C1", "credit", limit)]

    resp = await client.post(
        f"/api/handoffs/{handoff}/goodwill",
        json={"kind": "refund", "amount": limit + 1},
        headers=auth(token),
    )
    assert resp.status == 403
    assert "ask an admin" in (await resp.json())["error"]["message"]

    admin = await login(client, "boss@shop.example", role="admin")
    resp = await client.post(
        f"/api/handoffs/{handoff}/goodwill",
        json={"kind": "refund", "amount": limit + 1},
        headers=auth(admin),
    )
    assert resp.status == 201


async def test_goodwill_needs_a_verified_customer(client: TestClient) -> None:
    token = await login(client, "ana@shop.example")
    handoff = await claimed_handoff(client, token, None)
    resp = await client.post(
        f"/api/handoffs/{handoff}/goodwill",
        json={"kind": "credit", "amount": 5},
        headers=auth(token),
    )
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "not_verified"


async def _limit(client: TestClient, handoff: int, token: str) -> int:
    detail = await (await client.get(f"/api/handoffs/{handoff}", headers=auth(token))).json()
    return {"top": 100, "high-potential": 50, "low-value": 20}.get(detail["customer"]["tier"], 10)


async def test_concurrent_grants_cannot_add_up_past_the_limit(client: TestClient) -> None:
    """Issue #15: ten €20 refunds to a €50-limit customer all succeeded, one at a time or at
    once. The limit is per customer per period, checked and recorded in one atomic step."""
    token = await login(client, "ana@shop.example")
    handoff = await claimed_handoff(client, token, "C1")
    limit = await _limit(client, handoff, token)
    step = limit / 4  # four grants fill the limit exactly; a fifth would pass it
    responses = await asyncio.gather(
        *(
            client.post(
                f"/api/handoffs/{handoff}/goodwill",
                json={"kind": "refund", "amount": step},
                headers=auth(token),
            )
            for _ in range(10)
        )
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [201] * 4 + [403] * 6, statuses
    [(total,)] = await rows(
        client.app,
        "SELECT SUM(amount) FROM transactions WHERE customer_id = 'C1' AND method LIKE 'goodwill%'",
    )
    assert total == pytest.approx(limit)
    left = await (await client.get(f"/api/handoffs/{handoff}/goodwill", headers=auth(token))).json()
    assert left["remaining"] == "0.00" and left["granted"] == f"{limit:.2f}"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"kind": "credit", "amount": "NaN"}, "invalid_amount"),
        ({"kind": "credit", "amount": "Infinity"}, "invalid_amount"),
        ({"kind": "credit", "amount": "-5"}, "invalid_amount"),
        ({"kind": "credit", "amount": "1e9"}, "invalid_amount"),
        ({"kind": "credit", "amount": "2.555"}, "invalid_amount"),
        ({"kind": "credit", "amount": 5, "currency": "USD"}, "invalid_currency"),
        ({"kind": "refund", "amount": 5, "order_id": "999999"}, "invalid_order"),
        ({"kind": "refund", "amount": 5, "order_id": ["100001"]}, "invalid_order"),
    ],
    ids=["nan", "infinity", "negative", "huge", "three-decimals", "currency", "unknown-order",
         "order-not-text"],
)  # fmt: skip
async def test_bad_goodwill_is_refused_and_nothing_is_written(
    client: TestClient, body: dict[str, Any], code: str
) -> None:
    token = await login(client, "ana@shop.example")
    handoff = await claimed_handoff(client, token, "C1")
    resp = await client.post(f"/api/handoffs/{handoff}/goodwill", json=body, headers=auth(token))
    assert resp.status == 400, await resp.text()
    assert (await resp.json())["error"]["code"] == code
    assert await rows(
        client.app, "SELECT count(*) FROM transactions WHERE method LIKE 'goodwill%'"
    ) == [(0,)]


async def test_another_customers_order_is_refused(client: TestClient) -> None:
    token = await login(client, "ana@shop.example")
    handoff = await claimed_handoff(client, token, "C1")
    others = [
        r[0]
        for r in await rows(client.app, "SELECT order_id FROM orders WHERE customer_id != 'C1'")
    ]
    assert others
    resp = await client.post(
        f"/api/handoffs/{handoff}/goodwill",
        json={"kind": "refund", "amount": 5, "order_id": others[0]},
        headers=auth(token),
    )
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid_order"


async def test_the_customer_never_sees_who_granted_goodwill(client: TestClient) -> None:
    token = await login(client, "ana@shop.example")
    handoff = await claimed_handoff(client, token, "C1")
    resp = await client.post(
        f"/api/handoffs/{handoff}/goodwill",
        json={"kind": "refund", "amount": 5, "order_id": "100001"},
        headers=auth(token),
    )
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["order_id"] == "100001"
    methods = [r[0] for r in await rows(client.app, "SELECT method FROM transactions")]
    assert "goodwill" in methods
    assert not any("ana@shop.example" in m for m in methods)
