"""InProcessBroker: fan-out in one process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.broker import InProcessBroker


async def _next(iterator: AsyncIterator[dict[str, Any]], wait: float = 1.0) -> dict[str, Any]:
    return await asyncio.wait_for(anext(iterator), wait)


async def _subscribed(broker: InProcessBroker, topic: str, count: int) -> None:
    await asyncio.sleep(0.05)  # the subscribing tasks ran up to their first get()
    assert broker.subscribers(topic) == count


async def test_a_subscriber_does_not_get_back_what_it_published_itself() -> None:
    broker = InProcessBroker()
    tab1 = broker.subscribe("conversation:1", origin="tab1")
    tab2 = broker.subscribe("conversation:1", origin="tab2")
    console = broker.subscribe("conversation:1")
    waiting = [asyncio.ensure_future(_next(s)) for s in (tab1, tab2, console)]
    await _subscribed(broker, "conversation:1", 3)
    await broker.publish("conversation:1", {"type": "events", "n": 1, "origin": "tab1"})
    await broker.publish("conversation:1", {"type": "events", "n": 2})
    assert [(await w)["n"] for w in waiting] == [2, 1, 1]
    assert (await _next(tab2))["n"] == 2 and (await _next(console))["n"] == 2
    for subscription in (tab1, tab2, console):
        await subscription.aclose()
    assert broker.subscribers("conversation:1") == 0


async def test_a_full_subscriber_queue_drops_messages_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = InProcessBroker(queue_size=1)
    slow, fast = broker.subscribe("t"), broker.subscribe("t")
    first = asyncio.ensure_future(_next(slow))
    second = asyncio.ensure_future(_next(fast))
    await _subscribed(broker, "t", 2)
    for n in range(3):
        await broker.publish("t", {"n": n})
    assert (await first)["n"] == 0 and (await second)["n"] == 0
    assert "dropped a message" in caplog.text
    await slow.aclose()
    await fast.aclose()
