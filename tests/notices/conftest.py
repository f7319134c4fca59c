"""Notices' fixtures: a real SMTP server (aiosmtpd) on 127.0.0.1, the shop imported."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, str]]:
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
