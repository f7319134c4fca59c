"""ThreadPasswordHasher: the PasswordHasher port on a small thread pool with a bounded queue.

scrypt costs ~40 ms of CPU per password; on the event loop, a hundred logins kept every
customer waiting for seconds (issue #15). `hashlib.scrypt` releases the GIL, so a worker
thread runs it beside the loop. At most `workers + queue` hashes are in flight; one more
raises BusyError at once (the HTTP edge answers 503), so a flood of logins costs a bounded
amount of CPU and never builds an unbounded backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bot.core.agents import hash_password, verify_password
from bot.errors import BusyError

T = TypeVar("T")


class ThreadPasswordHasher:
    def __init__(self, workers: int = 1, queue: int = 8) -> None:
        self.capacity = workers + max(0, queue)
        self.in_flight = 0
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="balcao-hash")

    async def verify(self, password: str, stored: str) -> bool:
        return await self._run(lambda: verify_password(password, stored))

    async def hash(self, password: str) -> str:
        return await self._run(lambda: hash_password(password))

    async def _run(self, work: Callable[[], T]) -> T:
        # counted on the event loop's thread only, so check-and-count is atomic; a hash
        # leaves the count when its thread is done with it (or it is cancelled unstarted),
        # not when a caller stops waiting
        if self.in_flight >= self.capacity:
            raise BusyError("too many logins at once; try again in a moment")
        loop = asyncio.get_running_loop()
        self.in_flight += 1
        future = self._executor.submit(work)
        future.add_done_callback(lambda _: self._done_from_thread(loop))
        return await asyncio.wrap_future(future)

    def _done_from_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed first (shutdown)
            loop.call_soon_threadsafe(self._done)

    def _done(self) -> None:
        self.in_flight -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
