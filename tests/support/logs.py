"""A pytest plugin: each test owns the logging handlers it installs.

`balcao`'s CLI (bot/cli/logs.py) puts a StreamHandler on the root logger that writes to
the `sys.stderr` of the moment, which inside a test is pytest's capture stream. Left
behind, it outlived that stream: later tests (the schemathesis fuzz's access log) wrote
to a closed file and printed logging's "--- Logging error --- ... Call stack" noise.
This fixture takes away, and closes, every handler a test added to the root logger, and
puts the root level back. pytest's own handlers (it adds and removes them around each
phase) are left to pytest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


def _pytests(handler: logging.Handler) -> bool:
    return type(handler).__module__.startswith("_pytest.")


@pytest.fixture(autouse=True)
def own_logging_handlers() -> Iterator[None]:
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in before and not _pytests(handler):
            root.removeHandler(handler)
            handler.close()
    for handler in before:  # a test that replaced one of them (configure_logging does)
        if handler not in root.handlers and not _pytests(handler):
            root.addHandler(handler)
    root.setLevel(level)
