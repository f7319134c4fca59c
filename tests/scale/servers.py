"""Real server processes (`python -m bot serve`) on free ports, for the scale-out tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import ClientWebSocketResponse, WSMsgType

from tests.support.network import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


class Server:
    """One `balcao serve` process; its output goes to a log file shown when it fails."""

    def __init__(self, name: str, tmp: Path, kb: Path, database: str, redis: str) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"server-{name}.log"
        self.args = [
            sys.executable, "-m", "bot", "serve", "--port", "PORT",
            "--kb", str(kb),
            "--database", database, "--redis", redis,
            "--actions-package", "tests.support.echo_actions",
            "--business-hours", "always", "--auto-assign", "no",
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        args = [str(self.port) if a == "PORT" else a for a in self.args]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    async def ready(self, session: aiohttp.ClientSession, within_s: float = 60.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while loop.time() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                if "address already in use" in self.output():
                    # the free port was taken meanwhile (an outgoing connection's port): another
                    self.port = free_port()
                    self.url = f"http://127.0.0.1:{self.port}"
                    self.spawn()
                    continue
                raise AssertionError(f"server {self.name} exited:\n{self.output()}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(self.url + "/health") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.05)
        raise AssertionError(f"server {self.name} did not start:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def add_agents(database: str, *people: tuple[str, str]) -> None:
    """`balcao agents add EMAIL --name NAME ... --database URL` for each (email, name), at once."""
    running = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "agents",
                "add",
                email,
                "--name",
                name,
                "--password-stdin",
                "--languages",
                "en,pt",
                "--database",
                database,
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for email, name in people
    ]
    for process in running:
        _, err = process.communicate(PASSWORD + "\n", timeout=60)
        assert process.returncode == 0, err


def stop_all(servers: list[Server]) -> None:
    for server in servers:
        if server.process is not None and server.process.poll() is None:
            server.process.terminate()
    for server in servers:
        server.stop()


async def receive(ws: ClientWebSocketResponse, kind: str, wait: float = 5.0) -> dict[str, Any]:
    """The next frame of type `kind`, skipping others."""
    while True:
        msg = await asyncio.wait_for(ws.receive(), wait)
        assert msg.type == WSMsgType.TEXT, msg
        frame: dict[str, Any] = json.loads(msg.data)
        if frame["type"] == kind:
            return frame
