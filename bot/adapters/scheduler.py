"""NoticeScheduler: APScheduler runs the periodic scan of due notices.

Why APScheduler and no job store of its own: the timing (an interval, never two runs of
the scan at once in a process, missed runs coalesced after a pause) is the library's;
what must survive a restart and be taken once across processes is the notices table,
whose UNIQUE key and leased claim live in the same database as everything else
(SQLite, or PostgreSQL when scaled out). A job store would only keep the interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.errors import BalcaoError

logger = logging.getLogger(__name__)


class NoticeScheduler:
    def __init__(
        self,
        scan: Callable[[], Awaitable[int]],
        every_seconds: float,
        scan_time: Callable[[], Awaitable[int]] | None = None,
        time_every_seconds: float = 900.0,
    ) -> None:
        self._scan = scan
        self._current: asyncio.Future[int] | None = None
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._scheduler.add_job(
            self._run,
            IntervalTrigger(seconds=every_seconds),
            id="notices-scan",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        if scan_time is not None:
            # late orders, first purchases, consumables, occasions, win-back: a slower beat
            self._scheduler.add_job(
                scan_time,
                IntervalTrigger(seconds=time_every_seconds),
                id="notices-time",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )

    async def _run(self) -> None:
        # shielded: stopping waits for a scan in flight rather than cutting it mid-send
        self._current = asyncio.ensure_future(self._scan())
        try:
            sent = await asyncio.shield(self._current)
        except BalcaoError as exc:
            logger.warning("notices: scan failed: %s", exc)
            return
        except asyncio.CancelledError:
            return  # the scan itself goes on; stop() waits for it
        if sent:
            logger.info("notices: %d sent", sent)

    def start(self) -> None:
        self._scheduler.start()

    async def stop(self) -> None:
        self._scheduler.shutdown(wait=False)
        current = self._current
        if current is not None and not current.done():
            with contextlib.suppress(BalcaoError):
                await current
