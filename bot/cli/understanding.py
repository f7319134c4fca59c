"""CLI commands of the understanding engine, registered by bot/cli.py:

    balcao nlu eval --train TRAIN.csv --test TEST.csv --predictions OUT.jsonl
    balcao kb import FAQ.csv --into DIR
    balcao kb eval --kb DIR --cases CASES.csv --predictions OUT.jsonl

Other modules add to the `kb` group through `kb_subparsers(subparsers)`.
Bad input raises a BalcaoError; bot/cli.py prints it on one line and exits 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.program import add_setting_flags, settings_from
from bot.config import Settings
from bot.errors import InputError

if TYPE_CHECKING:
    from bot.understanding.engine import Engine, Sample

# The engine (scikit-learn, numpy, the encoder) is imported by the commands that train, not
# with this module: every `balcao` command builds the whole parser, and `balcao agents list`
# should not wait two seconds for a classifier it never uses.

logger = logging.getLogger(__name__)

_KB_GROUP = "_balcao_kb_subparsers"


def kb_subparsers(subparsers: Any) -> Any:
    """The `kb` group's subparsers, created on first use (any module may add commands)."""
    existing = getattr(subparsers, _KB_GROUP, None)
    if existing is not None:
        return existing
    kb = subparsers.add_parser("kb", help="knowledge-base tools")
    group = kb.add_subparsers(dest="kb_command", metavar="COMMAND", required=True)
    setattr(subparsers, _KB_GROUP, group)
    return group


def register(subparsers: Any) -> None:
    nlu = subparsers.add_parser("nlu", help="understanding-engine tools")
    nlu_commands = nlu.add_subparsers(dest="nlu_command", metavar="COMMAND", required=True)
    nlu_eval = nlu_commands.add_parser(
        "eval", help="train on labelled texts, predict a test set, print a summary"
    )
    nlu_eval.add_argument("--train", type=Path, required=True, help="CSV text,category")
    nlu_eval.add_argument(
        "--test", type=Path, required=True, help="CSV text,category ('oos' = out of scope)"
    )
    nlu_eval.add_argument("--predictions", type=Path, required=True, help="JSON lines written here")
    add_setting_flags(nlu_eval, ["encoder", "encoder_runtime", "contrastive"])
    nlu_eval.set_defaults(handler=nlu_eval_command)

    kb = kb_subparsers(subparsers)
    kb_import = kb.add_parser("import", help="turn a FAQ CSV into knowledge files")
    kb_import.add_argument(
        "faq",
        type=Path,
        metavar="FAQ.csv",
        help="CSV id,language,question,answer[,examples][,tags]",
    )
    kb_import.add_argument("--into", type=Path, required=True, help="knowledge folder to write")
    kb_import.add_argument(
        "--strict",
        action="store_true",
        help="refuse the whole file when an example or question is under two entries"
        " (by default it is kept under the first, with a warning)",
    )
    kb_import.set_defaults(handler=kb_import_command)

    kb_eval = kb.add_parser("eval", help="check the knowledge base against test messages")
    kb_eval.add_argument("--kb", type=Path, required=True, help="knowledge folder")
    kb_eval.add_argument(
        "--cases", type=Path, required=True, help="CSV text,category (entry id or 'oos')"
    )
    kb_eval.add_argument("--predictions", type=Path, required=True, help="JSON lines written here")
    add_setting_flags(kb_eval, ["encoder", "encoder_runtime", "contrastive"])
    kb_eval.set_defaults(handler=kb_eval_command)


def nlu_eval_command(args: argparse.Namespace) -> int:
    from bot.understanding.engine import Sample
    from bot.understanding.evaluation import read_labelled

    _check_writable(args.predictions)  # before a minute of training, not after
    train = read_labelled(args.train)
    test = read_labelled(args.test)
    engine = _train([Sample(r.text, r.category) for r in train], settings_from(args))
    return _run_eval(engine, test, args.predictions)


def kb_eval_command(args: argparse.Namespace) -> int:
    from bot.knowledge.entries import load_knowledge
    from bot.understanding.evaluation import OOS, read_labelled
    from bot.understanding.kb_adapter import samples_from_kb

    _check_writable(args.predictions)
    cases = read_labelled(args.cases)
    kb = load_knowledge(args.kb)
    known = set(kb.ids) | {OOS}
    unknown = [r for r in cases if r.category not in known]
    if unknown:
        first = unknown[0]
        raise InputError(
            f"{args.cases}:{first.line}: '{first.category}' is no entry id of {args.kb} (nor 'oos')"
        )
    engine = _train(samples_from_kb(kb), settings_from(args))
    return _run_eval(engine, cases, args.predictions)


def kb_import_command(args: argparse.Namespace) -> int:
    from bot.understanding.faq_import import import_faq

    result = import_faq(args.faq, args.into, strict=args.strict)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"imported {len(result.written)} entries into {args.into}")
    return 0


def _train(samples: list[Sample], settings: Settings) -> Engine:
    from bot.understanding.encoder import encoder_for
    from bot.understanding.engine import Engine
    from bot.understanding.evaluation import Progress

    encoder = encoder_for(settings.encoder, settings.encoder_runtime)
    if encoder is None:
        return Engine.train(samples)
    bar = Progress(len(samples), sys.stderr, "encoding training texts")
    engine = Engine.train(
        samples, encoder=encoder, progress=bar.step, contrastive=settings.contrastive
    )
    bar.close()
    return engine


def _check_writable(predictions: Path) -> None:
    """InputError unless `predictions` names a file that can be written."""
    if predictions.is_dir():
        raise InputError(f"{predictions}: is a folder; --predictions names the file to write")
    folder = predictions.parent
    if not folder.is_dir():
        raise InputError(f"{folder}: folder not found")
    if not os.access(folder, os.W_OK) or (
        predictions.exists() and not os.access(predictions, os.W_OK)
    ):
        raise InputError(f"{predictions}: cannot be written (permission denied)")


def _run_eval(engine: Engine, rows: list[Any], predictions: Path) -> int:
    from bot.understanding.evaluation import Summary, engine_predictor, evaluate

    # checked before training; should it change meanwhile, the CLI edge reports the OSError
    with predictions.open("w", encoding="utf-8") as out:
        summary: Summary = evaluate(engine_predictor(engine), rows, out, engine.training_seconds)
    print("\n".join(summary.lines()))
    return 0
