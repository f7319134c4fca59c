"""InProcessBroker: fan-out of conversation updates to listeners in this process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

logger = logging.getLogger(__name__)


class InProcessBroker:
    def __init__(self, queue_size: int = 256) -> None:
        self._topics: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._queue_size = queue_size

    async def publish(self, topic: str, message: dict[str, Any]) -> None:
        for queue in tuple(self._topics.get(topic, ())):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                logger.warning("a slow subscriber of %s dropped a message", topic)

    async def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._queue_size)
        self._topics.setdefault(topic, set()).add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            subscribers = self._topics.get(topic)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._topics[topic]

    def subscribers(self, topic: str) -> int:
        return len(self._topics.get(topic, ()))
