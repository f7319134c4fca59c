"""Whose a widget session is: a verification lapses after BALCAO_VERIFICATION_MINUTES of
silence (the bot asks again, resumed history hides personal details), and a session the
host site vouched for is never resumed under another identity, or none."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from aiohttp.client_ws import ClientWebSocketResponse
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from bot.core.identity import identity_hash
from bot.understanding.matching import FuzzyMatcher
from tests.channels.test_identity import SECRET, identity_settings  # noqa: F401 (a fixture)
from tests.channels.test_widget import collect_until_ack, receive

TTL_MINUTES = 1 / 60  # one second, so the test can wait it out


def vouched(customer: str) -> dict[str, str]:
    return {"customer_id": customer, "identifier_hash": identity_hash(SECRET, customer)}


async def shop(aiohttp_client: Any, settings: Settings, minutes: float) -> TestClient:
    settings = dataclasses.replace(settings, verification_minutes=minutes)
    client: TestClient = await aiohttp_client(create_app(settings, matcher_factory=FuzzyMatcher))
    return client


async def hello(client: TestClient, **frame: Any) -> tuple[ClientWebSocketResponse, dict[str, Any]]:
    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "hello", **frame})
    return ws, await receive(ws, "welcome")


async def say(ws: ClientWebSocketResponse, n: int, text: str) -> str:
    await ws.send_json({"type": "message", "id": f"m{n}", "text": text})
    _, messages = await collect_until_ack(ws)
    return " ".join(m["text"] for m in messages)


def shown(welcome: dict[str, Any]) -> str:
    return " ".join(m["text"] for m in welcome["history"])


async def test_a_lapsed_verification_hides_history_and_is_asked_again(
    aiohttp_client: Any,
    identity_settings: Settings,  # noqa: F811
) -> None:
    client = await shop(aiohttp_client, identity_settings, TTL_MINUTES)
    ws, welcome = await hello(client)
    session = welcome["session_id"]
    await say(ws, 1, "where is my order")
    await say(ws, 2, "100001")
    assert "RM123456789GB" in await say(ws, 3, "alice@example.com")
    await ws.close()

    await asyncio.sleep(TTL_MINUTES * 60 + 0.5)
    # whoever holds the stored session id later: the transcript, without what was personal
    ws, welcome = await hello(client, session_id=session)
    assert welcome["resumed"] is True
    history = shown(welcome)
    assert "where is my order" in history
    for secret in ("RM123456789GB", "Royal Mail", "100001", "alice@example.com"):
        assert secret not in history
    assert "(hidden: personal details" in history
    assert "check it's you" in await say(ws, 4, "where is my order")
    await ws.close()


async def test_within_the_verification_the_customer_resumes_with_everything(
    aiohttp_client: Any,
    identity_settings: Settings,  # noqa: F811
) -> None:
    client = await shop(aiohttp_client, identity_settings, 30.0)
    ws, welcome = await hello(client)
    await say(ws, 1, "where is my order")
    await say(ws, 2, "100001")
    await say(ws, 3, "alice@example.com")
    await ws.close()
    ws, again = await hello(client, session_id=welcome["session_id"])
    assert again["resumed"] is True and "RM123456789GB" in shown(again)
    assert "RM123456789GB" in await say(ws, 4, "where is my order")  # not asked again
    await ws.close()


@pytest.mark.parametrize(
    "metadata", [vouched("C2"), None], ids=["another-vouched-customer", "no-identity"]
)
async def test_a_session_vouched_for_one_customer_is_not_resumed_under_another(
    aiohttp_client: Any,
    identity_settings: Settings,  # noqa: F811
    metadata: dict[str, str] | None,
) -> None:
    client = await shop(aiohttp_client, identity_settings, 30.0)
    ws, welcome = await hello(client, metadata=vouched("C1"))
    assert "RM123456789GB" in await say(ws, 1, "where is my order")
    await ws.close()

    frame: dict[str, Any] = {"session_id": welcome["session_id"]}
    if metadata is not None:
        frame["metadata"] = metadata
    # several tabs of the other person at once: none of them gets C1's conversation
    opened = await asyncio.gather(*(hello(client, **frame) for _ in range(3)))
    for other, other_welcome in opened:
        assert other_welcome["resumed"] is False
        assert other_welcome["session_id"] != welcome["session_id"]
        assert other_welcome["history"] == []
        await other.close()
    # and the customer it belongs to still resumes it
    ws, again = await hello(client, session_id=welcome["session_id"], metadata=vouched("C1"))
    assert again["resumed"] is True and "RM123456789GB" in shown(again)
    await ws.close()


async def test_a_verified_anonymous_session_is_not_resumed_by_another_vouched_customer(
    aiohttp_client: Any,
    identity_settings: Settings,  # noqa: F811
) -> None:
    client = await shop(aiohttp_client, identity_settings, 30.0)
    ws, welcome = await hello(client)
    await say(ws, 1, "where is my order")
    await say(ws, 2, "100001")
    await say(ws, 3, "alice@example.com")  # verified as C1 by the order
    await ws.close()
    ws, other = await hello(client, session_id=welcome["session_id"], metadata=vouched("C2"))
    assert other["resumed"] is False and other["history"] == []
    await ws.close()
