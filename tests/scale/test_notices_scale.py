"""Three server processes on PostgreSQL and Redis send each due notice exactly once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import subprocess
import time
from collections import Counter
from pathlib import Path

import aiohttp

from tests.notices.conftest import Sink, notice_kb, smtp  # noqa: F401 (fixtures)
from tests.scale.servers import ROOT, Server, stop_all

SECRET = "shop-secret"
N = 30


class NoticeServer(Server):
    def __init__(
        self, name: str, tmp: Path, kb: Path, database: str, redis: str, smtp_url: str
    ) -> None:
        super().__init__(name, tmp, kb, database, redis)
        self.env = {
            **os.environ,
            "BALCAO_SMTP_URL": smtp_url,
            "BALCAO_MAIL_FROM": "help@shop.example",
            "BALCAO_SHOP_SECRET": SECRET,
            "BALCAO_NOTICE_POLL_SECONDS": "0.1",
            "BALCAO_NOTICE_QUIET_HOURS": "00:00-00:00",
            "BALCAO_NOTICE_MAX_PER_WEEK": "100",
        }

    def spawn(self) -> None:
        args = [str(self.port) if a == "PORT" else a for a in self.args]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )


async def post_event(
    session: aiohttp.ClientSession, url: str, kind: str, data: dict[str, str]
) -> None:
    body = json.dumps({"type": kind, "data": data}).encode()
    stamp = str(int(time.time()))
    mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    async with session.post(
        url + "/api/shop/events", data=body, headers={"X-Balcao-Signature": f"t={stamp},v1={mac}"}
    ) as resp:
        assert resp.status == 200, await resp.text()


def order(n: int, status: str) -> dict[str, str]:
    return {
        "order_id": f"O{n}",
        "customer_id": f"K{n}",
        "created_at": "2026-06-01T10:00:00Z",
        "status": status,
        "total": "10.00",
        "currency": "EUR",
        "carrier": "CTT" if status == "shipped" else "",
        "tracking_code": f"TRK{n}" if status == "shipped" else "",
    }


async def test_three_processes_send_each_due_notice_exactly_once(
    tmp_path: Path,
    notice_kb: Path,  # noqa: F811 (the fixture)
    pg_url: str,
    redis_url: str,
    smtp: tuple[Sink, str],  # noqa: F811 (the fixture)
) -> None:
    sink, smtp_url = smtp
    servers = [
        NoticeServer(name, tmp_path, notice_kb, pg_url, redis_url, smtp_url) for name in "abc"
    ]
    try:
        for server in servers:
            server.spawn()
        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(s.ready(session) for s in servers))
            for n in range(N):
                url = servers[n % 3].url
                customer = {
                    "customer_id": f"K{n}",
                    "name": f"Kim {n}",
                    "email": f"k{n}@example.com",
                    "language": "en",
                    "created_at": "2026-01-01",
                }
                await post_event(session, url, "customer.updated", customer)
                await post_event(session, url, "order.updated", order(n, "processing"))
            await asyncio.gather(
                *(
                    post_event(
                        session, servers[(n + 1) % 3].url, "order.updated", order(n, "shipped")
                    )
                    for n in range(N)
                )
            )
        assert await asyncio.to_thread(sink.wait, N, 30)
        await asyncio.sleep(1.0)  # every process scans several times more
        received = sink.received()
        assert Counter(str(m["To"]) for m in received) == {f"k{n}@example.com": 1 for n in range(N)}
    finally:
        stop_all(servers)
