"""BLAS on one thread while the understanding engine's dense work runs.

    with ONE_BLAS_THREAD:
        vectors = model.encode(texts)

On two cores shared with other work, OpenBLAS' second thread mostly spins: it made the
encoder's p99 for one message ~160 ms, and the contrastive layer's 256 x 512 x 512 products
learned three times slower on a loaded machine (1.6-1.9 s a layer against 4.3-5.5 s,
docs/benchmarks.md). One limiter for the process, counted across callers, so that
the last one out, not the first, restores the process's setting (threadpoolctl's own
limiter restores on each exit: two overlapping callers could leave it at one thread).
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any


class OneBlasThread:
    """BLAS limited to one thread while any caller is inside."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._limiter: Any = None
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # scikit-learn brings it; without it there is nothing to limit
            self._controller: Any = None
        else:
            self._controller = ThreadpoolController()

    def __enter__(self) -> None:
        with self._lock:
            if self._inside == 0 and self._controller is not None:
                self._limiter = self._controller.limit(limits=1, user_api="blas")
            self._inside += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with self._lock:
            self._inside -= 1
            if self._inside == 0 and self._limiter is not None:
                self._limiter.restore_original_limits()
                self._limiter = None


ONE_BLAS_THREAD = OneBlasThread()
