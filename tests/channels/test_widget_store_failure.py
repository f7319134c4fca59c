"""A store or Redis failing mid-frame answers that frame with an `unavailable` error and
keeps the socket: the two-process bench lost 692 sockets when the Redis rate limiter's
MaxConnectionsError escaped the widget handler."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from bot.errors import StorageError
from channels.keys import LIMITS
from tests.channels.test_widget import hello, receive


class FailingLimiter:
    """A rate limiter whose store is down (as Redis was, out of pool connections)."""

    async def hit(self, key: str, limit: int, window_s: float) -> bool:
        raise StorageError("cannot count a rate limit in Redis: Too many connections")


async def test_a_failing_rate_limiter_fails_the_message_not_the_socket(
    client: TestClient,
) -> None:
    ws, _ = await hello(client)
    working = client.app[LIMITS].limiter
    client.app[LIMITS].limiter = FailingLimiter()
    await ws.send_json({"type": "message", "id": "m1", "text": "return policy"})
    error = await receive(ws, "error")
    assert (error["code"], error["id"]) == ("unavailable", "m1")
    client.app[LIMITS].limiter = working
    await ws.send_json({"type": "message", "id": "m2", "text": "return policy"})
    assert (await receive(ws, "ack"))["id"] == "m2"  # the same socket serves the retry
    await ws.close()
