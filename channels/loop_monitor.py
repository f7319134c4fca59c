"""The event loop's lag: how late it runs a timer, the sign of a server behind on its work.

    monitor = LoopMonitor()
    task = asyncio.create_task(monitor.run())
    monitor.lag          # seconds the last tick was late
    monitor.busy()       # late enough that cosmetic frames should wait

Every `interval` seconds the monitor asks for a wake-up and measures how late it
came. A loop that keeps up wakes it within a millisecond; a loop with hundreds of
turns ready (a closed-loop load, a burst) wakes it a tenth of a second late or
more. `busy` also counts the current tick: a loop stalled now is busy before the
tick that would measure it comes back. Exported as balcao_event_loop_lag_seconds.

What waits while the loop is busy: the bot's typing frames (channels/widget.py).
They tell a customer that a slow turn is under way, and they are pure cost to a
server that is behind: under bench-load's closed loop nearly every turn outlasts
TYPING_DELAY, two more frames per message took a fifth of the throughput, and the
slower the server, the more turns sent them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

INTERVAL = 0.05  # seconds between ticks
BUSY_LAG = 0.1  # seconds late from which the loop counts as busy


class LoopMonitor:
    def __init__(
        self,
        interval: float = INTERVAL,
        busy_lag: float = BUSY_LAG,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.interval = interval
        self.busy_lag = busy_lag
        self.lag = 0.0
        self._clock = clock
        self._tick: float | None = None  # when the current tick was asked for

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def busy(self) -> bool:
        """The last tick came `busy_lag` late, or the current one is already that late."""
        if self.lag >= self.busy_lag:
            return True
        if self._tick is None:
            return False
        return self._now() - self._tick - self.interval >= self.busy_lag

    async def run(self) -> None:
        try:
            while True:
                self._tick = start = self._now()
                await asyncio.sleep(self.interval)
                self.lag = max(0.0, self._now() - start - self.interval)
        finally:  # stopped: no tick is late any more
            self._tick = None
            self.lag = 0.0
