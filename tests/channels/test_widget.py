"""The widget's WebSocket protocol, over a real server and a real SQLite file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType
from aiohttp.client_ws import ClientWebSocketResponse
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from channels.keys import LOOP
from channels.widget import TYPING_DELAY


async def receive(ws: ClientWebSocketResponse, kind: str, wait: float = 3.0) -> dict[str, Any]:
    """The next frame of type `kind`, skipping others."""
    while True:
        msg = await asyncio.wait_for(ws.receive(), wait)
        assert msg.type == WSMsgType.TEXT, msg
        frame: dict[str, Any] = json.loads(msg.data)
        if frame["type"] == kind:
            return frame


async def collect_until_ack(
    ws: ClientWebSocketResponse,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the ack, every message frame seen before it and shortly after)."""
    messages: list[dict[str, Any]] = []
    ack: dict[str, Any] | None = None
    while ack is None:
        frame = json.loads((await asyncio.wait_for(ws.receive(), 3)).data)
        if frame["type"] == "message":
            messages.append(frame)
        elif frame["type"] == "ack":
            ack = frame
    # replies published just before the ack may still be in flight
    try:
        while True:
            frame = json.loads((await asyncio.wait_for(ws.receive(), 0.2)).data)
            if frame["type"] == "message":
                messages.append(frame)
    except TimeoutError:
        pass
    return ack, messages


async def hello(client: TestClient, **frame: Any) -> tuple[ClientWebSocketResponse, dict[str, Any]]:
    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "hello", **frame})
    return ws, await receive(ws, "welcome")


async def test_new_session_gets_an_id_and_a_greeting(client: TestClient) -> None:
    ws, welcome = await hello(client, language="pt")
    assert len(welcome["session_id"]) >= 16
    assert welcome["resumed"] is False
    assert welcome["language"] == "pt"
    assert welcome["greeting"].startswith("Olá!")
    assert welcome["history"] == []
    await ws.close()


async def test_message_is_acknowledged_and_answered(client: TestClient) -> None:
    ws, _ = await hello(client)
    await ws.send_json({"type": "message", "id": "m-1", "text": "return policy"})
    ack, messages = await collect_until_ack(ws)
    assert ack["id"] == "m-1" and ack["duplicate"] is False and ack["seq"] >= 1
    bot = [m for m in messages if m["role"] == "bot"]
    assert bot[0]["text"] == "You can return any item within 30 days of delivery."
    # the sender's own message is acknowledged, not echoed back (other tabs get it)
    assert [m for m in messages if m["role"] == "user"] == []
    await ws.close()


async def test_a_quick_turn_sends_no_typing_frames(client: TestClient) -> None:
    ws, _ = await hello(client)
    await ws.send_json({"type": "message", "id": "t-1", "text": "hi"})
    frames = [json.loads((await asyncio.wait_for(ws.receive(), 3)).data) for _ in range(2)]
    assert [f["type"] for f in frames] == ["ack", "message"]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.receive(), TYPING_DELAY + 0.2)
    await ws.close()


async def add_slow_entry(client: TestClient, kb_dir: Path) -> None:
    """An entry whose action takes longer than TYPING_DELAY, once the server has it."""

    async def entries() -> int:
        return int((await (await client.get("/health")).json())["knowledge"]["entries"])

    before = await entries()
    (kb_dir / "en" / "slow.md").write_text(
        "---\nid: slow\nquestion: do the slow thing\naction: action_slow\n---\n"
    )
    for _ in range(100):  # the knowledge poll picks the entry up and retrains
        if await entries() > before:
            break
        await asyncio.sleep(0.1)


async def test_typing_indicator_wraps_a_slow_turn(client: TestClient, kb_dir: Path) -> None:
    await add_slow_entry(client, kb_dir)
    client.server.app[LOOP].busy_lag = float("inf")  # a retrain's lag must not skip it here
    ws, _ = await hello(client)
    await ws.send_json({"type": "message", "id": "s-1", "text": "do the slow thing"})
    first = json.loads((await asyncio.wait_for(ws.receive(), 3)).data)
    assert first == {"type": "typing", "on": True}
    assert (await receive(ws, "ack"))["id"] == "s-1"
    assert (await receive(ws, "message"))["text"] == "Done, slowly."
    assert await receive(ws, "typing") == {"type": "typing", "on": False}
    await ws.close()


async def test_a_busy_server_skips_the_typing_indicator(client: TestClient, kb_dir: Path) -> None:
    await add_slow_entry(client, kb_dir)
    monitor = client.server.app[LOOP]
    monitor.busy_lag = 0.0  # any lag, none included, counts as busy
    ws, _ = await hello(client)
    await ws.send_json({"type": "message", "id": "s-2", "text": "do the slow thing"})
    frames = [json.loads((await asyncio.wait_for(ws.receive(), 3)).data) for _ in range(2)]
    assert [f["type"] for f in frames] == ["ack", "message"]
    assert frames[1]["text"] == "Done, slowly."
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.receive(), 0.3)
    await ws.close()


async def test_reconnect_with_session_id_replays_history(client: TestClient) -> None:
    ws, welcome = await hello(client)
    await ws.send_json({"type": "message", "id": "a1", "text": "return policy"})
    await collect_until_ack(ws)
    await ws.close()

    again, resumed = await hello(client, session_id=welcome["session_id"])
    assert resumed["resumed"] is True
    assert resumed["session_id"] == welcome["session_id"]
    texts = [(m["role"], m["text"]) for m in resumed["history"]]
    assert texts == [
        ("user", "return policy"),
        ("bot", "You can return any item within 30 days of delivery."),
    ]
    await again.close()


