"""A whole handoff across three server processes on one PostgreSQL and one Redis.

The customer's widget is connected to A, agents log in on B and C: the queue
reaches every console, one of two concurrent claims wins, the agent's message
reaches the customer live, the customer's reply is visible everywhere, and the
resolve gives the customer the rating prompt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.scale.servers import PASSWORD, Server, add_agents, receive, stop_all

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def servers(tmp_path: Path, kb_dir: Path, pg_url: str, redis_url: str) -> Iterator[list[Server]]:
    started = [Server(name, tmp_path, kb_dir, pg_url, redis_url) for name in "ABC"]
    for server in started:
        server.spawn()  # each applies the migrations it finds pending, once between them
    try:
        add_agents(pg_url, ("ana@shop.example", "Ana"), ("bea@shop.example", "Bea"))
        yield started
    finally:
        stop_all(started)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(http: aiohttp.ClientSession, server: Server, email: str) -> str:
    async with http.post(
        server.url + "/api/auth/login", json={"email": email, "password": PASSWORD}
    ) as resp:
        assert resp.status == 200, await resp.text()
        token: str = (await resp.json())["token"]
    async with http.post(
        server.url + "/api/agents/me/status", json={"status": "online"}, headers=auth(token)
    ) as resp:
        assert resp.status == 200, await resp.text()
    return token


async def test_a_handoff_runs_across_three_processes(servers: list[Server]) -> None:
    a, b, c = servers
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(s.ready(http) for s in servers))
        ana = await login(http, b, "ana@shop.example")
        bea = await login(http, c, "bea@shop.example")
        console = await http.ws_connect(c.url + "/api/agent/ws")
        await console.send_json({"type": "auth", "token": bea})
        await receive(console, "ready")
        assert (await receive(console, "queue"))["handoffs"] == []

        customer = await http.ws_connect(a.url + "/ws")
        await customer.send_json({"type": "hello", "language": "en"})
        session_id = (await receive(customer, "welcome"))["session_id"]
        await customer.send_json(
            {"type": "message", "id": "m1", "text": "I want to talk to a person"}
        )
        assert (await receive(customer, "queue"))["position"] == 1

        # the queue change made on A reaches the console on C through Redis
        queue = await receive(console, "queue")
        while not queue["handoffs"]:
            queue = await receive(console, "queue")
        [row] = queue["handoffs"]
        assert row["conversation_id"] == f"web:{session_id}"

        async with http.get(b.url + "/api/handoffs?status=waiting", headers=auth(ana)) as resp:
            assert [h["id"] for h in await resp.json()] == [row["id"]]

        async def claim(server: Server, token: str) -> int:
            async with http.post(
                f"{server.url}/api/handoffs/{row['id']}/claim", headers=auth(token)
            ) as resp:
                return resp.status

        statuses = await asyncio.gather(claim(b, ana), claim(c, bea))
        assert sorted(statuses) == [200, 409]
        winner, name = (ana, "Ana") if statuses[0] == 200 else (bea, "Bea")

        async with http.post(
            f"{b.url}/api/handoffs/{row['id']}/messages",
            json={"text": "Hello, how can I help?"},
            headers=auth(winner),
        ) as resp:
            assert resp.status == 201, await resp.text()
        message = await receive(customer, "message")
        while message["role"] != "agent":
            message = await receive(customer, "message")
        assert (message["text"], message["name"]) == ("Hello, how can I help?", name)

        await customer.send_json({"type": "message", "id": "m2", "text": "my parcel is late"})
        assert (await receive(customer, "ack"))["id"] == "m2"
        detail = await _detail(http, c, row["id"], winner)
        texts = [(e["kind"], e.get("text")) for e in detail["transcript"]]
        assert ("agent", "Hello, how can I help?") in texts
        assert texts[-1] == ("user", "my parcel is late")
        assert detail["handoff"]["status"] == "assigned"

        async with http.post(
            f"{c.url}/api/handoffs/{row['id']}/resolve", headers=auth(winner)
        ) as resp:
            assert resp.status == 200, await resp.text()
        prompt = await receive(customer, "message")
        while not prompt.get("buttons"):
            prompt = await receive(customer, "message")
        assert prompt["role"] == "bot" and len(prompt["buttons"]) >= 2
        await customer.close()
        await console.close()


async def _detail(
    http: aiohttp.ClientSession, server: Server, handoff_id: int, token: str
) -> dict[str, Any]:
    async with http.get(f"{server.url}/api/handoffs/{handoff_id}", headers=auth(token)) as resp:
        assert resp.status == 200, await resp.text()
        detail: dict[str, Any] = await resp.json()
    return detail
