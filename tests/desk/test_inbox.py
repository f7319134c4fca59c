"""The console's API for issue #19: titles, search, earlier conversations, auto-assignment,
goodwill the customer is told about, and out-of-hours replies that keep coming."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from channels.keys import SERVICE
from tests.desk.conftest import auth
from tests.desk.test_goodwill import claimed_handoff, client, login, settings_with_shop

__all__ = ["client", "settings_with_shop"]


async def test_a_verified_conversation_is_titled_by_the_customer_name(client: TestClient) -> None:
    token = await login(client, "ana@shop.example")
    handoff = await claimed_handoff(client, token, "C1")
    detail = await (await client.get(f"/api/handoffs/{handoff}", headers=auth(token))).json()
    assert detail["handoff"]["title"] == detail["customer"]["name"]
    [row] = await (await client.get("/api/handoffs", headers=auth(token))).json()
    assert row["title"] == detail["customer"]["name"]


async def test_a_stranger_is_titled_by_language_and_first_words(client: TestClient) -> None:
    token = await login(client, "ana@shop.example")
    handoff = await claimed_handoff(client, token, None)
    detail = await (await client.get(f"/api/handoffs/{handoff}", headers=auth(token))).json()
    assert detail["handoff"]["title"] == "EN · I want to speak to a…"


async def test_search_finds_conversations_by_their_words(client: TestClient) -> None:
    token = await login(client, "ana@shop.example")
    await claimed_handoff(client, token, None)
    found = await (await client.get("/api/conversations?q=speak human", headers=auth(token))).json()
    assert len(found) == 1 and "speak to a" in found[0]["snippet"]
    none = await (await client.get("/api/conversations?q=teapot", headers=auth(token))).json()
    assert none == []


async def test_the_customers_earlier_conversations_are_listed(client: TestClient) -> None:
    token = await login(client, "ana@shop.example")
    first = await claimed_handoff(client, token, "C1")
    await client.post(f"/api/handoffs/{first}/resolve", headers=auth(token))
    await client.post("/webhooks/rest/webhook", json={"sender": "web-customer", "message": "5"})
    second = await claimed_handoff(client, token, "C1")
    detail = await (await client.get(f"/api/handoffs/{second}", headers=auth(token))).json()
    assert [h["id"] for h in detail["earlier"]] == [first]


async def test_goodwill_tells_the_customer_in_their_language(client: TestClient) -> None:
    token = await login(client, "ana@shop.example")
    handoff = await claimed_handoff(client, token, "C1")
    allowance = await (
        await client.get(f"/api/handoffs/{handoff}/goodwill", headers=auth(token))
    ).json()
    order = allowance["orders"][0]
    resp = await client.post(
        f"/api/handoffs/{handoff}/goodwill",
        json={"kind": "credit", "amount": "5", "order_id": order},
        headers=auth(token),
    )
    assert resp.status == 201 and (await resp.json())["order_id"] == order
    detail = await (await client.get(f"/api/handoffs/{handoff}", headers=auth(token))).json()
    bot = [t["text"] for t in detail["transcript"] if t["kind"] == "bot"]
    assert "A credit of €5.00 was added to your account." in bot


async def test_an_auto_assigned_conversation_says_so(aiohttp_client, settings_with_shop) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from bot.app import create_app

    client = await aiohttp_client(create_app(replace(settings_with_shop, auto_assign=True)))
    token = await login(client, "ana@shop.example")
    await client.post(
        "/webhooks/rest/webhook", json={"sender": "web-x", "message": "I want to speak to a human"}
    )
    [row] = await (await client.get("/api/handoffs?status=assigned", headers=auth(token))).json()
    detail = await (await client.get(f"/api/handoffs/{row['id']}", headers=auth(token))).json()
    claimed = [t for t in detail["transcript"] if t.get("status") == "claimed"]
    assert claimed and claimed[0]["auto"] is True


async def test_after_leaving_an_email_the_customer_still_gets_answers(
    client: TestClient,
) -> None:
    async def say(text: str) -> list[str]:
        resp = await client.post(
            "/webhooks/rest/webhook", json={"sender": "web-late", "message": text}
        )
        return [m.get("text", "") for m in await resp.json()]

    opened = await say("I want to speak to a human")  # open, nobody online
    assert any("we are open and will be back here shortly" in t for t in opened)
    assert any("alice@example.com" in t for t in await say("alice@example.com"))
    assert any("added this to your request" in t for t in await say("hola?? alguien??"))
    state = await client.app[SERVICE].state("rest:web-late")
    assert state.slots["contact_email"] == "alice@example.com"
