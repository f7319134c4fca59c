"""An order moved to shipped, by a re-import or the signed webhook: one email, one widget
notice, whatever restarts happen in between."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

from bot.app import create_app
from bot.cli.shop import import_shop
from bot.config import Settings
from bot.core.identity import identity_hash
from tests.notices.conftest import Sink, ship

SECRET = "test-secret"
SHOP_SECRET = "shop-secret"


def notice_settings(make_settings: Callable[..., Settings], kb: Path, smtp_url: str) -> Settings:
    return make_settings(
        kb=kb,
        secret=SECRET,
        shop_secret=SHOP_SECRET,
        smtp_url=smtp_url,
        mail_from="help@shop.example",
        public_url="https://shop.example",
        notice_poll_seconds=0.1,
        notice_quiet_hours="00:00-00:00",
    )


async def wait_for(sink: Sink, count: int, seconds: float = 30.0) -> None:
    await asyncio.to_thread(sink.wait, count, seconds)


async def widget_notices(client: Any, customer_id: str) -> list[dict[str, Any]]:
    ws = await client.ws_connect("/ws")
    await ws.send_json(
        {
            "type": "hello",
            "metadata": {
                "customer_id": customer_id,
                "identifier_hash": identity_hash(SECRET, customer_id),
            },
        }
    )
    frames = []
    welcome = await ws.receive_json(timeout=5)
    assert welcome["type"] == "welcome"
    while True:
        try:
            frame = await ws.receive_json(timeout=0.5)
        except TimeoutError:
            break
        frames.append(frame)
    await ws.close()
    return [f for f in frames if f["type"] == "notice"]


async def test_reimport_with_an_order_shipped_sends_one_email_and_a_widget_notice(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    notice_kb: Path,
    shop_copy: Path,
    smtp: tuple[Sink, str],
) -> None:
    sink, url = smtp
    settings = notice_settings(make_settings, notice_kb, url)
    import_shop(shop_copy, settings.db, kb=notice_kb)  # the first import announces nothing
    client = await aiohttp_client(create_app(settings))
    ship(shop_copy, "100004", "CTT", "CT000000001PT")
    started = time.monotonic()
    result = await asyncio.to_thread(import_shop, shop_copy, settings.db, kb=notice_kb)
    assert result.notices == 1
    await wait_for(sink, 1)
    assert time.monotonic() - started < 30
    [mail] = sink.received()
    assert mail["To"] == "joao@example.com"
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == "A sua encomenda 100004 está a caminho"  # Portuguese, accents intact
    body = mail.get_payload(decode=True).decode()
    assert "CT000000001PT" in body and "CTT" in body
    assert "https://shop.example/?notice=" in body
    assert mail["List-Unsubscribe"].startswith("<https://shop.example/api/notices/unsubscribe?t=")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # recorded as sent just after the SMTP server took it
    shown: list[dict[str, Any]] = []
    for _ in range(20):
        shown = await widget_notices(client, "C2")
        if shown:
            break
    [notice] = shown
    assert "CT000000001PT" in notice["text"]
    assert await widget_notices(client, "C2") == []  # shown once

    # the same export imported again, and a restart: nothing more goes
    await asyncio.to_thread(import_shop, shop_copy, settings.db, kb=notice_kb)
    await client.close()
    client = await aiohttp_client(create_app(settings))
    await asyncio.sleep(0.5)
    assert len(sink.received()) == 1


def signed(body: bytes, secret: str = SHOP_SECRET, at: int | None = None) -> str:
    stamp = str(at if at is not None else int(time.time()))
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


async def test_signed_webhook_ships_once_and_refuses_unsigned_wrong_and_replayed(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    notice_kb: Path,
    shop_copy: Path,
    smtp: tuple[Sink, str],
) -> None:
    sink, url = smtp
    settings = notice_settings(make_settings, notice_kb, url)
    import_shop(shop_copy, settings.db, kb=notice_kb)
    client = await aiohttp_client(create_app(settings))
    event = {
        "type": "order.updated",
        "data": {
            "order_id": "100004",
            "customer_id": "C2",
            "created_at": "2026-06-14T10:00:00Z",
            "status": "shipped",
            "total": "64.90",
            "currency": "EUR",
            "carrier": "CTT",
            "tracking_code": "CT000000002PT",
        },
    }
    body = json.dumps(event).encode()
    for headers in (
        {},
        {"X-Balcao-Signature": signed(body, "wrong")},
        {"X-Balcao-Signature": signed(body, at=int(time.time()) - 301)},
        {"X-Balcao-Signature": signed(body + b" ")},
    ):
        resp = await client.post("/api/shop/events", data=body, headers=headers)
        assert resp.status == 401, headers
    await asyncio.sleep(0.3)
    assert sink.received() == []  # nothing changed

    header = signed(body)
    resp = await client.post("/api/shop/events", data=body, headers={"X-Balcao-Signature": header})
    assert resp.status == 200
    assert (await resp.json())["notices"] == 1
    replay = await client.post(
        "/api/shop/events", data=body, headers={"X-Balcao-Signature": header}
    )
    assert replay.status == 401
    await wait_for(sink, 1)
    await asyncio.sleep(0.3)
    [mail] = sink.received()
    assert "CT000000002PT" in mail.get_payload(decode=True).decode()


async def test_a_low_satisfaction_answer_in_chat_opens_an_at_risk_handoff_served_first(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    notice_kb: Path,
    shop_copy: Path,
    smtp: tuple[Sink, str],
) -> None:
    from datetime import UTC, datetime

    from bot.core.notices import Due
    from channels.keys import HANDOFFS, NOTICES

    sink, url = smtp
    settings = notice_settings(make_settings, notice_kb, url)
    import_shop(shop_copy, settings.db, kb=notice_kb)
    client = await aiohttp_client(create_app(settings))
    service = client.app[NOTICES]
    now = datetime.now(UTC)
    await service.store.enqueue([Due("satisfaction.check", "C1", "100002", now, {})], now)
    await wait_for(sink, 1)
    for _ in range(100):  # recorded as sent just after the SMTP server took it
        if any(c.status == "sent" for c in await service.store.counts()):
            break
        await asyncio.sleep(0.02)
    ws = await client.ws_connect("/ws")
    await ws.send_json(
        {
            "type": "hello",
            "metadata": {"customer_id": "C1", "identifier_hash": identity_hash(SECRET, "C1")},
        }
    )
    frames = [await ws.receive_json(timeout=5) for _ in range(2)]
    assert [f["type"] for f in frames] == ["welcome", "notice"]
    await ws.send_json({"type": "message", "id": "m1", "text": "1"})
    reply = await ws.receive_json(timeout=5)
    assert reply["type"] == "notice" and "sorry" in reply["text"]
    await ws.close()
    [handoff] = await client.app[HANDOFFS].list()
    assert handoff.reason == "at_risk" and handoff.customer_id in (None, "C1")
