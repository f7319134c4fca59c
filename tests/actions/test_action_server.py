"""The same actions served by the standard rasa-sdk action server, and the bot calling it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import create_app
from bot.config import Settings
from bot.understanding.matching import FuzzyMatcher
from tests.actions.conftest import tracker
from tests.actions.test_conversation_rest import Chat, action_kb
from tests.shop.factory import make_shop_db
from tests.support.network import free_port

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = make_shop_db(tmp_path_factory.mktemp("server") / "shop.sqlite3")
    port = free_port()
    env = {**os.environ, "BALCAO_DB": str(db), "PYTHONWARNINGS": "ignore"}
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"action server exited: {output[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("action server did not start in 30 s")
                time.sleep(0.1)
        yield f"{url}/webhook", db
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


async def post(url: str, payload: dict[str, Any]) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        for _ in range(50):  # the port opens a moment before the app answers
            try:
                async with session.post(url, json=payload) as response:
                    assert response.status == 200, await response.text()
                    return dict(await response.json())
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise AssertionError("action server did not answer")


async def test_action_server_runs_order_status_for_a_verified_customer(
    action_server: tuple[str, Path],
) -> None:
    url, _ = action_server
    payload = {
        "next_action": "action_order_status",
        "sender_id": "rasa-user",
        "tracker": tracker(
            "where is order 100001",
            slots={"customer_id": "C1", "verified": True},
            sender="rasa-user",
        ),
        "domain": {},
        "version": "3.0.0",
    }

    body = await post(url, payload)

    assert {"event": "slot", "name": "order_id", "value": "100001"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in body["events"]
    ]
    text = body["responses"][0]["text"]
    assert "RM123456789GB" in text and "Royal Mail" in text


async def test_action_server_asks_a_stranger_to_verify(action_server: tuple[str, Path]) -> None:
    url, _ = action_server
    payload = {
        "next_action": "action_order_status",
        "sender_id": "stranger",
        "tracker": tracker("status of 100001", sender="stranger"),
        "domain": {},
    }

    body = await post(url, payload)

    assert {"event": "active_loop", "name": "action_verify_identity"} in [
        {k: e.get(k) for k in ("event", "name")} for e in body["events"]
    ]
    assert "RM123456789GB" not in str(body["responses"])


async def test_bot_configured_with_the_remote_action_server(
    action_server: tuple[str, Path], aiohttp_client: Any, tmp_path: Path
) -> None:
    url, db = action_server
    settings = Settings.from_env({}, db=db, kb=action_kb(tmp_path / "kb"), action_server_url=url)
    client = await aiohttp_client(create_app(settings, matcher_factory=FuzzyMatcher))
    chat = Chat(client, "remote-alice")

    await chat.say("where is my order")
    status = await chat.say("100001 alice@example.com")

    assert "that's you confirmed" in status and "RM123456789GB" in status


async def test_an_action_servers_odd_answer_is_read_not_trusted(aiohttp_client: Any) -> None:
    """A remote action server is another program: items that are not objects are passed
    over, and what is left becomes our own events and replies."""
    import aiohttp
    from aiohttp import web

    from bot.adapters.rasa.action_runner import RemoteActionRunner
    from bot.core.conversation import ConversationState, IncomingMessage
    from bot.ports import ActionCall

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        assert body["tracker"]["sender_id"] == "s1" and body["next_action"] == "action_x"
        return web.json_response(
            {
                "events": ["nonsense", {"event": "slot", "name": "colour", "value": "blue"}, 7],
                "responses": [1, None, {"text": "Done.", "buttons": [{"title": "OK"}, "x"]}],
            }
        )

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    server = await aiohttp_client(app)
    async with aiohttp.ClientSession() as session:
        runner = RemoteActionRunner(str(server.make_url("/webhook")), session)
        call = ActionCall(
            "action_x", ConversationState("c1"), "s1", IncomingMessage("hi"), None, "x", {}, 1.0
        )
        result = await runner.run(call)
    assert [(e.kind, e.data["name"], e.data["value"]) for e in result.events] == [
        ("slot", "colour", "blue")
    ]
    assert [r.text for r in result.replies] == ["Done."]
    assert [b.title for b in result.replies[0].buttons] == ["OK"]
