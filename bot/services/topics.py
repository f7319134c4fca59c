"""The most asked topics, for the widget's home screen: which entries answered customers'
messages most often in the last `days`, per language, recounted at most every `refresh`
seconds (one count at a time; callers meanwhile get the last one).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable

from bot.core.analytics import most_asked
from bot.ports import AnalyticsStore

DAYS = 30
REFRESH_SECONDS = 600.0


class MostAsked:
    def __init__(
        self,
        analytics: AnalyticsStore | None,
        *,
        default_language: str = "en",
        days: int = DAYS,
        refresh: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.analytics = analytics
        self.default_language = default_language
        self.days = days
        self.refresh = refresh
        self.clock = clock
        self._counts: dict[str, Counter[str]] = {}
        self._counted_at = float("-inf")
        self._lock = asyncio.Lock()

    async def entry_ids(self, language: str) -> list[str]:
        """Entry ids, most asked first (none without an analytics store)."""
        stale = self.clock() - self._counted_at >= self.refresh
        if self.analytics is not None and stale and not self._lock.locked():
            async with self._lock:
                await self._count(self.analytics)
        return [entry for entry, _ in self._counts.get(language, Counter()).most_common()]

    async def _count(self, analytics: AnalyticsStore) -> None:
        now = self.clock()
        logs = await analytics.logs(now - self.days * 86400, now)
        self._counts = most_asked(logs, self.default_language)
        self._counted_at = now
