"""RedisRateLimiter: the RateLimiter port (bot.adapters.rate_limit) shared by every process.

A sliding window per key in a Redis sorted set, checked and updated atomically
by a Lua script on Redis's own clock (processes on several machines agree). As
with `MemoryRateLimiter`, at most `limit` hits in any `window_s` seconds, and a
refused hit is not counted.
"""

from __future__ import annotations

import secrets

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.errors import StorageError

_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1)
return 1
"""


class RedisRateLimiter:
    def __init__(self, redis: aioredis.Redis, prefix: str = "balcao:rate:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._script = redis.register_script(_SLIDING_WINDOW)

    async def hit(self, key: str, limit: int, window_s: float) -> bool:
        """Count a hit on `key`; True if it is within `limit` hits per `window_s` seconds."""
        window_us = max(1, int(window_s * 1_000_000))
        try:
            allowed = await self._script(
                keys=[self.prefix + key], args=[window_us, limit, secrets.token_hex(8)]
            )
        except (RedisError, OSError) as exc:  # the edge answers 503, it does not crash
            raise StorageError(f"cannot count a rate limit in Redis: {exc}") from exc
        return bool(int(allowed))
