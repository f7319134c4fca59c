"""#20: a notice reaches the customer's open widget as soon as it is sent, not at the next
visit: once, and within consent and quiet hours exactly as the email."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientWebSocketResponse

from bot.app import create_app
from bot.cli.shop import import_shop
from bot.config import Settings
from bot.core.identity import identity_hash
from bot.core.notices import Due
from channels.keys import NOTICES
from tests.notices.conftest import Clock, Sink
from tests.notices.test_order_notices import SECRET, notice_settings, wait_for

NIGHT = datetime(2026, 6, 16, 1, 0, tzinfo=UTC)  # 02:00 in Lisbon: quiet hours
MORNING = datetime(2026, 6, 16, 10, 0, tzinfo=UTC)


async def open_widget(client: Any, customer_id: str) -> ClientWebSocketResponse:
    ws: ClientWebSocketResponse = await client.ws_connect("/ws")
    hash_ = identity_hash(SECRET, customer_id)
    await ws.send_json(
        {"type": "hello", "metadata": {"customer_id": customer_id, "identifier_hash": hash_}}
    )
    assert (await ws.receive_json(timeout=5))["type"] == "welcome"
    return ws


async def notices_within(ws: ClientWebSocketResponse, seconds: float) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    while True:
        try:
            frame = await ws.receive_json(timeout=seconds)
        except TimeoutError:
            return frames
        if frame["type"] == "notice":
            frames.append(frame)


async def test_a_notice_reaches_the_open_widget_at_once_once_and_not_in_quiet_hours(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    notice_kb: Path,
    shop_copy: Path,
    smtp: tuple[Sink, str],
) -> None:
    sink, url = smtp
    settings = replace(
        notice_settings(make_settings, notice_kb, url), notice_quiet_hours="21:00-09:00"
    )
    import_shop(shop_copy, settings.db, kb=notice_kb)
    client = await aiohttp_client(create_app(settings))
    service = client.app[NOTICES]
    clock = Clock(NIGHT)
    service.clock = clock
    tabs = [await open_widget(client, "C2"), await open_widget(client, "C2")]
    values = {"order_id": "100004", "carrier": "CTT", "tracking_code": "CT000000009PT"}
    await service.store.enqueue([Due("order.shipped", "C2", "100004", NIGHT, values)], NIGHT)

    # quiet hours in the customer's zone: neither the email nor the widget
    await asyncio.sleep(1.0)
    assert sink.received() == []
    assert [await notices_within(ws, 0.1) for ws in tabs] == [[], []]

    # morning: the email goes, and the open widget shows the notice without a reconnect,
    # in one of the customer's two tabs only
    clock.now = MORNING
    await wait_for(sink, 1, 10)
    shown = [await notices_within(ws, 1.0) for ws in tabs]
    assert sorted(len(s) for s in shown) == [0, 1]
    [notice] = [n for s in shown for n in s]
    assert "CT000000009PT" in notice["text"] and "100004" in notice["title"]
    later = await open_widget(client, "C2")
    assert await notices_within(later, 0.5) == []  # and not again at the next visit

    # "stop" in chat: the next service notice is held back from the widget as from email
    await later.send_json({"type": "message", "id": "m1", "text": "parar"})
    assert "text" in (await notices_within(later, 0.5))[0]  # the "stopped" confirmation
    clock.now = MORNING.replace(hour=11)
    await service.store.enqueue(
        [Due("order.delivered", "C2", "100004", clock.now, values)], clock.now
    )
    await asyncio.sleep(1.0)
    assert len(sink.received()) == 1
    assert [await notices_within(ws, 0.1) for ws in (*tabs, later)] == [[], [], []]
    for ws in (*tabs, later):
        await ws.close()
