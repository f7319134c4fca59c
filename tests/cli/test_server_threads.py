"""`balcao serve` runs BLAS on one thread: its worker threads spun beside every message's
matrix-vector products and tripled understanding's CPU per message (make bench-cost)."""

from __future__ import annotations

import numpy  # noqa: F401 (loads the BLAS library threadpoolctl then sees)
from threadpoolctl import threadpool_info

from bot.cli.server import one_blas_thread


def test_the_server_limits_blas_to_one_thread() -> None:
    limiter = one_blas_thread()
    try:
        blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert blas, "numpy loaded no BLAS that threadpoolctl sees"
        assert [pool["num_threads"] for pool in blas] == [1] * len(blas)
    finally:
        limiter.restore_original_limits()
