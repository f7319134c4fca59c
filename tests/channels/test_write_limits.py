"""Writes a client can repeat are limited, per conversation and per address, through the
same RateLimiter as messages (shared over Redis by several processes): ratings on
/api/feedback and the widget's `feedback` frames, and the widget's `typing` frames, which
are passed to the agent and never stored."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from bot.core import events as ev
from bot.ports import conversation_topic
from channels.keys import BROKER, STORE
from channels.limits import MAX_HELD
from channels.widget import conversation_id

WEBHOOK = "/webhooks/rest/webhook"


async def stored_feedback(client: TestClient, conversation: str) -> int:
    return sum(e.kind == ev.FEEDBACK for e in await client.app[STORE].load(conversation))


async def test_a_feedback_flood_on_one_conversation_stops_at_its_limit(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings(feedback_per_minute=10)))
    response = await client.post(WEBHOOK, json={"sender": "victim", "message": "hello"})
    assert response.status == 200
    body = {"conversation": "victim", "channel": "rest", "rating": 1}
    responses = await asyncio.gather(*(client.post("/api/feedback", json=body) for _ in range(200)))
    statuses = [r.status for r in responses]
    assert statuses.count(201) == 10, statuses
    assert statuses.count(429) == 190
    assert responses[statuses.index(429)].headers["Retry-After"] == "60"
    assert await stored_feedback(client, "rest:victim") == 10


async def test_a_feedback_flood_over_many_conversations_stops_at_the_address_limit(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(feedback_per_minute=1000, ip_feedback_per_minute=20)
    client = await aiohttp_client(create_app(settings))
    senders = [f"s{n}" for n in range(5)]
    for sender in senders:
        await client.post(WEBHOOK, json={"sender": sender, "message": "hello"})
    responses = await asyncio.gather(
        *(
            client.post("/api/feedback", json={"conversation": s, "channel": "rest", "rating": 4})
            for s in senders
            for _ in range(20)
        )
    )
    assert [r.status for r in responses].count(201) == 20
    stored = [await stored_feedback(client, f"rest:{s}") for s in senders]
    assert sum(stored) == 20


async def hello(client: TestClient) -> tuple[Any, str]:
    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "hello"})
    while True:
        frame = await ws.receive_json(timeout=5)
        if frame["type"] == "welcome":
            return ws, frame["session_id"]


async def test_widget_feedback_frames_are_limited_per_conversation(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings(feedback_per_minute=10)))
    ws, session = await hello(client)
    await ws.send_json({"type": "message", "id": "m1", "text": "return policy"})
    answer = None
    while answer is None:
        frame = await ws.receive_json(timeout=5)
        if frame["type"] == "message" and frame.get("entry"):
            answer = frame
    for _ in range(300):
        await ws.send_str(
            json.dumps(
                {"type": "feedback", "entry": "returns", "seq": answer["seq"], "helpful": True}
            )
        )
    await ws.send_json({"type": "ping"})
    refused = 0
    while (frame := await ws.receive_json(timeout=5))["type"] != "pong":
        refused += frame["type"] == "error" and frame["code"] == "rate_limited"
    assert refused == 290
    assert await stored_feedback(client, conversation_id(session)) <= 10
    await ws.close()


async def test_widget_typing_frames_are_passed_on_sparingly_and_never_stored(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings(typing_per_minute=30)))
    ws, session = await hello(client)
    topic = conversation_topic(conversation_id(session))
    seen: list[dict[str, Any]] = []
    subscribed = asyncio.Event()

    async def watch() -> None:
        updates = client.app[BROKER].subscribe(topic, origin="agent")
        next_update = asyncio.ensure_future(updates.__anext__())
        subscribed.set()
        while True:
            seen.append(await next_update)
            next_update = asyncio.ensure_future(updates.__anext__())

    watcher = asyncio.create_task(watch())
    await subscribed.wait()
    await asyncio.sleep(0.05)
    for n in range(1000):
        await ws.send_str(json.dumps({"type": "typing", "on": n % 2 == 0}))
    await ws.send_json({"type": "ping"})
    while (await ws.receive_json(timeout=5))["type"] != "pong":
        pass
    await asyncio.sleep(0.1)
    watcher.cancel()
    typing = [u for u in seen if u.get("type") == "typing"]
    assert 1 <= len(typing) <= 30
    assert [e for e in await client.app[STORE].load(conversation_id(session))] == []
    await ws.close()


async def test_a_client_refused_for_flooding_is_held_so_it_floods_slowly(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    """Issue #15's feedback flood sent as fast as it was answered: refusals are held
    BALCAO_REFUSAL_DELAY_MS, so a client that waits for its answer sends a few a second."""
    settings = make_settings(feedback_per_minute=2, refusal_delay_ms=250)
    client = await aiohttp_client(create_app(settings))
    await client.post(WEBHOOK, json={"sender": "victim", "message": "hello"})
    body = {"conversation": "victim", "channel": "rest", "rating": 1}
    loop = asyncio.get_running_loop()
    sent, statuses, end = 0, [], loop.time() + 1.5
    while loop.time() < end:
        response = await client.post("/api/feedback", json=body)
        statuses.append(response.status)
        sent += 1
    assert statuses[:2] == [201, 201] and set(statuses[2:]) == {429}
    assert sent <= 2 + 1.5 / 0.25 + 1, sent  # unheld, this loop sent hundreds


async def test_only_a_few_refusals_per_address_are_held_at_once(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    """Holding costs a sleeping coroutine; past MAX_HELD per address the rest are
    answered at once, so a concurrent flood cannot pile up held requests."""
    settings = make_settings(feedback_per_minute=1, refusal_delay_ms=5000)
    client = await aiohttp_client(create_app(settings))
    await client.post(WEBHOOK, json={"sender": "victim", "message": "hello"})
    body = {"conversation": "victim", "channel": "rest", "rating": 1}
    assert (await client.post("/api/feedback", json=body)).status == 201
    loop = asyncio.get_running_loop()

    async def timed() -> float:
        started = loop.time()
        response = await client.post("/api/feedback", json=body)
        assert response.status == 429
        return loop.time() - started

    waits = await asyncio.gather(*(timed() for _ in range(100)))
    assert sum(w >= 5.0 for w in waits) == MAX_HELD
