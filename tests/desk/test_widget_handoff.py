"""The widget's side of a handoff over the WebSocket: queue place, agent typing and messages."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.channels.test_widget import hello, receive
from tests.desk.conftest import AddAgent, auth


async def test_the_widget_sees_its_place_the_agent_typing_and_the_agent(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    token = await add_agent()
    ws, _ = await hello(desk_client)
    await ws.send_json({"type": "message", "id": "h1", "text": "I want to speak to a human"})
    queue = await receive(ws, "queue")
    assert queue == {"type": "queue", "position": 1, "wait_s": 300.0}

    [row] = await (
        await desk_client.get("/api/handoffs?status=waiting", headers=auth(token))
    ).json()
    await desk_client.post(f"/api/handoffs/{row['id']}/claim", headers=auth(token))
    agent_ws = await desk_client.ws_connect("/api/agent/ws")
    await agent_ws.send_json({"type": "auth", "token": token})
    await receive(agent_ws, "ready")
    await agent_ws.send_json({"type": "watch", "handoff_id": row["id"]})
    await agent_ws.send_json({"type": "typing", "handoff_id": row["id"], "on": True})
    typing = await receive(ws, "typing")
    while typing.get("who") != "agent":
        typing = await receive(ws, "typing")
    assert typing == {"type": "typing", "on": True, "who": "agent"}

    await ws.send_json({"type": "typing", "on": True})
    seen = await receive(agent_ws, "typing")
    assert seen["who"] == "customer" and seen["on"] is True

    await desk_client.post(
        f"/api/handoffs/{row['id']}/messages", json={"text": "Hello, Ana here"}, headers=auth(token)
    )
    message = await receive(ws, "message")
    while message["role"] != "agent":
        message = await receive(ws, "message")
    assert (message["text"], message["name"]) == ("Hello, Ana here", "Ana")

    await ws.send_json({"type": "message", "id": "h2", "text": "thanks Ana"})
    event = await receive(agent_ws, "event")
    while event["kind"] != "user":
        event = await receive(agent_ws, "event")
    assert event["data"]["text"] == "thanks Ana"
    await ws.close()
    await agent_ws.close()


async def test_the_agent_socket_refuses_a_bad_token(desk_client: TestClient) -> None:
    agent_ws = await desk_client.ws_connect("/api/agent/ws")
    await agent_ws.send_json({"type": "watch", "handoff_id": 1})
    assert (await receive(agent_ws, "error"))["code"] == "unauthorized"
    await agent_ws.send_json({"type": "auth", "token": "forged"})
    assert (await receive(agent_ws, "error"))["code"] == "unauthorized"
    await agent_ws.close()
