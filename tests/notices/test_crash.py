"""kill -9 and restart around a notice: it is sent, and sent once."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

from bot.cli.shop import import_shop
from tests.notices.conftest import Sink, ship
from tests.ops.test_crash_recovery import ROOT, Server
from tests.support.network import free_port


class NoticeServer(Server):
    def __init__(self, db: Path, kb: Path, port: int, smtp_url: str) -> None:
        super().__init__(db, kb, port)
        self.env = {
            **os.environ,
            "BALCAO_SMTP_URL": smtp_url,
            "BALCAO_MAIL_FROM": "help@shop.example",
            "BALCAO_NOTICE_POLL_SECONDS": "0.2",
            "BALCAO_NOTICE_QUIET_HOURS": "00:00-00:00",
        }

    def spawn(self) -> None:
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )


async def test_kill_9_and_restart_around_an_import_send_the_notice_exactly_once(
    tmp_path: Path, notice_kb: Path, shop_copy: Path, smtp: tuple[Sink, str]
) -> None:
    sink, url = smtp
    db = tmp_path / "crash.sqlite3"
    import_shop(shop_copy, db, kb=notice_kb)
    server = NoticeServer(db, notice_kb, free_port(), url)
    await server.start()
    try:
        # killed before its scan could see the change
        ship(shop_copy, "100004", "CTT", "CT000000009PT")
        await asyncio.to_thread(import_shop, shop_copy, db, kb=notice_kb)
        server.kill()
        await server.start()
        assert await asyncio.to_thread(sink.wait, 1, 30)
        # killed after sending: the restart sends nothing more
        server.kill()
        await asyncio.to_thread(import_shop, shop_copy, db, kb=notice_kb)
        await server.start()
        await asyncio.sleep(1.5)
        assert len(sink.received()) == 1
        assert "CT000000009PT" in sink.received()[0].get_payload(decode=True).decode()
    finally:
        server.kill()
