"""RedisBroker: the Broker port across processes, through Redis pub/sub.

A message published here reaches this process's subscribers at once (as with
`InProcessBroker`) and every other process through Redis. Each process keeps one
Redis connection for subscriptions and fans out locally per topic: a topic's
Redis channel is subscribed while the process has a local subscriber to it.
Messages carry the id of the process that sent them, so a process does not
deliver its own messages twice. Redis channels are named `<prefix><topic>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.adapters.broker import InProcessBroker
from bot.errors import StorageError

logger = logging.getLogger(__name__)

POOL_SIZE = 64  # connections per process: commands are short, the pub/sub reader holds one
POOL_WAIT_S = 20.0

DEFAULT_PREFIX = "balcao:"
RETRY_SECONDS = 0.5


class RedisBroker:
    def __init__(self, url: str, *, prefix: str = DEFAULT_PREFIX, queue_size: int = 256) -> None:
        self.url = url
        self.prefix = prefix
        self.node = secrets.token_hex(8)
        self._local = InProcessBroker(queue_size)  # this process's subscribers
        self._remote: set[str] = set()  # topics whose Redis channel is subscribed
        self._syncing = asyncio.Lock()
        self._redis: aioredis.Redis | None = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    def from_url(cls, url: str) -> RedisBroker:
        """A broker for `redis://host:port/db`; `?channel_prefix=P` names its channels `P<topic>`."""
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        prefix = next((v for k, v in query if k == "channel_prefix"), DEFAULT_PREFIX)
        rest = urlencode([(k, v) for k, v in query if k != "channel_prefix"])
        return cls(urlunsplit(parts._replace(query=rest)), prefix=prefix)

    @property
    def client(self) -> aioredis.Redis:
        """The open client (for other users of the same Redis, such as rate limits)."""
        if self._redis is None:
            raise StorageError("the Redis broker is not open")
        return self._redis

    async def open(self) -> RedisBroker:
        # A blocking pool: under load a command waits for a free connection (up to
        # POOL_WAIT_S) instead of failing at once with MaxConnectionsError, which is what the
        # default pool (100 connections) did to hundreds of concurrent turns in bench_load.
        pool = aioredis.BlockingConnectionPool.from_url(
            self.url, max_connections=POOL_SIZE, timeout=POOL_WAIT_S
        )
        self._redis = aioredis.Redis.from_pool(pool)  # closes the pool when it closes
        try:
            await self._redis.ping()
            self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            # always subscribed to something, so the reader always has a connection to read
            await self._pubsub.subscribe(f"{self.prefix}__node__:{self.node}")
        except (RedisError, OSError) as exc:
            await self._redis.aclose()
            self._redis = None
            raise StorageError(f"cannot connect to Redis: {exc}") from exc
        self._reader = asyncio.create_task(self._read(), name="redis-broker-reader")
        logger.info("Redis broker open (node %s)", self.node)
        return self

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        async with self._syncing:  # no (un)subscribe runs on a closing connection
            pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def publish(self, topic: str, message: dict[str, Any]) -> None:
        self._local.deliver(topic, message)
        if self._redis is None:
            raise StorageError("the Redis broker is not open")
        payload = json.dumps({"node": self.node, "message": message}, ensure_ascii=False)
        try:
            await self._redis.publish(self.prefix + topic, payload)
        except (RedisError, OSError) as exc:
            logger.error("Redis publish to %s failed: %s", topic, exc)
            raise StorageError(f"cannot publish to Redis: {exc}") from exc

    async def subscribe(
        self, topic: str, *, origin: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        queue = self._local.join(topic, origin)
        try:
            await self._sync(topic)
            while True:
                yield await queue.get()
        finally:
            self._local.leave(topic, queue)
            await self._sync(topic)

    def subscribers(self, topic: str) -> int:
        return self._local.subscribers(topic)

    async def _sync(self, topic: str) -> None:
        """Subscribe or unsubscribe the topic's Redis channel to match local interest."""
        async with self._syncing:
            wanted, have = self._local.subscribers(topic) > 0, topic in self._remote
            if self._pubsub is None or wanted == have:
                return
            try:
                if wanted:
                    await self._pubsub.subscribe(self.prefix + topic)
                    self._remote.add(topic)
                else:
                    self._remote.discard(topic)
                    await self._pubsub.unsubscribe(self.prefix + topic)
            except (RedisError, OSError) as exc:
                logger.warning("Redis (un)subscribe of %s failed: %s", topic, exc)

    async def _read(self) -> None:
        """Deliver other processes' messages to this process's subscribers."""
        while True:
            try:
                raw = await self._pubsub.get_message(timeout=None)
            except (RedisError, OSError) as exc:
                logger.warning("Redis subscription interrupted (%s); retrying", exc)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if not raw or raw.get("type") != "message":
                continue
            channel = raw["channel"]
            if isinstance(channel, bytes):
                channel = channel.decode()
            try:
                envelope = json.loads(raw["data"])
                message = envelope["message"]
            except (ValueError, TypeError, KeyError):
                logger.warning("ignored a malformed message on %s", channel)
                continue
            if envelope.get("node") != self.node:
                self._local.deliver(channel[len(self.prefix) :], message)
