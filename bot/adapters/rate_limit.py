"""Rate limiters: how many hits a key may make in a sliding window.

`MemoryRateLimiter` serves one process; a Redis-backed one (same method) shares
the counts between processes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence


class MemoryRateLimiter:
    """Sliding-window counts in this process. Refused hits are not counted."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    async def hit(self, key: str, limit: int, window_s: float) -> bool:
        return await self.hit_all(((key, limit),), window_s)

    async def hit_all(self, limits: Sequence[tuple[str, int]], window_s: float) -> bool:
        now = self.clock()
        for key, limit in limits:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._forget_idle(now, window_s)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - window_s:
                hits.popleft()
            if len(hits) >= limit:
                return False
            hits.append(now)
        return True

    def _forget_idle(self, now: float, window_s: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - window_s]:
            del self._hits[key]
