"""The `balcao` command line. Each command module registers its subcommands.

Bad input prints one line, `balcao: <what is wrong>`, and exits 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from bot import __version__
from bot.cli.logs import configure_logging
from bot.config import Settings
from bot.errors import BalcaoError, ConfigError

logger = logging.getLogger(__name__)

# Modules with `register(subparsers)`; each subparser sets `handler(args) -> int`.
COMMAND_MODULES: list[str] = [
    "bot.cli.server",
    "bot.cli.understanding",
    "bot.cli.shop",
    "bot.cli.admin",
    "bot.cli.agents",
    "bot.cli.scale",
    "bot.cli.warehouse",
]


class _Parser(argparse.ArgumentParser):
    """argparse, with its complaints on one line like every other bad input (its
    subcommands' parsers are of this class too)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="balcao", description="Balcão: a conversational self-service assistant.")
    parser.add_argument("--version", action="version", version=f"balcao {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = getattr(args, "log_level", None) or os.environ.get("BALCAO_LOG_LEVEL") or "INFO"
    fmt = getattr(args, "log_format", None) or os.environ.get("BALCAO_LOG_FORMAT") or "text"
    configure_logging(level, fmt)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args))
    except BalcaoError as exc:
        print(f"balcao: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path given that the system refuses: unwritable, a folder...
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"balcao: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


FLAGLESS = {
    "secret",
    "metrics_token",
    "rest_tokens",
    "smtp_url",
    "shop_secret",
}  # secrets: the environment only, never `ps`


def add_setting_flags(parser: argparse.ArgumentParser, names: Sequence[str] | None = None) -> None:
    """One `--flag` per setting (or per named setting), with its env var and default in the help."""
    for name, env, default, help_text in Settings.documented():
        if name in FLAGLESS or (names is not None and name not in names):
            continue
        kind = type(default)
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            type=_yes_no if kind is bool else Path if issubclass(kind, Path) else kind,
            default=None,
            help=f"{help_text} ({env}; default {default})",
        )


def _yes_no(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, got {value!r}")


def settings_from(args: argparse.Namespace, *, both_stores: bool = False) -> Settings:
    """Settings from the environment, overridden by whichever flags were given.

    One store per deployment: `--db` (an SQLite file) while BALCAO_DATABASE/--database names
    PostgreSQL is refused, so no command ever acts on a stale file while the deployment's
    data is elsewhere. `both_stores=True` for the one command that reads one and writes the
    other (`migrate-to-postgres`)."""
    overrides = {
        name: getattr(args, name) for name, *_ in Settings.documented() if hasattr(args, name)
    }
    settings = Settings.from_env(os.environ, **overrides)
    if not both_stores and getattr(args, "db", None) is not None and settings.database:
        raise ConfigError(
            "--db names an SQLite file but this deployment's store is PostgreSQL"
            " (BALCAO_DATABASE or --database): drop --db, or unset BALCAO_DATABASE"
        )
    return settings
