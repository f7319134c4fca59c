"""`balcao warehouse export`: conversations, customers and orders as a star schema for
analysis (docs/warehouse.md).

    balcao warehouse export --to var/warehouse.duckdb          DuckDB (the default)
    balcao warehouse export --to var/warehouse --format parquet
        [--full] [--with-text] [--with-personal-data] [--db FILE | --database URL]

Progress goes to standard error (a bar with rows/s on a terminal); bad input, an
unwritable target or a locked warehouse print one line and exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    from bot.cli.program import add_setting_flags

    warehouse = subparsers.add_parser(
        "warehouse", help="Export conversations, customers and orders for analysis."
    )
    group = warehouse.add_subparsers(dest="warehouse_command", metavar="COMMAND", required=True)
    export = group.add_parser(
        "export",
        help="Write the star schema (docs/warehouse.md) to a DuckDB file or Parquet folder;"
        " incremental unless --full.",
    )
    export.add_argument(
        "--to", type=Path, required=True, metavar="PATH", help="DuckDB file, or Parquet folder"
    )
    export.add_argument(
        "--format", choices=("duckdb", "parquet"), default="duckdb", help="default: duckdb"
    )
    export.add_argument("--full", action="store_true", help="rebuild instead of appending")
    export.add_argument(
        "--with-text", action="store_true", help="include messages' and comments' free text"
    )
    export.add_argument(
        "--with-personal-data",
        action="store_true",
        help="include customers' name, email, phone and postcode",
    )
    export.add_argument("--by", default="cli", help="who asked, for the audit record")
    export.add_argument("--quiet", action="store_true", help="no progress bar")
    add_setting_flags(export, ["db", "database", "kb"])
    export.set_defaults(handler=export_command)


def export_command(args: argparse.Namespace) -> int:
    from bot.cli.program import settings_from
    from bot.core.warehouse import ExportOptions

    settings = settings_from(args)
    options = ExportOptions(args.full, args.with_text, args.with_personal_data)
    result = asyncio.run(_export(settings, options, args))
    fact_rows = sum(n for t, n in result.written.items() if t.startswith("fact_"))
    kind = "rebuilt" if result.full else "appended to"
    print(
        f"{kind} {args.to}: {fact_rows} fact rows written, {result.totals['fact_message']}"
        f" messages, {result.totals['fact_conversation']} conversations,"
        f" {result.totals['fact_order']} orders in all ({result.seconds:.2f} s)"
    )
    return 0


async def _export(settings: Any, options: Any, args: Any) -> Any:
    """The store first, then the warehouse, then the knowledge: each refusal is one line."""
    from bot.app import open_warehouse, open_warehouse_source, warehouse_key
    from bot.knowledge.entries import load_knowledge
    from bot.services.warehouse import export

    source, close = await open_warehouse_source(settings)
    warehouse = None
    try:
        warehouse = open_warehouse(args.to, args.format)
        kb = load_knowledge(settings.kb)
        with _Bar(enabled=not args.quiet) as bar:
            return await export(
                source,
                warehouse,
                kb,
                warehouse_key(settings),
                options,
                now=time.time(),
                actor=args.by,
                progress=bar,
            )
    finally:
        if warehouse is not None:
            warehouse.close()
        await close()


class _Bar:
    """rich's progress bar on standard error, with rows per second."""

    def __init__(self, enabled: bool) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskID,
            TextColumn,
            TimeElapsedColumn,
        )

        self.enabled = enabled and sys.stderr.isatty()
        self.progress = Progress(
            TextColumn("{task.description:>14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not self.enabled,
        )
        self.task: TaskID | None = None
        self.started = 0.0
        self.done = 0

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._finish()
        self.progress.stop()

    def stage(self, label: str, total: int | None) -> None:
        self._finish()
        self.task = self.progress.add_task(label, total=total, rate="")
        self.started, self.done = time.perf_counter(), 0

    def advance(self, rows: int) -> None:
        if self.task is None:
            return
        self.done += rows
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        self.progress.update(self.task, advance=rows, rate=f"{self.done / elapsed:,.0f} rows/s")

    def _finish(self) -> None:
        if self.task is not None:
            task = self.progress.tasks[-1]
            self.progress.update(self.task, total=max(task.completed, task.total or 0))
