"""RedisRateLimiter: the RateLimiter port (bot.adapters.rate_limit) shared by every process.

A sliding window per key in a Redis sorted set, checked and updated atomically
by a Lua script on Redis's own clock (processes on several machines agree). As
with `MemoryRateLimiter`, at most `limit` hits in any `window_s` seconds, and a
refused hit is not counted.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.errors import StorageError

# KEYS: the keys in order; ARGV: the window in µs, a unique member, then each key's limit.
# 0 at the first key over its limit (not counted, nor the keys after it), else 1.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    if redis.call('ZCARD', key) >= tonumber(ARGV[i + 2]) then
        return 0
    end
    redis.call('ZADD', key, now, ARGV[2])
    redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1)
end
return 1
"""


class RedisRateLimiter:
    def __init__(self, redis: aioredis.Redis, prefix: str = "balcao:rate:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._script = redis.register_script(_SLIDING_WINDOW)

    async def hit(self, key: str, limit: int, window_s: float) -> bool:
        """Count a hit on `key`; True if it is within `limit` hits per `window_s` seconds."""
        return await self.hit_all(((key, limit),), window_s)

    async def hit_all(self, limits: Sequence[tuple[str, int]], window_s: float) -> bool:
        """Count a hit on each `(key, limit)` in order, in one round trip and atomically;
        False at the first key over its limit (neither it nor the keys after it counted)."""
        window_us = max(1, int(window_s * 1_000_000))
        keys = [self.prefix + key for key, _ in limits]
        args: list[int | str] = [window_us, secrets.token_hex(8), *(n for _, n in limits)]
        try:
            allowed = await self._script(keys=keys, args=args)
        except (RedisError, OSError) as exc:  # the edge answers 503, it does not crash
            raise StorageError(f"cannot count a rate limit in Redis: {exc}") from exc
        return bool(int(allowed))
