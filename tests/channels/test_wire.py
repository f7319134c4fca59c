"""Wire payloads (channels/wire): bodies and frames are checked against their declared
TypedDicts at the edge, and /api/openapi.json describes each body from that declaration."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.config import Settings
from bot.understanding.matching import FuzzyMatcher
from channels.wire import schema
from channels.wire.api import BODIES
from tests.conftest import FIXTURES, TEST_ACTIONS
from tests.security.conftest import bearer, make_agent

ADMIN = "root@shop.example"
SIGNED = ("POST", "/api/shop/events")  # refused for its signature before its body is read


# one server for the module: each test sends its own bodies and frames, and reads only
# the answers to them
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def wire_client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TestClient]:
    root = tmp_path_factory.mktemp("wire")
    shutil.copytree(FIXTURES / "kb", root / "kb")
    settings = Settings.from_env(
        {},
        db=root / "balcao.sqlite3",
        kb=root / "kb",
        actions_package=TEST_ACTIONS,
        encoder=os.environ["BALCAO_ENCODER"],
        business_hours="always",
        auto_assign=False,
    )
    client = TestClient(TestServer(create_app(settings, matcher_factory=FuzzyMatcher)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin(wire_client: TestClient) -> str:
    """An admin's token, online."""
    return await make_agent(wire_client, ADMIN, "admin")


def _required(kind: type[Any]) -> list[str]:
    return list(schema(kind)["required"])


async def test_the_document_describes_each_body_as_its_handler_reads_it(
    wire_client: TestClient,
) -> None:
    spec = await (await wire_client.get("/api/openapi.json")).json()
    routes = {
        (r.method, r.resource.canonical) for r in wire_client.app.router.routes() if r.resource
    }
    for (method, path), kind in BODIES.items():
        assert (method, path) in routes, (method, path)
        described = spec["paths"][path][method.lower()]["requestBody"]
        assert described["content"]["application/json"]["schema"] == schema(kind), path
    # the sockets' frames are in the document too
    schemas = spec["components"]["schemas"]
    assert schemas["WidgetFeedbackRequest"]["required"] == ["type", "entry", "seq", "helpful"]
    assert schemas["ConsoleTypingRequest"]["properties"]["on"] == {"type": "boolean"}
    assert schemas["RestReply"]["required"] == ["recipient_id"]


@pytest.mark.parametrize(
    ("method", "path"), [route for route in BODIES if route != SIGNED], ids=lambda v: v
)
async def test_a_body_with_a_wrongly_typed_field_is_refused_naming_the_field(
    wire_client: TestClient, admin: str, method: str, path: str
) -> None:
    reply = await wire_client.post(
        "/webhooks/rest/webhook", json={"sender": "gus", "message": "I want to talk to a person"}
    )
    assert reply.status == 200
    field = _required(BODIES[(method, path)])[0]
    response = await wire_client.request(
        method, path.replace("{id}", "1"), json={field: [1]}, headers=bearer(admin)
    )
    assert response.status == 400, await response.text()
    error = (await response.json())["error"]
    assert error["message"].startswith(f"'{field}' "), error


async def test_a_body_keeps_its_old_error_codes(wire_client: TestClient) -> None:
    for body, code in (
        ({"message": "hi"}, "invalid_sender"),
        ({"sender": "a", "message": 5}, "missing_message"),
        ({"sender": "a", "message": "hi", "metadata": [1]}, "invalid_metadata"),
    ):
        response = await wire_client.post("/webhooks/rest/webhook", json=body)
        assert response.status == 400
        assert (await response.json())["error"]["code"] == code, body


async def _next(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
        if frame["type"] == kind:
            return frame


async def test_a_widget_frame_with_a_wrongly_typed_field_gets_an_error_frame_naming_it(
    wire_client: TestClient,
) -> None:
    async with wire_client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello"})
        await _next(ws, "welcome")
        await ws.send_json({"type": "typing", "on": "yes"})
        error = await _next(ws, "error")
        assert error["code"] == "invalid_on" and error["message"].startswith("'on' "), error
        await ws.send_json({"type": "feedback", "entry": "returns", "seq": "2", "helpful": True})
        error = await _next(ws, "error")
        assert error["code"] == "invalid_feedback" and error["message"].startswith("'seq' ")
        await ws.send_json({"type": "message", "id": "m1", "text": ["hi"]})
        error = await _next(ws, "error")
        assert error == {
            "type": "error",
            "code": "missing_message",
            "message": error["message"],
            "id": "m1",
        }
        assert error["message"].startswith("'text' ")
        await ws.send_json({"type": "ping"})
        assert (await _next(ws, "pong")) == {"type": "pong"}  # still open


async def test_a_console_frame_with_a_wrongly_typed_field_gets_an_error_frame_naming_it(
    wire_client: TestClient, admin: str
) -> None:
    async with wire_client.ws_connect("/api/agent/ws") as ws:
        await ws.send_json({"type": "auth", "token": admin})
        await _next(ws, "ready")
        await ws.send_json({"type": "typing", "handoff_id": 1, "on": "yes"})
        error = await _next(ws, "error")
        assert error["code"] == "invalid_on" and error["message"].startswith("'on' "), error
        await ws.send_json({"type": "dance"})
        assert (await _next(ws, "error"))["code"] == "unknown_type"
        assert not ws.closed
