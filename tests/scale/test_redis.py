"""The Redis broker and rate limiter, as two processes would use them (two clients)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.rate_limit import MemoryRateLimiter
from bot.adapters.redis.broker import RedisBroker
from bot.adapters.redis.rate_limit import RedisRateLimiter

pytestmark = pytest.mark.redis


@pytest.fixture
async def brokers(redis_url: str) -> AsyncIterator[tuple[RedisBroker, RedisBroker]]:
    a = await RedisBroker.from_url(redis_url).open()
    b = await RedisBroker.from_url(redis_url).open()
    yield a, b
    await a.close()
    await b.close()


async def _next(iterator: AsyncIterator[dict[str, Any]]) -> dict[str, Any]:
    return await asyncio.wait_for(anext(iterator), 3)


async def test_a_message_published_on_one_process_reaches_the_other_once(
    brokers: tuple[RedisBroker, RedisBroker],
) -> None:
    a, b = brokers
    on_a, on_b = a.subscribe("conversation:1"), b.subscribe("conversation:1")
    pending = [asyncio.ensure_future(_next(on_a)), asyncio.ensure_future(_next(on_b))]
    await asyncio.sleep(0.2)  # both subscribed, here and in Redis
    assert a.subscribers("conversation:1") == b.subscribers("conversation:1") == 1
    await b.publish("conversation:1", {"type": "events", "n": 1})
    await b.publish("conversation:1", {"type": "events", "n": 2})
    assert [(await p)["n"] for p in pending] == [1, 1]
    assert (await _next(on_a))["n"] == 2 and (await _next(on_b))["n"] == 2
    with pytest.raises(TimeoutError):  # b's own messages are not delivered twice
        await asyncio.wait_for(anext(on_b), 0.3)
    await b.publish("queue", {"type": "queue"})  # nobody listens: nothing breaks
    await on_a.aclose()
    await on_b.aclose()
    assert a.subscribers("conversation:1") == 0


async def test_a_subscriber_does_not_get_back_its_own_origin_but_other_processes_do(
    brokers: tuple[RedisBroker, RedisBroker],
) -> None:
    a, b = brokers
    tab_a, other_tab_a = (
        a.subscribe("conversation:2", origin="tab-a"),
        a.subscribe("conversation:2"),
    )
    tab_b = b.subscribe("conversation:2", origin="tab-b")
    pending = [asyncio.ensure_future(_next(s)) for s in (tab_a, other_tab_a, tab_b)]
    await asyncio.sleep(0.2)  # subscribed, here and in Redis
    await a.publish("conversation:2", {"type": "events", "n": 1, "origin": "tab-a"})
    await a.publish("conversation:2", {"type": "events", "n": 2})
    assert [(await p)["n"] for p in pending] == [2, 1, 1]
    assert (await _next(other_tab_a))["n"] == 2 and (await _next(tab_b))["n"] == 2
    for subscription in (tab_a, other_tab_a, tab_b):
        await subscription.aclose()


async def test_the_channel_prefix_keeps_deployments_apart(redis_url: str) -> None:
    other = redis_url.rsplit("channel_prefix=", 1)[0] + "channel_prefix=someone-else:"
    mine, theirs = (
        await RedisBroker.from_url(redis_url).open(),
        await RedisBroker.from_url(other).open(),
    )
    try:
        listening = mine.subscribe("queue")
        waiting = asyncio.ensure_future(_next(listening))
        await asyncio.sleep(0.2)
        await theirs.publish("queue", {"from": "them"})
        await asyncio.sleep(0.2)
        assert not waiting.done()
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        await listening.aclose()
    finally:
        await mine.close()
        await theirs.close()


async def test_rate_limits_are_shared_between_processes(
    brokers: tuple[RedisBroker, RedisBroker],
) -> None:
    a = RedisRateLimiter(brokers[0].client, brokers[0].prefix + "rate:")
    b = RedisRateLimiter(brokers[1].client, brokers[1].prefix + "rate:")
    results = [await (a if i % 2 else b).hit("msg:conv:x", 5, 60.0) for i in range(8)]
    assert results == [True] * 5 + [False] * 3
    assert await a.hit("msg:conv:y", 5, 60.0)  # another key has its own count
    assert await b.hit("msg:conv:z", 1, 0.2)
    assert not await a.hit("msg:conv:z", 1, 0.2)
    await asyncio.sleep(0.25)
    assert await a.hit("msg:conv:z", 1, 0.2)  # the window slid past


async def test_several_limits_are_counted_in_one_step_and_stop_at_the_first_refusal(
    brokers: tuple[RedisBroker, RedisBroker],
) -> None:
    """Both limiters, same rule: the address, then the conversation; a refused key and the
    keys after it are not counted (an address flooding new conversations spends nothing
    of theirs), and concurrent hits from two processes never overshoot an allowance."""
    redis_limiter = RedisRateLimiter(brokers[0].client, brokers[0].prefix + "rate:")
    other = RedisRateLimiter(brokers[1].client, brokers[1].prefix + "rate:")
    for limiter in (redis_limiter, MemoryRateLimiter()):
        assert await limiter.hit_all((("ip", 2), ("conv:a", 5)), 60.0)
        assert not await limiter.hit_all((("ip", 5), ("conv:b", 0)), 60.0)  # conv refused
        assert await limiter.hit_all((("ip", 3), ("conv:c", 5)), 60.0)  # ip had 2, not 3
        assert not await limiter.hit_all((("ip", 3), ("conv:d", 5)), 60.0)  # ip refused
        assert await limiter.hit("conv:d", 1, 60.0)  # conv:d was not counted
    results = await asyncio.gather(
        *(
            (redis_limiter if i % 2 else other).hit_all((("many", 7), (f"c{i}", 1)), 60.0)
            for i in range(20)
        )
    )
    assert sum(results) == 7
