"""Faults degrade politely: a failing store, a remote action server down or slow."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import DATABASE, create_app
from bot.config import Settings
from channels.keys import METRICS
from tests.channels.test_widget import hello, receive
from tests.scale.servers import ROOT

WEBHOOK = "/webhooks/rest/webhook"


async def test_a_full_or_failing_store_gets_a_clear_error_and_recovers(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings()))
    database = client.app[DATABASE]
    await database.run(
        lambda db: db.execute(
            "CREATE TRIGGER full BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    )
    resp = await client.post(WEBHOOK, json={"sender": "f", "message": "hello"})
    assert resp.status == 503
    assert (await resp.json())["error"]["code"] == "storage_unavailable"

    ws, _ = await hello(client)
    await ws.send_json({"type": "message", "id": "x1", "text": "hello"})
    error = await receive(ws, "error")
    assert error["code"] == "internal"
    assert error["message"] == "Sorry, something went wrong on our side. Please try again."
    assert client.app[METRICS].errors.value(kind="message") == 1

    await database.run(lambda db: db.execute("DROP TRIGGER full"))
    resp = await client.post(WEBHOOK, json={"sender": "f", "message": "hello"})
    assert resp.status == 200
    assert (await resp.json())[0]["text"] == "Hello! How can I help you today?"
    await ws.send_json({"type": "message", "id": "x1", "text": "hello"})  # the widget's resend
    ack = await receive(ws, "ack")
    assert ack["duplicate"] is False
    await ws.close()


async def _action_server(handler: Callable[[web.Request], Any]) -> TestServer:
    app = web.Application()
    app.router.add_post("/webhook", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_a_slow_remote_action_server_gets_an_apology_in_time(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({"events": [], "responses": []})

    actions = await _action_server(slow)
    try:
        settings = make_settings(
            action_server_url=str(actions.make_url("/webhook")), action_timeout=0.3
        )
        client = await aiohttp_client(create_app(settings))
        started = asyncio.get_running_loop().time()
        resp = await client.post(WEBHOOK, json={"sender": "s", "message": "are you open now"})
        took = asyncio.get_running_loop().time() - started
        assert resp.status == 200
        assert (await resp.json())[0]["text"].startswith("Sorry, I couldn't do that just now.")
        assert took < 2.0
    finally:
        await actions.close()


async def test_a_remote_action_server_that_is_down_gets_an_apology(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(action_server_url="http://127.0.0.1:9/webhook")
    client = await aiohttp_client(create_app(settings))
    resp = await client.post(WEBHOOK, json={"sender": "d", "message": "are you open now"})
    assert resp.status == 200
    assert (await resp.json())[0]["text"].startswith("Sorry, I couldn't do that just now.")


async def test_a_remote_action_server_speaking_rasas_protocol_is_used(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    seen: list[dict[str, Any]] = []

    async def rasa(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.json_response(
            {
                "events": [{"event": "slot", "name": "x", "value": 1}],
                "responses": [{"text": "from the action server"}],
            }
        )

    actions = await _action_server(rasa)
    try:
        client = await aiohttp_client(
            create_app(make_settings(action_server_url=str(actions.make_url("/webhook"))))
        )
        resp = await client.post(WEBHOOK, json={"sender": "r", "message": "are you open now"})
        assert (await resp.json())[0]["text"] == "from the action server"
        call = seen[0]
        assert call["next_action"] == "action_echo_slots"
        assert call["tracker"]["sender_id"] == "r"
        assert call["tracker"]["latest_message"]["intent"]["name"] == "open-now"
        assert json.dumps(call)  # a plain JSON document
    finally:
        await actions.close()


async def test_health_says_failing_while_the_store_cannot_take_a_write(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    """Issue #15: while the disk was full /health still said ok. The probe writes; a trigger
    fails that write as a full disk fails SQLite's (the other test of this file does too)."""
    client = await aiohttp_client(create_app(make_settings()))
    assert (await client.get("/health")).status == 200  # the probe's table now exists
    database = client.app[DATABASE]
    await database.run(
        lambda db: db.execute(
            "CREATE TRIGGER full BEFORE INSERT ON health_probe"
            " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    )
    resp = await client.get("/health")
    body = await resp.json()
    assert resp.status == 503, body
    assert body["status"] == "failing" and body["store"] == "failing: database or disk is full"
    assert str(make_settings().db.parent) not in json.dumps(body)  # no paths of the disk
    await database.run(lambda db: db.execute("DROP TRIGGER full"))
    assert (await client.get("/health")).status == 200  # and says so again when it recovers


def test_a_store_that_cannot_be_opened_is_one_line_and_never_says_serving(
    tmp_path: Path,
) -> None:
    """Issue #15: a read-only store printed 'serving', then died with a traceback."""
    folder = tmp_path / "a-folder-not-a-file"
    folder.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--db", str(folder), "--kb", "tests/fixtures/kb",
         "--port", "0", "--encoder", "off", "--actions-package", "tests.support.echo_actions"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "serving" not in done.stdout
    assert "Traceback" not in done.stderr
    assert f"balcao: cannot open the store at {folder}" in done.stderr.splitlines()[-1]


async def test_full_synchronous_is_a_setting(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings(sqlite_synchronous="full")))
    level = await client.app[DATABASE].run(
        lambda db: db.execute("PRAGMA synchronous").fetchone()[0]
    )
    assert level == 2  # FULL; the default NORMAL is 1