async def test_history_survives_a_server_restart(aiohttp_client: Any, settings: Settings) -> None:
    first = await aiohttp_client(create_app(settings))
    ws, welcome = await hello(first)
    await ws.send_json({"type": "message", "id": "r1", "text": "hello"})
    await collect_until_ack(ws)
    await ws.close()
    await first.close()

    second = await aiohttp_client(create_app(settings))
    ws2, resumed = await hello(second, session_id=welcome["session_id"])
    assert [m["text"] for m in resumed["history"]] == ["hello", "Hello! How can I help you today?"]
    await ws2.close()


async def test_resent_message_is_not_processed_twice(client: TestClient) -> None:
    ws, welcome = await hello(client)
    await ws.send_json({"type": "message", "id": "dup-1", "text": "are you open now"})
    await collect_until_ack(ws)
    await ws.send_json({"type": "message", "id": "dup-1", "text": "are you open now"})
    ack, messages = await collect_until_ack(ws)
    assert ack["duplicate"] is True
    assert messages == []
    await ws.send_json({"type": "message", "id": "dup-2", "text": "are you open now"})
    _, messages = await collect_until_ack(ws)
    assert [m["text"] for m in messages if m["role"] == "bot"] == [
        "echo intent=open-now language=en runs=2"
    ]
    await ws.close()


async def test_unknown_or_forged_session_id_gets_a_fresh_session(client: TestClient) -> None:
    ws, welcome = await hello(client, session_id="A" * 32)
    assert welcome["session_id"] != "A" * 32 and welcome["resumed"] is False
    await ws.close()
    ws, welcome = await hello(client, session_id="../../etc/passwd")
    assert welcome["resumed"] is False
    await ws.close()


async def test_second_tab_sees_the_conversation_live(client: TestClient) -> None:
    ws1, welcome = await hello(client)
    await ws1.send_json({"type": "message", "id": "live-0", "text": "return policy"})
    await collect_until_ack(ws1)
    ws2, _ = await hello(client, session_id="x" * 20)  # a different conversation
    ws3, resumed = await hello(client, session_id=welcome["session_id"])
    assert resumed["resumed"] is True
    await ws1.send_json({"type": "message", "id": "live-1", "text": "hello"})
    await collect_until_ack(ws1)
    seen = await receive(ws3, "message")
    assert (seen["role"], seen["text"]) == ("user", "hello")
    seen = await receive(ws3, "message")
    assert (seen["role"], seen["text"]) == ("bot", "Hello! How can I help you today?")
    try:
        frame = await asyncio.wait_for(ws2.receive(), 0.3)
        raise AssertionError(f"another conversation received {frame.data}")
    except TimeoutError:
        pass
    for ws in (ws1, ws2, ws3):
        await ws.close()


async def test_the_sending_tab_gets_its_turn_once_while_other_tabs_get_it_too(
    client: TestClient,
) -> None:
    ws1, welcome = await hello(client)
    await ws1.send_json({"type": "message", "id": "once-0", "text": "hello"})
    await collect_until_ack(ws1)
    ws2, resumed = await hello(client, session_id=welcome["session_id"])
    assert resumed["resumed"] is True
    await ws1.send_json({"type": "message", "id": "once-1", "text": "return policy"})
    ack, mine = await collect_until_ack(ws1)
    theirs = [await receive(ws2, "message"), await receive(ws2, "message")]
    expected = [
        ("user", ack["seq"], "return policy"),
        ("bot", ack["seq"] + 1, "You can return any item within 30 days of delivery."),
    ]
    assert [(m["role"], m["seq"], m["text"]) for m in mine] == expected[1:]  # ack, no echo
    assert [(m["role"], m["seq"], m["text"]) for m in theirs] == expected
    for ws in (ws1, ws2):
        await ws.close()


async def test_bad_frames_get_error_frames_and_the_socket_stays_usable(client: TestClient) -> None:
    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "message", "id": "early", "text": "hi"})
    assert (await receive(ws, "error"))["code"] == "hello_required"
    await ws.send_str("{not json")
    assert (await receive(ws, "error"))["code"] == "invalid_json"
    await ws.send_bytes(b"\x00\x01")
    assert (await receive(ws, "error"))["code"] == "binary_not_supported"
    await ws.send_json({"type": "dance"})
    assert (await receive(ws, "error"))["code"] == "unknown_type"
    await ws.send_json({"type": "hello"})
    await receive(ws, "welcome")
    await ws.send_json({"type": "message", "id": "long", "text": "y" * 2001})
    error = await receive(ws, "error")
    assert error == {
        "type": "error",
        "code": "message_too_long",
        "message": "message is 2001 characters long; the limit is 2000",
        "id": "long",
    }
    await ws.send_json({"type": "message", "id": "bad id!", "text": "hi"})
    assert (await receive(ws, "error"))["code"] == "invalid_id"
    await ws.send_json({"type": "message", "id": "ok-1", "text": "hello"})
    ack, messages = await collect_until_ack(ws)
    assert [m["text"] for m in messages if m["role"] == "bot"] == [
        "Hello! How can I help you today?"
    ]
    await ws.close()


async def test_ping_gets_pong(client: TestClient) -> None:
    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "ping"})
    assert await receive(ws, "pong") == {"type": "pong"}
    await ws.close()
