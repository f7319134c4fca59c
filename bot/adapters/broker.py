"""InProcessBroker: fan-out of conversation updates to listeners in this process.

A message may name its `origin`: a subscriber that subscribed with the same origin
does not receive it (the publisher, a widget socket, already showed it itself).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from bot.ports import ORIGIN

logger = logging.getLogger(__name__)

# a topic's subscribers: each queue with the origin whose messages it does not want
Subscribers = dict[asyncio.Queue[dict[str, Any]], str | None]


def deliver(subscribers: Subscribers, topic: str, message: dict[str, Any]) -> None:
    """Put `message` on every subscriber's queue but its origin's."""
    origin = message.get(ORIGIN)
    for queue, own in tuple(subscribers.items()):
        if origin is not None and own == origin:
            continue
        try:
            queue.put_nowait(message)
        except asyncio.QueueFull:
            logger.warning("a slow subscriber of %s dropped a message", topic)


class InProcessBroker:
    """Subscribers' queues by topic. RedisBroker uses one as its local fan-out, through
    `join`, `leave` and `deliver`."""

    def __init__(self, queue_size: int = 256) -> None:
        self._topics: dict[str, Subscribers] = {}
        self._queue_size = queue_size

    async def publish(self, topic: str, message: dict[str, Any]) -> None:
        self.deliver(topic, message)

    async def subscribe(
        self, topic: str, *, origin: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        queue = self.join(topic, origin)
        try:
            while True:
                yield await queue.get()
        finally:
            self.leave(topic, queue)

    def join(self, topic: str, origin: str | None = None) -> asyncio.Queue[dict[str, Any]]:
        """A new subscriber's queue (not sent messages published with its `origin`)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._queue_size)
        self._topics.setdefault(topic, {})[queue] = origin
        return queue

    def leave(self, topic: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        subscribers = self._topics.get(topic)
        if subscribers is not None:
            subscribers.pop(queue, None)
            if not subscribers:
                del self._topics[topic]

    def deliver(self, topic: str, message: dict[str, Any]) -> None:
        subscribers = self._topics.get(topic)
        if subscribers:
            deliver(subscribers, topic, message)

    def subscribers(self, topic: str) -> int:
        return len(self._topics.get(topic, ()))
