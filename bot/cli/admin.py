"""Admin commands, registered by bot/cli.py:

    balcao kb check [DIR]                     validate a knowledge folder (exit 1 on errors)
    balcao kb test [STORIES...]               run conversation tests (exit 1 on failures)
    balcao kb export --kb DIR --out FAQ.csv   the CSV that `balcao kb import` reads
    balcao customer export ID [--out FILE] [--attachments DIR]
                                              everything about one customer, as JSON (and
                                              the files she sent, written into DIR)
    balcao customer forget ID                 erase one customer everywhere (audited): rows,
                                              conversations naming or mentioning them, her
                                              files, notices, consent and watches, drafts,
                                              audit details, servers' caches (over Redis);
                                              names the warehouse exports that may still hold them
    balcao retention apply --days N           blank conversation and notice text, delete
                                              files, votes and reports older than N days

Bad usage raises a BalcaoError: bot/cli.py prints one line and exits 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from bot.errors import InputError

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    from bot.cli.program import add_setting_flags
    from bot.cli.understanding import kb_subparsers

    kb = kb_subparsers(subparsers)
    check = kb.add_parser(
        "check", help="validate every knowledge file; exit 1 with file:line messages on errors"
    )
    check.add_argument("directory", nargs="?", type=Path, default=Path("knowledge"), metavar="DIR")
    check.add_argument(
        "--no-confusions",
        action="store_true",
        help="skip the (slower) check of entries the matcher confuses",
    )
    check.add_argument("--strict", action="store_true", help="warnings fail the check too")
    add_setting_flags(check, ["encoder", "encoder_runtime", "contrastive"])
    check.set_defaults(handler=kb_check_command)

    test = kb.add_parser("test", help="run conversation tests (stories) without a server")
    test.add_argument(
        "stories",
        nargs="*",
        type=Path,
        metavar="STORIES",
        help="YAML files (default: KB/tests/*.yml)",
    )
    test.add_argument("--verbose", "-v", action="store_true", help="list passing stories too")
    add_setting_flags(
        test,
        [
            "kb",
            "db",
            "actions_package",
            "default_language",
            "encoder",
            "encoder_runtime",
            "contrastive",
        ],
    )
    test.set_defaults(handler=kb_test_command)

    export = kb.add_parser(
        "export", help="write the knowledge base as a FAQ CSV (kb import reads it)"
    )
    export.add_argument("--kb", type=Path, default=Path("knowledge"), help="knowledge folder")
    export.add_argument(
        "--out", type=Path, required=True, metavar="FAQ.csv", help="CSV file to write"
    )
    export.set_defaults(handler=kb_export_command)

    customer = subparsers.add_parser("customer", help="data protection: one customer's data")
    group = customer.add_subparsers(dest="customer_command", metavar="COMMAND", required=True)
    c_export = group.add_parser("export", help="everything about one customer as JSON")
    c_export.add_argument("customer_id", metavar="ID")
    c_export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    c_export.add_argument(
        "--attachments", type=Path, metavar="DIR", help="also write the files she sent into DIR"
    )
    c_export.add_argument("--by", default="cli", help="who asked, for the audit record")
    add_setting_flags(c_export, ["db", "database"])
    c_export.set_defaults(handler=customer_export_command)
    forget = group.add_parser("forget", help="erase one customer and their conversations (audited)")
    forget.add_argument("customer_id", metavar="ID")
    forget.add_argument("--by", default="cli", help="who asked, for the audit record")
    add_setting_flags(forget, ["db", "database", "redis", "kb"])
    forget.set_defaults(handler=customer_forget_command)

    retention = subparsers.add_parser("retention", help="conversation-text retention")
    r_group = retention.add_subparsers(dest="retention_command", metavar="COMMAND", required=True)
    apply = r_group.add_parser(
        "apply", help="blank the text of messages older than N days (analytics fields are kept)"
    )
    apply.add_argument("--days", type=int, required=True, help="keep the text of the last N days")
    apply.add_argument("--by", default="cli", help="who asked, for the audit record")
    add_setting_flags(apply, ["db", "database", "redis"])
    apply.set_defaults(handler=retention_apply_command)


# --- kb -------------------------------------------------------------------------


def kb_check_command(args: argparse.Namespace) -> int:
    from bot.cli.program import settings_from
    from bot.services.curation import check_knowledge, default_matcher_factory

    settings = settings_from(args)
    factory = (
        None
        if args.no_confusions
        else default_matcher_factory(
            settings.encoder, settings.encoder_runtime, settings.contrastive
        )
    )
    problems = check_knowledge(args.directory, factory)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    print(f"{args.directory}: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors or (args.strict and warnings) else 0


def kb_test_command(args: argparse.Namespace) -> int:
    from bot.cli.program import settings_from
    from bot.services.stories import default_story_files

    settings = settings_from(args)
    files = list(args.stories) or default_story_files(settings.kb)
    if not files:
        raise InputError(f"no stories given and none found in {settings.kb / 'tests'}")
    results = asyncio.run(
        run_story_files(
            files,
            settings.kb,
            settings.db,
            settings.actions_package,
            settings.default_language,
            settings.encoder,
            settings.encoder_runtime,
            settings.contrastive,
        )
    )
    failed = [r for r in results if not r.passed]
    for result in results:
        if not result.passed or args.verbose:
            print(result.report())
    print(f"{len(results) - len(failed)} of {len(results)} stories passed")
    return 1 if failed else 0


async def run_story_files(
    files: list[Path],
    kb_dir: Path,
    db: Path,
    actions_package: str,
    default_language: str = "en",
    encoder: str = "off",
    encoder_runtime: str = "auto",
    contrastive: bool = True,
) -> list[Any]:
    """Load the stories (all checked first), build the brain and the dialogue, run them."""
    from bot.adapters.rasa.action_runner import InProcessActionRunner
    from bot.core.dialogue import Brain, Dialogue
    from bot.knowledge.entries import load_knowledge
    from bot.services.curation import default_matcher_factory
    from bot.services.stories import load_stories, run_stories

    stories = [story for path in files for story in load_stories(path)]
    kb = load_knowledge(kb_dir)
    brain = Brain(kb, default_matcher_factory(encoder, encoder_runtime, contrastive)(kb))
    if actions_package == "actions":
        import actions

        actions.configure(db)
    dialogue = Dialogue(InProcessActionRunner(actions_package), default_language=default_language)
    return await run_stories(stories, brain, dialogue)


def kb_export_command(args: argparse.Namespace) -> int:
    from bot.knowledge.entries import load_knowledge
    from bot.services.curation import export_csv

    result = export_csv(load_knowledge(args.kb), args.out)
    print(f"exported {len(result.written)} entries to {args.out}")
    if result.skipped:
        names = ", ".join(e.source for e in result.skipped)
        print(
            f"left out {len(result.skipped)} entries a CSV cannot hold (actions, handoffs): {names}",
            file=sys.stderr,
        )
    if result.without_buttons:
        print(
            f"note: the buttons of {len(result.without_buttons)} entries are not in the CSV;"
            " import it into a new folder, not over this one",
            file=sys.stderr,
        )
    return 0


# --- data protection ---------------------------------------------------------------


def customer_export_command(args: argparse.Namespace) -> int:
    from bot.app import open_privacy
    from bot.cli.program import settings_from

    settings = settings_from(args)

    async def export() -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        async with open_privacy(settings) as privacy:
            document = await privacy.export(args.customer_id, actor=args.by, now=time.time())
            return document, await privacy.export_files(document) if args.attachments else []

    document, files = asyncio.run(export())
    if args.attachments is not None:
        args.attachments.mkdir(parents=True, exist_ok=True)
        for name, data in files:
            (args.attachments / name).write_bytes(data)
        print(f"wrote {len(files)} files to {args.attachments}", file=sys.stderr)
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    if args.out is None:
        print(text)
    else:
        args.out.write_text(text + "\n", encoding="utf-8")
        print(f"exported customer {args.customer_id} to {args.out}", file=sys.stderr)
    return 0


def customer_forget_command(args: argparse.Namespace) -> int:
    from bot.app import open_privacy
    from bot.cli.program import settings_from
    from bot.ports import Erasure

    settings = settings_from(args)
    now = time.time()

    async def forget() -> tuple[Erasure, list[tuple[str, float]]]:
        async with open_privacy(settings) as privacy:
            erased = await privacy.forget(args.customer_id, actor=args.by, now=now)
            return erased, await privacy.warehouse_exports(before=now)

    erased, exports = asyncio.run(forget())
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(erased.counts.items()) if n)
    print(f"forgot customer {args.customer_id}: {counts or 'nothing was stored'}")
    if exports:
        listed = ", ".join(
            f"{target} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(at))})"
            for target, at in exports
        )
        print(
            f"earlier warehouse exports may still hold them: {listed};"
            " the next export into each removes them"
        )
    else:
        print("no warehouse export holds them")
    return 0


def retention_apply_command(args: argparse.Namespace) -> int:
    from bot.app import open_privacy
    from bot.cli.program import settings_from
    from bot.ports import Erasure

    if args.days < 0:
        raise InputError("--days must be 0 or more")
    settings = settings_from(args)

    async def apply() -> Erasure:
        async with open_privacy(settings) as privacy:
            return await privacy.retention(args.days, actor=args.by, now=time.time())

    erased = asyncio.run(apply())
    print(
        f"blanked the text of {erased.counts['events']} events older than {args.days} days"
        f" in {len(erased.conversations)} conversations"
    )
    return 0
