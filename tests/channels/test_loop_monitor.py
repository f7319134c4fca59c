"""The event loop's lag, measured on a real loop."""

from __future__ import annotations

import asyncio
import contextlib
import time

from channels.loop_monitor import LoopMonitor


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_loop_that_keeps_up_is_not_busy() -> None:
    monitor = LoopMonitor(interval=0.01, busy_lag=0.5)
    task = asyncio.create_task(monitor.run())
    await asyncio.sleep(0.1)
    assert monitor.lag < 0.5 and not monitor.busy()
    await stop(task)


async def test_a_stalled_loop_is_busy_until_it_catches_up() -> None:
    monitor = LoopMonitor(interval=0.01, busy_lag=0.25)
    task = asyncio.create_task(monitor.run())
    await asyncio.sleep(0.03)
    time.sleep(0.4)  # noqa: ASYNC251 - the point: a turn that hogs the loop
    assert monitor.busy()  # already late, before the tick comes back to say so
    await asyncio.sleep(0)
    await asyncio.sleep(0.005)
    assert monitor.lag >= 0.3 and monitor.busy()
    for _ in range(100):  # ticks on time again
        await asyncio.sleep(0.02)
        if not monitor.busy():
            break
    assert monitor.lag < 0.25 and not monitor.busy()
    await stop(task)
    assert not monitor.busy()  # a stopped monitor is never late


def test_the_current_tick_counts_by_the_clock() -> None:
    now = [100.0]
    monitor = LoopMonitor(interval=0.05, busy_lag=0.1, clock=lambda: now[0])
    assert not monitor.busy()  # not running yet
    monitor._tick = 100.0
    now[0] = 100.1
    assert not monitor.busy()  # 0.05 late
    now[0] = 100.2
    assert monitor.busy()  # 0.15 late
