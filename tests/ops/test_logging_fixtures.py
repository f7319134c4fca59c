"""Logging handlers installed by a test are taken down with it (tests/support/logs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest_plugins = ["pytester"]

INNER = """
import logging

from bot.cli.logs import configure_logging


def test_the_cli_sets_up_logging(capsys):
    configure_logging("INFO", "text")
    logging.getLogger("bot.test").info("written to this test's captured stderr")


def test_a_later_test_logs_through_the_root_logger():
    # the aiohttp access logger of a server a later test runs, as in the schema fuzz
    logging.getLogger("aiohttp.access").warning("GET /health 200")
    assert not [h for h in logging.getLogger().handlers if h.get_name() == "balcao"]
"""


def test_a_cli_logging_handler_does_not_outlive_its_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess("-p", "tests.support.logs")
    output = result.stdout.str() + result.stderr.str()
    assert "Logging error" not in output
    assert "I/O operation on closed file" not in output
    result.assert_outcomes(passed=2)
