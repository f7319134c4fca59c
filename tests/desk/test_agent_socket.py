"""Attacks on the agent socket (/api/agent/ws) and the agents' accounts (issue #15, 8).

Before: 1,000 unauthenticated sockets from one address were all accepted and kept open;
a socket's login was checked on its first frame only, so after logout or expiry it kept
streaming conversations; a new password left the old tokens working; an agent could be
neither disabled nor removed.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.cli.program import main
from bot.config import Settings
from bot.core.agents import hash_password
from bot.core.handoff import choose_agent
from channels.keys import AGENTS
from tests.channels.test_widget import hello, receive
from tests.desk.conftest import PASSWORD, AddAgent, auth
from tests.desk.test_routing import handoff

WS = "/api/agent/ws"


async def closed_with(ws: ClientWebSocketResponse, wait: float = 3.0) -> tuple[int | None, str]:
    """Read until the server closes the socket; its close code and reason."""
    deadline = time.monotonic() + wait
    while True:
        msg = await asyncio.wait_for(ws.receive(), max(0.01, deadline - time.monotonic()))
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
            return ws.close_code, str(msg.extra or "")


async def authenticated(client: TestClient, token: str) -> ClientWebSocketResponse:
    ws = await client.ws_connect(WS)
    await ws.send_json({"type": "auth", "token": token})
    await receive(ws, "ready")
    return ws


async def test_agent_sockets_from_one_address_are_capped(desk_client: TestClient) -> None:
    cap = Settings().agent_sockets_per_ip

    async def connect() -> ClientWebSocketResponse | int:
        try:
            return await desk_client.ws_connect(WS)
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status

    results = await asyncio.gather(*(connect() for _ in range(60)))

    opened = [r for r in results if isinstance(r, ClientWebSocketResponse)]
    assert len(opened) == cap
    assert [r for r in results if not isinstance(r, ClientWebSocketResponse)] == [429] * (60 - cap)
    await opened[0].close()
    await asyncio.sleep(0.05)
    again = await desk_client.ws_connect(WS)  # a closed socket gives its place back
    await again.close()
    for ws in opened[1:]:
        await ws.close()


@pytest.fixture
def quick_settings(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"business_hours": "always", "auto_assign": False}
        return make_settings(**{**values, **overrides})

    return make


async def _client_with(aiohttp_client: Any, settings: Settings) -> TestClient:
    client: TestClient = await aiohttp_client(create_app(settings))
    return client


async def _login(client: TestClient, email: str = "ana@shop.example") -> str:
    from bot.core.agents import new_agent

    await client.app[AGENTS].save(
        new_agent(email, "Ana", "agent", ("en",)), hash_password(PASSWORD), time.time()
    )
    response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status == 200, await response.text()
    token: str = (await response.json())["token"]
    return token


async def test_a_socket_that_does_not_authenticate_in_time_is_closed(
    aiohttp_client: Any, quick_settings: Callable[..., Settings]
) -> None:
    client = await _client_with(aiohttp_client, quick_settings(agent_auth_seconds=0.3))
    ws = await client.ws_connect(WS)
    assert (await receive(ws, "error"))["code"] == "auth_timeout"
    assert (await closed_with(ws))[0] == 4408


async def test_logout_closes_the_agents_open_socket_at_once(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    token = await add_agent()
    ws = await authenticated(desk_client, token)

    response = await desk_client.post("/api/auth/logout", headers=auth(token))
    assert response.status == 200

    assert (await receive(ws, "error"))["code"] == "session_ended"
    assert (await closed_with(ws, wait=2.0))[0] == 4401


async def test_an_expired_login_is_closed_by_the_periodic_recheck(
    aiohttp_client: Any, quick_settings: Callable[..., Settings]
) -> None:
    settings = quick_settings(session_hours=2.0 / 3600, agent_recheck_seconds=0.2)
    client = await _client_with(aiohttp_client, settings)
    token = await _login(client)
    ws = await authenticated(client, token)
    # nothing sent by the agent: the server finds out by itself within a recheck or two
    assert (await closed_with(ws, wait=6.0))[0] == 4401


async def test_every_frame_rechecks_the_login(desk_client: TestClient, add_agent: AddAgent) -> None:
    token = await add_agent()
    ws = await authenticated(desk_client, token)
    await desk_client.app[AGENTS].end_session(token)  # as another process would: no broadcast

    await ws.send_json({"type": "watch", "handoff_id": 1})

    assert (await receive(ws, "error"))["code"] == "session_ended"
    assert (await closed_with(ws))[0] == 4401


async def test_a_new_password_revokes_every_session_and_closes_sockets(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    token = await add_agent()
    response = await desk_client.post(  # a second login of the same agent
        "/api/auth/login", json={"email": "ana@shop.example", "password": PASSWORD}
    )
    other = (await response.json())["token"]
    ws = await authenticated(desk_client, token)
    agent = await desk_client.app[AGENTS].get("ana@shop.example")
    assert agent is not None

    await desk_client.app[AGENTS].save(agent, hash_password("a brand new passphrase"), 1.0)

    for old in (token, other):
        assert (await desk_client.get("/api/me", headers=auth(old))).status == 401
    await ws.send_json({"type": "watch", "handoff_id": 1})
    assert (await closed_with(ws))[0] == 4401


async def test_a_disabled_agent_cannot_log_in_is_closed_and_gets_no_conversations(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    token = await add_agent()
    ws = await authenticated(desk_client, token)
    store = desk_client.app[AGENTS]

    assert await store.disable("ana@shop.example", time.time())

    await ws.send_json({"type": "watch", "handoff_id": 1})
    assert (await closed_with(ws))[0] == 4401
    assert (await desk_client.get("/api/me", headers=auth(token))).status == 401
    response = await desk_client.post(
        "/api/auth/login", json={"email": "ana@shop.example", "password": PASSWORD}
    )
    assert response.status == 401
    ana = await store.get("ana@shop.example")
    assert ana is not None and ana.disabled and ana.status == "offline"
    await store.set_status("ana@shop.example", "online")  # a stale request cannot revive her
    assert (await store.get("ana@shop.example")) == ana
    assert choose_agent(handoff(), [replace(ana, status="online")], {}) is None


async def test_a_removed_agent_is_gone_with_their_sessions(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    token = await add_agent()
    ws = await authenticated(desk_client, token)
    store = desk_client.app[AGENTS]

    assert await store.remove("ana@shop.example")
    assert not await store.remove("ana@shop.example")

    await ws.send_json({"type": "watch", "handoff_id": 1})
    assert (await closed_with(ws))[0] == 4401
    assert await store.get("ana@shop.example") is None
    assert (await desk_client.get("/api/me", headers=auth(token))).status == 401


async def test_a_closed_socket_streams_no_more_conversation(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    token = await add_agent()
    customer, _ = await hello(desk_client)
    await customer.send_json({"type": "message", "id": "m1", "text": "I want to speak to a human"})
    await receive(customer, "queue")
    [row] = await (
        await desk_client.get("/api/handoffs?status=waiting", headers=auth(token))
    ).json()
    ws = await authenticated(desk_client, token)
    await ws.send_json({"type": "watch", "handoff_id": row["id"]})
    await desk_client.post("/api/auth/logout", headers=auth(token))
    code, _ = await closed_with(ws)
    assert code == 4401

    await customer.send_json({"type": "message", "id": "m2", "text": "my card is 4111 1111"})
    await asyncio.sleep(0.2)
    leftovers = []
    while True:
        msg = await ws.receive(timeout=0.1) if not ws.closed else None
        if msg is None or msg.type != WSMsgType.TEXT:
            break
        leftovers.append(json.loads(msg.data))
    assert not any("4111" in json.dumps(frame) for frame in leftovers)
    await customer.close()


def test_agents_disable_and_remove_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "cli.sqlite3")

    def balcao(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    email = "ana@shop.example"
    add = ("agents", "add", email, "--name", "Ana", "--password-stdin", "--db", db)
    assert balcao(*add, stdin=PASSWORD + "\n")[0] == 0
    assert balcao("agents", "disable", email, "--db", db)[0] == 0
    code, out, _ = balcao("agents", "list", "--db", db)
    assert email in out and "disabled" in out
    assert balcao(*add, stdin=PASSWORD + "\n")[0] == 0  # adding again enables her again
    assert "disabled" not in balcao("agents", "list", "--db", db)[1]
    assert balcao("agents", "remove", email, "--db", db)[0] == 0
    assert email not in balcao("agents", "list", "--db", db)[1]
    code, _, err = balcao("agents", "remove", "nobody@shop.example", "--db", db)
    assert (code, err.strip().splitlines()[-1]) == (2, "balcao: no agent nobody@shop.example")


@pytest.mark.parametrize("weak", ["password", "12345678", "qwertyuiop", "ana@shop.example"])
def test_weak_passwords_are_refused_with_a_clear_message(
    weak: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(weak + "\n"))
    add = ("agents", "add", "ana@shop.example", "--name", "Ana", "--password-stdin")
    code = main([*add, "--db", str(tmp_path / "w.sqlite3")])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2
    assert err.startswith("balcao: the password is too easy to guess"), err
