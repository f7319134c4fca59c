"""Limits at the edge, Prometheus metrics and JSON logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import WSServerHandshakeError
from aiohttp.test_utils import TestClient

from bot.adapters.rate_limit import MemoryRateLimiter
from bot.app import create_app
from bot.cli.logs import JsonFormatter, configure_logging
from bot.config import Settings
from tests.channels.test_widget import hello, receive

WEBHOOK = "/webhooks/rest/webhook"


async def test_rest_messages_over_the_per_conversation_limit_get_429(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings(messages_per_minute=3)))
    statuses = [
        (await client.post(WEBHOOK, json={"sender": "fast", "message": "hello"})).status
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    resp = await client.post(WEBHOOK, json={"sender": "fast", "message": "hello"})
    assert resp.headers["Retry-After"] == "60"
    assert (await resp.json())["error"]["code"] == "rate_limited"
    other = await client.post(WEBHOOK, json={"sender": "calm", "message": "hello"})
    assert other.status == 200  # another conversation is not affected


async def test_the_per_address_limit_covers_every_conversation(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings(ip_messages_per_minute=2)))
    statuses = [
        (await client.post(WEBHOOK, json={"sender": f"s{i}", "message": "hello"})).status
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]


async def test_widget_messages_over_the_limit_get_an_error_frame(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings(messages_per_minute=1)))
    ws, _ = await hello(client)
    await ws.send_json({"type": "message", "id": "a", "text": "hello"})
    await receive(ws, "ack")
    await ws.send_json({"type": "message", "id": "b", "text": "hello"})
    error = await receive(ws, "error")
    assert (error["code"], error["id"]) == ("rate_limited", "b")
    await ws.close()


async def test_a_foreign_origin_cannot_open_the_widget_socket(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings(allowed_origins="https://shop.example")))
    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect("/ws", headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403
    allowed = await client.ws_connect("/ws", headers={"Origin": "https://shop.example"})
    await allowed.close()
    own = str(client.make_url("/")).rstrip("/")
    same = await client.ws_connect("/ws", headers={"Origin": own})
    await same.close()
    with pytest.raises(WSServerHandshakeError):
        await client.ws_connect("/api/agent/ws", headers={"Origin": "https://evil.example"})


async def test_connections_per_address_are_capped_and_released(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings(max_connections_per_ip=2)))
    first = await client.ws_connect("/ws")
    second = await client.ws_connect("/ws")
    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect("/ws")
    assert refused.value.status == 429
    await first.close()
    for _ in range(20):  # the server notices the close
        try:
            third = await client.ws_connect("/ws")
            break
        except WSServerHandshakeError:
            import asyncio

            await asyncio.sleep(0.05)
    await third.close()
    await second.close()


async def test_metrics_count_messages_outcomes_handoffs_and_latency(client: TestClient) -> None:
    await client.post(WEBHOOK, json={"sender": "m", "message": "return policy"})
    await client.post(WEBHOOK, json={"sender": "m2", "message": "I want to speak to a human"})
    await client.post(WEBHOOK, json={"sender": "m3", "message": "tell me a joke about penguins"})
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert resp.content_type == "text/plain"
    text = await resp.text()
    lines = set(text.splitlines())
    assert 'balcao_messages_total{channel="rest"} 3' in lines
    assert 'balcao_matches_total{outcome="answer"} 2' in lines
    assert 'balcao_matches_total{outcome="unknown"} 1' in lines
    assert 'balcao_handoffs_total{reason="asked_for_person"} 1' in lines
    assert 'balcao_reply_seconds_count{channel="rest"} 3' in lines
    assert 'balcao_reply_seconds_bucket{channel="rest",le="+Inf"} 3' in lines
    assert "balcao_queue_waiting 1" in lines
    assert "# TYPE balcao_reply_seconds histogram" in lines
    lag = next(line for line in lines if line.startswith("balcao_event_loop_lag_seconds "))
    assert 0.0 <= float(lag.split()[1]) < 1.0


async def test_the_sliding_window_forgets_old_hits() -> None:
    now = [0.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0])
    assert [await limiter.hit("k", 2, 60) for _ in range(3)] == [True, True, False]
    now[0] = 61.0
    assert await limiter.hit("k", 2, 60) is True


def test_json_logs_are_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    try:
        logging.getLogger("bot.test").info("hello %s", "world")
    finally:
        configure_logging("INFO", "text")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    entry = json.loads(line)
    assert entry["message"] == "hello world"
    assert entry["level"] == "INFO" and entry["logger"] == "bot.test"
    assert (
        JsonFormatter()
        .format(logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, None))
        .startswith("{")
    )
