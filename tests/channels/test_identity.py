"""Identity vouched for by the host site (HMAC of customer_id under the server's secret)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from actions import store
from bot.app import create_app
from bot.config import Secret, Settings
from bot.core.identity import identity_hash
from bot.understanding.matching import FuzzyMatcher
from tests.channels.test_widget import collect_until_ack, receive
from tests.shop.factory import make_shop_db

SECRET = "shop-secret-for-tests"
REPO_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


@pytest.fixture
def identity_settings(tmp_path: Path) -> Iterator[Settings]:
    kb = tmp_path / "kb"
    for language in ("en",):
        (kb / language).mkdir(parents=True)
        for path in (REPO_KNOWLEDGE / language).glob("action-*.md"):
            shutil.copy(path, kb / language / path.name)
    db = make_shop_db(tmp_path / "shop.sqlite3")
    yield Settings.from_env({}, db=db, kb=kb, secret=Secret(SECRET), actions_package="actions")
    store.close()


@pytest.fixture
async def shop(aiohttp_client: Any, identity_settings: Settings) -> TestClient:
    return await aiohttp_client(create_app(identity_settings, matcher_factory=FuzzyMatcher))


async def post(
    client: TestClient, metadata: dict[str, str], message: str = "where is my order"
) -> Any:
    return await client.post(
        "/webhooks/rest/webhook",
        json={"sender": "site-user", "message": message, "metadata": metadata},
    )


async def test_a_vouched_customer_gets_their_order_without_being_asked(shop: TestClient) -> None:
    resp = await post(shop, {"customer_id": "C1", "identifier_hash": identity_hash(SECRET, "C1")})
    assert resp.status == 200
    text = " ".join(r.get("text", "") for r in await resp.json())
    assert "check it's you" not in text
    assert "RM123456789GB" in text


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        pytest.param(
            {"customer_id": "C1", "identifier_hash": "0" * 64}, "invalid_identity", id="forged"
        ),
        pytest.param(
            {"customer_id": "C2", "identifier_hash": identity_hash(SECRET, "C1")},
            "invalid_identity",
            id="someone-elses-hash",
        ),
        pytest.param({"customer_id": "C1"}, "invalid_identity", id="no-hash"),
        pytest.param(
            {"customer_id": "C1", "identifier_hash": identity_hash("other", "C1")},
            "invalid_identity",
            id="other-secret",
        ),
    ],
)
async def test_a_forged_identity_is_refused_and_nothing_leaks(
    shop: TestClient, metadata: dict[str, str], code: str
) -> None:
    resp = await post(shop, metadata)
    assert resp.status == 400
    body = await resp.json()
    assert body["error"]["code"] == code
    assert "RM123456789GB" not in json.dumps(body)


async def test_identities_are_refused_when_the_server_has_no_secret(
    aiohttp_client: Any, identity_settings: Settings
) -> None:
    from dataclasses import replace

    client = await aiohttp_client(
        create_app(replace(identity_settings, secret=Secret("")), matcher_factory=FuzzyMatcher)
    )
    resp = await post(client, {"customer_id": "C1", "identifier_hash": identity_hash("", "C1")})
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "identity_disabled"


async def test_the_widget_carries_the_identity_from_its_hello(shop: TestClient) -> None:
    ws = await shop.ws_connect("/ws")
    await ws.send_json(
        {
            "type": "hello",
            "metadata": {"customer_id": "C1", "identifier_hash": identity_hash(SECRET, "C1")},
        }
    )
    await receive(ws, "welcome")
    await ws.send_json({"type": "message", "id": "w1", "text": "where is my order"})
    _, messages = await collect_until_ack(ws)
    assert "RM123456789GB" in " ".join(m["text"] for m in messages)
    await ws.close()


async def test_the_widget_treats_a_forged_identity_as_a_stranger(shop: TestClient) -> None:
    ws = await shop.ws_connect("/ws")
    await ws.send_json(
        {"type": "hello", "metadata": {"customer_id": "C1", "identifier_hash": "f" * 64}}
    )
    error = await receive(ws, "error")
    assert error["code"] == "invalid_identity"
    await receive(ws, "welcome")
    await ws.send_json({"type": "message", "id": "w2", "text": "where is my order"})
    _, messages = await collect_until_ack(ws)
    text = " ".join(m["text"] for m in messages)
    assert "RM123456789GB" not in text and "check it's you" in text
    await ws.close()
