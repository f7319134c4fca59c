"""Guard rails: every setting and every command is documented in README.md."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli.program import FLAGLESS, build_parser
from bot.config import Settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name,env", [(n, e) for n, e, *_ in Settings.documented()])
def test_every_setting_is_documented(name: str, env: str) -> None:
    assert f"`{env}`" in README
    if name not in FLAGLESS:
        assert f"`--{name.replace('_', '-')}`" in README


def _commands(parser: argparse.ArgumentParser, prefix: str = "balcao") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(f"{prefix} {name}")
                found.extend(_commands(sub, f"{prefix} {name}"))
    return found


@pytest.mark.parametrize("command", _commands(build_parser()))
def test_every_command_is_documented(command: str) -> None:
    assert f"`{command}" in README, f"README.md does not mention `{command}`"


def test_readme_gives_make_run_and_make_test_first() -> None:
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block
