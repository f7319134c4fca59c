"""A store or Redis failing mid-frame answers that frame with an `unavailable` error and
keeps the socket: the two-process bench lost 692 sockets when the Redis rate limiter's
MaxConnectionsError escaped the widget handler."""

from __future__ import annotations

import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.adapters.redis.rate_limit import RedisRateLimiter
from channels.keys import LIMITS
from tests.channels.test_widget import hello, receive


def down_limiter() -> RedisRateLimiter:
    """The real Redis rate limiter with its Redis down (nothing listens on port 1)."""
    down = aioredis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    return RedisRateLimiter(down)


async def test_a_failing_rate_limiter_fails_the_message_not_the_socket(
    client: TestClient,
) -> None:
    ws, _ = await hello(client)
    working = client.app[LIMITS].limiter
    client.app[LIMITS].limiter = down_limiter()
    await ws.send_json({"type": "message", "id": "m1", "text": "return policy"})
    error = await receive(ws, "error")
    assert (error["code"], error["id"]) == ("unavailable", "m1")
    client.app[LIMITS].limiter = working
    await ws.send_json({"type": "message", "id": "m2", "text": "return policy"})
    assert (await receive(ws, "ack"))["id"] == "m2"  # the same socket serves the retry
    await ws.close()
