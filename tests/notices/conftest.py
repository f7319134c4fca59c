"""Notices' fixtures: a real SMTP server (aiosmtpd) on 127.0.0.1, the shop imported."""

from __future__ import annotations

import logging
import shutil
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, time
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.adapters.smtp import SmtpConfig, SmtpMailer
from bot.adapters.sqlite.customers import SqliteCustomerStore
from bot.adapters.sqlite.database import SqliteDatabase
from bot.adapters.sqlite.notices import SqliteNoticeStore
from bot.app import MIGRATIONS
from bot.cli.shop import import_shop
from bot.core.notices import Restraint
from bot.knowledge.notices import load_templates
from bot.services.notices import NoticeService

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "tests" / "shop" / "fixtures" / "shop"


class Sink:
    """Collects every message the SMTP server accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
            self.lock.notify_all()
        return "250 OK"

    def wait(self, count: int, seconds: float) -> bool:
        """Block until `count` messages came (True) or `seconds` passed (False)."""
        with self.lock:
            return self.lock.wait_for(lambda: len(self.messages) >= count, seconds)

    def received(self) -> list[Message]:
        with self.lock:
            return list(self.messages)


def subject_of(mail: Message) -> str:
    """The Subject as read, whatever its encoding (a € is sent encoded)."""
    return str(make_header(decode_header(mail["Subject"])))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, str]]:
    # aiosmtpd logs each connection from its own thread, which may outlive the test's
    # captured output (a server process's connection closing late): keep it to warnings
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


@pytest.fixture
def notice_kb(kb_dir: Path) -> Path:
    """The test knowledge base with the shipped notice triggers."""
    for lang in ("en", "pt", "es"):
        shutil.copytree(REPO / "knowledge" / lang / "notices", kb_dir / lang / "notices")
    return kb_dir


@pytest.fixture
def shop_copy(tmp_path: Path) -> Path:
    target = tmp_path / "shop"
    shutil.copytree(SHOP, target)
    return target


def ship(shop: Path, order_id: str, carrier: str, code: str) -> None:
    """Edit orders.csv as a shop's next export would: the order moved to shipped."""
    path = shop / "orders.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        cells = line.split(",")
        if cells[0] == order_id:
            cells[3], cells[6], cells[7] = "shipped", carrier, code
        out.append(",".join(cells))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


NOON = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def world(
    tmp_path: Path, notice_kb: Path, shop_copy: Path, smtp: tuple[Sink, str]
) -> AsyncIterator[tuple[NoticeService, Sink, Clock, dict[str, bool]]]:
    sink, url = smtp
    db_path = tmp_path / "n.sqlite3"
    import_shop(shop_copy, db_path, kb=notice_kb)
    database = await SqliteDatabase(db_path, MIGRATIONS).open()
    mailer = SmtpMailer(SmtpConfig.parse(url))
    clock = Clock(NOON)
    complaints: dict[str, bool] = {}

    async def open_complaint(customer_id: str) -> bool:
        return complaints.get(customer_id, False)

    async def value_of(customer_id: str) -> tuple[str | None, str | None]:
        return ("top", "dissolution") if customer_id != "C4" else ("low-value", "growth")

    templates = load_templates(notice_kb)
    service = NoticeService(
        SqliteNoticeStore(database),
        SqliteCustomerStore(database),
        lambda: templates,
        mailer=mailer,
        rules=Restraint(max_per_week=2, quiet_start=time(21), quiet_end=time(9)),
        mail_from="help@shop.example",
        public_url="https://shop.example",
        key=b"k" * 32,
        open_complaint=open_complaint,
        value_of=value_of,
        default_timezone="Europe/Lisbon",
        clock=clock,
    )
    yield service, sink, clock, complaints
    await mailer.close()
    await database.close()


World = tuple[NoticeService, Sink, Clock, dict[str, bool]]
