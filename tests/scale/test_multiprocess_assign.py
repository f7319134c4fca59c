"""Three `balcao serve` processes on one PostgreSQL and one Redis act as one desk.

200 customers ask for a person at once, spread over the three processes, while 5 agents
with room for 3 chats each go online on different processes: no agent is given more than
3 (capacity is decided in the database, not under a per-process lock), every customer's
conversation has exactly one handoff (assigned or waiting), and every process lists the
same queue in the same order (positions come from the store).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.scale.servers import PASSWORD, Server, add_agents, stop_all

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

CUSTOMERS = 200
AGENTS = [(f"agent{i}@shop.example", f"Agent {i}") for i in range(5)]
LIFTED = ["--messages-per-minute", "1000000", "--ip-messages-per-minute", "1000000000",
          "--ip-handoffs-per-hour", "1000000",
          "--max-connections-per-ip", "1000000"]  # fmt: skip


@pytest.fixture
def servers(tmp_path: Path, kb_dir: Path, pg_url: str, redis_url: str) -> Iterator[list[Server]]:
    started = [Server(name, tmp_path, kb_dir, pg_url, redis_url) for name in "ABC"]
    for server in started:
        auto = server.args.index("--auto-assign")
        server.args[auto + 1] = "yes"
        server.args += LIFTED
        server.spawn()
    try:
        add_agents(pg_url, *AGENTS)  # max_chats 3, the default
        yield started
    finally:
        stop_all(started)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_capacity_and_queue_hold_across_three_processes(servers: list[Server]) -> None:
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(s.ready(http) for s in servers))

        async def login(server: Server, email: str) -> str:
            body = {"email": email, "password": PASSWORD}
            async with http.post(server.url + "/api/auth/login", json=body) as resp:
                assert resp.status == 200, await resp.text()
                token: str = (await resp.json())["token"]
            return token

        tokens = [await login(servers[i % 3], email) for i, (email, _) in enumerate(AGENTS)]

        async def ask(n: int) -> None:
            body = {"sender": f"customer-{n:03d}", "message": "speak to a human"}
            async with http.post(servers[n % 3].url + "/webhooks/rest/webhook", json=body) as resp:
                assert resp.status == 200, await resp.text()

        async def online(i: int) -> None:
            await asyncio.sleep(0.01 * i)
            async with http.post(
                servers[(i + 1) % 3].url + "/api/agents/me/status",
                json={"status": "online"}, headers=auth(tokens[i]),
            ) as resp:  # fmt: skip
                assert resp.status == 200, await resp.text()

        await asyncio.gather(*(ask(n) for n in range(CUSTOMERS)), *(online(i) for i in range(5)))

        async def listed(server: Server, status: str) -> list[dict[str, object]]:
            async with http.get(
                f"{server.url}/api/handoffs?status={status}", headers=auth(tokens[0])
            ) as resp:
                assert resp.status == 200, await resp.text()
                rows: list[dict[str, object]] = await resp.json()
            return rows

        assigned = await listed(servers[0], "assigned")
        waiting = await listed(servers[0], "waiting")
        loads = Counter(str(h["agent"]) for h in assigned)
        assert loads and max(loads.values()) <= 3, loads
        conversations = Counter(str(h["conversation_id"]) for h in assigned + waiting)
        assert len(conversations) == CUSTOMERS and set(conversations.values()) == {1}
        queues = [[h["id"] for h in await listed(s, "waiting")] for s in servers]
        assert queues[0] == queues[1] == queues[2] == [h["id"] for h in waiting]
