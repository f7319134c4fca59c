"""The agents' API over a real server: login, queue, claims, chat, resolve."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from channels.keys import HANDOFFS
from tests.desk.conftest import PASSWORD, AddAgent, auth

WEBHOOK = "/webhooks/rest/webhook"


async def customer_says(
    client: TestClient, text: str, sender: str = "carla"
) -> list[dict[str, Any]]:
    resp = await client.post(WEBHOOK, json={"sender": sender, "message": text})
    assert resp.status == 200
    body: list[dict[str, Any]] = await resp.json()
    return body


async def waiting(client: TestClient, token: str) -> list[dict[str, Any]]:
    resp = await client.get("/api/handoffs?status=waiting", headers=auth(token))
    assert resp.status == 200
    body: list[dict[str, Any]] = await resp.json()
    return body


async def test_a_rest_customer_asking_for_a_human_appears_in_the_queue(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    token = await add_agent()
    replies = await customer_says(desk_client, "I want to speak to a human")
    texts = [r["text"] for r in replies]
    assert texts[-2].startswith("I'm passing you to a person")
    assert texts[-1].startswith("You are number 1 in the queue. Expected wait: about 5 min.")
    [row] = await waiting(desk_client, token)
    assert row["conversation_id"] == "rest:carla"
    assert row["sender"] == "carla"
    assert row["reason"] == "asked_for_person"
    assert row["language"] == "en"
    assert row["tier"] is None
    assert row["priority"] == 55
    assert 0 <= row["waiting_s"] < 5
    assert set(row) >= {
        "id",
        "conversation_id",
        "sender",
        "priority",
        "tier",
        "language",
        "reason",
        "waiting_s",
    }


async def test_claim_chat_both_ways_and_resolve_over_rest(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    token = await add_agent()
    await customer_says(desk_client, "I want to speak to a human")
    [row] = await waiting(desk_client, token)
    resp = await desk_client.post(f"/api/handoffs/{row['id']}/claim", headers=auth(token))
    assert resp.status == 200
    assert (await resp.json())["status"] == "assigned"

    # the customer writes while a person has the conversation: the bot stays quiet
    assert await customer_says(desk_client, "my teapot arrived broken") == [
        {"recipient_id": "carla", "text": "Ana from our team has joined the conversation."}
    ]
    resp = await desk_client.post(
        f"/api/handoffs/{row['id']}/messages",
        json={"text": "So sorry! I'll send a new one."},
        headers=auth(token),
    )
    assert resp.status == 201
    await desk_client.post(
        f"/api/handoffs/{row['id']}/notes",
        json={"text": "customer is upset, VIP?"},
        headers=auth(token),
    )
    # the REST customer receives the agent's message with the answer to their next message
    replies = await customer_says(desk_client, "thank you")
    assert [r["text"] for r in replies] == ["So sorry! I'll send a new one."]

    detail = await (await desk_client.get(f"/api/handoffs/{row['id']}", headers=auth(token))).json()
    kinds = [
        (t["kind"], t["text"])
        for t in detail["transcript"]
        if t["kind"] in ("user", "agent", "note")
    ]
    assert kinds == [
        ("user", "I want to speak to a human"),
        ("user", "my teapot arrived broken"),
        ("agent", "So sorry! I'll send a new one."),
        ("note", "customer is upset, VIP?"),
        ("user", "thank you"),
    ]

    resp = await desk_client.post(f"/api/handoffs/{row['id']}/resolve", headers=auth(token))
    assert resp.status == 200
    replies = await customer_says(desk_client, "return policy")
    texts = [r["text"] for r in replies]
    assert texts[0].startswith("I'm back to help")
    assert [b["payload"] for b in replies[0]["buttons"]][0] == '/rate{"rating": 1}'
    assert texts[-1] == "You can return any item within 30 days of delivery."


async def test_the_internal_note_never_reaches_the_customer(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    token = await add_agent()
    await customer_says(desk_client, "I want to speak to a human")
    [row] = await waiting(desk_client, token)
    await desk_client.post(f"/api/handoffs/{row['id']}/claim", headers=auth(token))
    await desk_client.post(
        f"/api/handoffs/{row['id']}/notes", json={"text": "secret note"}, headers=auth(token)
    )
    replies = await customer_says(desk_client, "hello?")
    assert all("secret" not in r.get("text", "") for r in replies)


async def test_concurrent_claims_give_the_conversation_to_exactly_one_agent(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    tokens = [await add_agent(f"agent{i}@shop.example", f"Agent {i}") for i in range(5)]
    await customer_says(desk_client, "I want to speak to a human")
    [row] = await waiting(desk_client, tokens[0])
    responses = await asyncio.gather(
        *(desk_client.post(f"/api/handoffs/{row['id']}/claim", headers=auth(t)) for t in tokens)
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [200, 409, 409, 409, 409]
    winner = tokens[[r.status for r in responses].index(200)]
    loser = next(t for t in tokens if t != winner)
    resp = await desk_client.post(
        f"/api/handoffs/{row['id']}/messages", json={"text": "mine"}, headers=auth(loser)
    )
    assert resp.status == 403
    resp = await desk_client.post(f"/api/handoffs/{row['id']}/resolve", headers=auth(loser))
    assert resp.status == 403


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": "Bearer not-a-real-token"}, id="forged"),
        pytest.param({"Authorization": "Basic YWRtaW46YWRtaW4="}, id="wrong-scheme"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/handoffs?status=waiting"),
        ("POST", "/api/handoffs/1/claim"),
        ("POST", "/api/handoffs/1/messages"),
        ("POST", "/api/handoffs/1/resolve"),
        ("GET", "/api/me"),
    ],
)
async def test_api_rejects_requests_without_a_valid_token(
    desk_client: TestClient, headers: dict[str, str], method: str, path: str
) -> None:
    resp = await desk_client.request(method, path, headers=headers, json={"text": "x"})
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthorized"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_an_expired_session_is_rejected(aiohttp_client: Any, make_settings: Any) -> None:
    from bot.app import create_app

    client = await aiohttp_client(create_app(make_settings(session_hours=0.0)))
    from bot.core.agents import hash_password, new_agent
    from channels.keys import AGENTS

    await client.app[AGENTS].save(new_agent("e@shop.example", "E"), hash_password(PASSWORD), 0.0)
    resp = await client.post(
        "/api/auth/login", json={"email": "e@shop.example", "password": PASSWORD}
    )
    token = (await resp.json())["token"]
    resp = await client.get("/api/me", headers=auth(token))
    assert resp.status == 401


async def test_wrong_password_is_refused_and_logins_are_throttled(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    await add_agent("bob@shop.example", "Bob", online=False)
    for _ in range(5):
        resp = await desk_client.post(
            "/api/auth/login", json={"email": "bob@shop.example", "password": "wrong password"}
        )
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "invalid_credentials"
    resp = await desk_client.post(
        "/api/auth/login", json={"email": "bob@shop.example", "password": PASSWORD}
    )
    assert resp.status == 429


async def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(
    desk_client: TestClient,
) -> None:
    resp = await desk_client.post(
        "/api/auth/login", json={"email": "nobody@shop.example", "password": "whatever123"}
    )
    assert resp.status == 401
    assert (await resp.json())["error"] == {
        "code": "invalid_credentials",
        "message": "wrong email or password",
    }


async def test_an_offline_agent_cannot_claim(desk_client: TestClient, add_agent: AddAgent) -> None:
    online = await add_agent()
    offline = await add_agent("zoe@shop.example", "Zoe", online=False)
    await customer_says(desk_client, "I want to speak to a human")
    [row] = await waiting(desk_client, online)
    resp = await desk_client.post(f"/api/handoffs/{row['id']}/claim", headers=auth(offline))
    assert resp.status == 403


async def test_transfer_hands_the_conversation_to_another_online_agent(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    ana = await add_agent()
    bea = await add_agent("bea@shop.example", "Bea")
    await customer_says(desk_client, "I want to speak to a human")
    [row] = await waiting(desk_client, ana)
    await desk_client.post(f"/api/handoffs/{row['id']}/claim", headers=auth(ana))
    resp = await desk_client.post(
        f"/api/handoffs/{row['id']}/transfer", json={"agent": "bea@shop.example"}, headers=auth(ana)
    )
    assert resp.status == 200
    assert (await resp.json())["agent"] == "bea@shop.example"
    resp = await desk_client.post(
        f"/api/handoffs/{row['id']}/messages", json={"text": "still me?"}, headers=auth(ana)
    )
    assert resp.status == 403
    resp = await desk_client.post(
        f"/api/handoffs/{row['id']}/messages", json={"text": "Bea here"}, headers=auth(bea)
    )
    assert resp.status == 201
    replies = await customer_says(desk_client, "ok")
    assert [r["text"] for r in replies] == [
        "Ana from our team has joined the conversation.",
        "Bea from our team is taking over the conversation.",
        "Bea here",
    ]


async def test_outside_business_hours_the_customer_is_told_when_and_leaves_an_email(
    aiohttp_client: Any, make_settings: Any
) -> None:
    from bot.app import create_app

    client = await aiohttp_client(
        create_app(make_settings(business_hours="mon 00:00-00:01", timezone="UTC"))
    )
    replies = await customer_says(client, "I want to speak to a human")
    assert replies[-1]["text"].startswith(
        "Our team is not available right now; we are back Monday at 00:00"
    )
    replies = await customer_says(client, "it's joana@example.com")
    assert replies == [
        {
            "recipient_id": "carla",
            "text": "Thank you: we will reply to joana@example.com as soon as we are back.",
        }
    ]


async def test_agents_are_assigned_automatically_least_busy_first(
    aiohttp_client: Any, make_settings: Any
) -> None:
    from bot.app import create_app
    from bot.core.agents import hash_password, new_agent
    from channels.keys import AGENTS

    client = await aiohttp_client(create_app(make_settings(business_hours="always")))
    tokens = {}
    for email, name in (("ana@shop.example", "Ana"), ("bea@shop.example", "Bea")):
        await client.app[AGENTS].save(
            new_agent(email, name, languages=("en",)), hash_password(PASSWORD), 0.0
        )
        resp = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        tokens[email] = (await resp.json())["token"]
        await client.post(
            "/api/agents/me/status", json={"status": "online"}, headers=auth(tokens[email])
        )
    first = await customer_says(client, "I want to speak to a human", sender="c1")
    second = await customer_says(client, "I want to speak to a human", sender="c2")
    joined = {first[-1]["text"], second[-1]["text"]}
    assert joined == {
        "Ana from our team has joined the conversation.",
        "Bea from our team has joined the conversation.",
    }
    rows = await (
        await client.get("/api/handoffs?status=assigned", headers=auth(tokens["ana@shop.example"]))
    ).json()
    assert sorted(r["agent"] for r in rows) == ["ana@shop.example", "bea@shop.example"]


async def test_openapi_describes_every_api_route(desk_client: TestClient) -> None:
    spec = await (await desk_client.get("/api/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    documented = set(spec["paths"])
    routes = {
        r.resource.canonical
        for r in desk_client.app.router.routes()
        if r.resource is not None
        and r.resource.canonical.startswith(("/api/", "/webhooks/"))
        and r.method in ("GET", "POST")
        and not r.resource.canonical.endswith("/ws")
        and r.resource.canonical != "/api/openapi.json"
    }
    assert routes - documented == set()


async def test_one_address_cannot_bury_the_queue_in_requests_for_a_person(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    """Issue #15: 1,000 handoffs were opened from two addresses in 33 s. Each address may
    queue BALCAO_IP_HANDOFFS_PER_HOUR requests for a person; the rest are told to wait."""
    client = await aiohttp_client(
        create_app(make_settings(ip_handoffs_per_hour=5, business_hours="always"))
    )
    replies = await asyncio.gather(
        *(
            client.post(
                "/webhooks/rest/webhook",
                json={"sender": f"flood-{n}", "message": "I want to talk to a person"},
            )
            for n in range(12)
        )
    )
    texts = [" ".join(r["text"] for r in await resp.json()) for resp in replies]
    queued = await client.app[HANDOFFS].list(("waiting", "assigned"))
    assert len(queued) == 5
    assert sum("from your network" in t for t in texts) == 7


async def test_the_queue_is_read_a_page_at_a_time_with_the_whole_count(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    token = await add_agent()
    for name in ("ana", "bea", "caio"):
        await customer_says(desk_client, "I want to speak to a human", sender=name)
    resp = await desk_client.get("/api/handoffs?status=waiting&limit=2", headers=auth(token))
    assert resp.status == 200
    assert [row["sender"] for row in await resp.json()] == ["ana", "bea"]  # served first
    assert resp.headers["X-Waiting-Count"] == "3"
    for bad in ("0", "1001", "two"):
        resp = await desk_client.get(f"/api/handoffs?limit={bad}", headers=auth(token))
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "invalid_limit"
