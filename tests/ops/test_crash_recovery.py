"""kill -9 of a busy server, then a restart: nothing acknowledged is lost or duplicated,
widgets resume their conversations, and the queue and claims are intact."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.network import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def user_messages(db: Path, conversation: str) -> list[tuple[str, int]]:
    """(client message id, seq) of every user event stored for `conversation`."""
    with contextlib.closing(sqlite3.connect(db)) as connection:
        rows = connection.execute(
            "SELECT json_extract(data, '$.message_id'), seq FROM events"
            " WHERE conversation_id = ? AND kind = 'user'",
            [conversation],
        ).fetchall()
    return [(str(message_id), int(seq)) for message_id, seq in rows]


class Server:
    def __init__(self, db: Path, kb: Path, port: int) -> None:
        self.db = db
        self.args = [
            sys.executable, "-m", "bot", "serve", "--db", str(db), "--kb", str(kb),
            "--port", str(port), "--actions-package", "tests.support.echo_actions",
            "--business-hours", "always", "--auto-assign", "no",
            "--messages-per-minute", "10000", "--ip-messages-per-minute", "100000",
        ]  # fmt: skip
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    async def start(self) -> None:
        self.spawn()
        respawns = 0
        async with aiohttp.ClientSession() as session:
            for _ in range(400):
                assert self.process is not None
                if self.process.poll() is not None:
                    # the free port was taken meanwhile (an outgoing connection's port)
                    respawns += 1
                    assert respawns <= 3, "the server keeps exiting at start-up"
                    self.move_to(free_port())
                    self.spawn()
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(self.url + "/health") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.05)
        raise AssertionError("the server did not start")

    def move_to(self, port: int) -> None:
        self.args[self.args.index("--port") + 1] = str(port)
        self.url = f"http://127.0.0.1:{port}"

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def server(tmp_path: Path, kb_dir: Path) -> Iterator[Server]:
    db = tmp_path / "crash.sqlite3"
    subprocess.run(
        [sys.executable, "-m", "bot", "agents", "add", "ana@shop.example", "--name", "Ana",
         "--password-stdin", "--db", str(db)],
        input=PASSWORD + "\n", text=True, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    server = Server(db, kb_dir, free_port())
    yield server
    server.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Customer:
    """A widget session that remembers what the server acknowledged."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.session_id: str | None = None
        self.acked: dict[str, int] = {}  # client message id -> seq
        self.sent = 0

    async def chat(self, http: aiohttp.ClientSession, url: str, texts: list[str]) -> None:
        ws = await http.ws_connect(url.replace("http", "ws") + "/ws")
        await ws.send_json({"type": "hello", "session_id": self.session_id})
        try:
            async for msg in ws:
                frame = msg.json()
                if frame["type"] == "welcome":
                    self.session_id = frame["session_id"]
                    break
            for text in texts:
                self.sent += 1
                message_id = f"{self.name}-{self.sent}"
                await ws.send_json({"type": "message", "id": message_id, "text": text})
                async for msg in ws:
                    frame = msg.json()
                    if frame["type"] == "ack" and frame["id"] == message_id:
                        self.acked[message_id] = frame["seq"]
                        break
        finally:
            await ws.close()


async def history(http: aiohttp.ClientSession, url: str, session_id: str) -> list[dict[str, Any]]:
    ws = await http.ws_connect(url.replace("http", "ws") + "/ws")
    await ws.send_json({"type": "hello", "session_id": session_id})
    async for msg in ws:
        frame = msg.json()
        if frame["type"] == "welcome":
            await ws.close()
            assert frame["resumed"] is True
            result: list[dict[str, Any]] = frame["history"]
            return result
    raise AssertionError("no welcome")


async def test_kill_9_during_busy_conversations_loses_and_duplicates_nothing(
    server: Server, http: aiohttp.ClientSession
) -> None:
    await server.start()
    # an agent holds one conversation
    waiting = Customer("waiting")
    await waiting.chat(http, server.url, ["I want to speak to a human"])
    login = await (
        await http.post(
            server.url + "/api/auth/login", json={"email": "ana@shop.example", "password": PASSWORD}
        )
    ).json()
    headers = {"Authorization": f"Bearer {login['token']}"}
    await http.post(
        server.url + "/api/agents/me/status", json={"status": "online"}, headers=headers
    )
    [row] = await (
        await http.get(server.url + "/api/handoffs?status=waiting", headers=headers)
    ).json()
    assert (
        await http.post(f"{server.url}/api/handoffs/{row['id']}/claim", headers=headers)
    ).status == 200
    agent_said = await http.post(
        f"{server.url}/api/handoffs/{row['id']}/messages",
        json={"text": "Ana here"},
        headers=headers,
    )
    assert agent_said.status == 201
    # a second request waits in the queue
    queued = Customer("queued")
    await queued.chat(http, server.url, ["I want to talk to a person"])

    # busy customers, killed mid-flight
    customers = [Customer(f"c{i}") for i in range(6)]
    texts = ["hello", "return policy", "how long does delivery take", "are you open now"] * 250
    busy = [asyncio.create_task(c.chat(http, server.url, texts)) for c in customers]
    await asyncio.sleep(0.8)
    server.kill()
    await asyncio.gather(*busy, return_exceptions=True)
    acked_before = sum(len(c.acked) for c in customers)
    assert 0 < acked_before < len(customers) * len(texts), "killed while busy"

    await server.start()
    for customer in [*customers, waiting]:
        assert customer.session_id is not None
        # the log is the truth: every acknowledged message once, at the seq it was given
        logged = user_messages(server.db, f"web:{customer.session_id}")
        for message_id, seq in customer.acked.items():
            assert logged.count((message_id, seq)) == 1, f"{message_id} lost or duplicated"
        assert len({m for m, _ in logged}) == len(logged), "a message stored twice"
        # and the widget resumes: the replayed history holds what was acknowledged last (a
        # message stored but not yet acknowledged when the server died may follow it)
        shown = await history(http, server.url, customer.session_id)
        last_id = max(customer.acked, key=customer.acked.__getitem__)
        assert last_id in [m.get("id") for m in shown if m["role"] == "user"]
        seqs = [m["seq"] for m in shown]
        assert seqs == sorted(set(seqs)), "each event once, in order"
    # the widget resends what was not acknowledged: processed once, the rest are duplicates
    resumed = customers[0]
    before = len(resumed.acked)
    await resumed.chat(http, server.url, ["hello"])
    assert len(resumed.acked) == before + 1

    # the agent's session, claim, message and the waiting queue survived
    mine = await (
        await http.get(server.url + "/api/handoffs?status=assigned", headers=headers)
    ).json()
    assert [(h["id"], h["agent"]) for h in mine] == [(row["id"], "ana@shop.example")]
    still_waiting = await (
        await http.get(server.url + "/api/handoffs?status=waiting", headers=headers)
    ).json()
    assert [h["sender"] for h in still_waiting] == [queued.session_id]
    transcript = await (
        await http.get(f"{server.url}/api/handoffs/{row['id']}", headers=headers)
    ).json()
    assert [t["text"] for t in transcript["transcript"] if t["kind"] == "agent"] == ["Ana here"]
