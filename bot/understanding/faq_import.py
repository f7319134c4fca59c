"""`balcao kb import`: a FAQ spreadsheet (CSV) into knowledge files.

The CSV header is `id,language,question,answer[,examples][,tags]`; examples and
tags are separated by ` | `. Every row is checked first (each problem reads
`FAQ.csv:LINE: reason`); the files are written into a temporary folder beside
the target and moved in only when all of them were written, so a bad row
leaves nothing half-imported. Each file round-trips through `parse_entry`.
"""

from __future__ import annotations

import csv
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import InputError, KnowledgeError
from bot.knowledge import ID_PATTERN, LANGUAGES, RESERVED_IDS, Entry, parse_entry

logger = logging.getLogger(__name__)

REQUIRED = ("id", "language", "question", "answer")
OPTIONAL = ("examples", "tags")
SEPARATOR = " | "


@dataclass(frozen=True)
class ImportResult:
    written: tuple[Path, ...]


def render_entry(entry: Entry) -> str:
    """The knowledge-file text of `entry` (front matter and answer)."""
    front: dict[str, object] = {"id": entry.id, "question": entry.question}
    if entry.examples:
        front["examples"] = list(entry.examples)
    if entry.tags:
        front["tags"] = list(entry.tags)
    dumped = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{dumped}---\n{entry.answer.strip()}\n"


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split("|") if part.strip())


def read_faq(path: Path) -> list[Entry]:
    """Every row as an Entry; raises InputError naming `path:line` on the first bad row."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InputError(
                f"{path}: the file is empty; expected the header id,language,question,answer"
            )
        names = [h.strip().lstrip("\ufeff") for h in header]
        if (
            tuple(names[:4]) != REQUIRED
            or any(n not in OPTIONAL for n in names[4:])
            or len(set(names)) != len(names)
        ):
            raise InputError(
                f"{path}:1: the header must be id,language,question,answer[,examples][,tags]"
            )
        entries: list[Entry] = []
        seen: dict[tuple[str, str], int] = {}
        line = reader.line_num + 1
        for record in reader:
            line, start = reader.line_num + 1, line  # a quoted answer may span lines
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(names):
                raise InputError(f"{path}:{start}: expected {len(names)} fields, got {len(record)}")
            row = dict(zip(names, (cell.strip() for cell in record), strict=True))
            entries.append(_entry(row, f"{path}:{start}"))
            key = (row["language"], row["id"])
            if key in seen:
                raise InputError(
                    f"{path}:{start}: id '{row['id']}' in '{row['language']}' repeats line {seen[key]}"
                )
            seen[key] = start
    if not entries:
        raise InputError(f"{path}: no rows after the header")
    return entries


def _entry(row: dict[str, str], where: str) -> Entry:
    if not ID_PATTERN.match(row["id"]):
        raise InputError(f"{where}: id '{row['id']}' must be lowercase letters, digits, '-' or '_'")
    if row["id"] in RESERVED_IDS:
        raise InputError(f"{where}: id '{row['id']}' is reserved (it marks out-of-scope messages)")
    if row["language"] not in LANGUAGES:
        raise InputError(
            f"{where}: language '{row['language']}' must be one of {', '.join(LANGUAGES)}"
        )
    if not row["question"]:
        raise InputError(f"{where}: the question is empty")
    if not row["answer"]:
        raise InputError(f"{where}: the answer is empty")
    entry = Entry(
        id=row["id"],
        language=row["language"],
        question=" ".join(row["question"].split()),
        answer=row["answer"].strip(),
        examples=_split(row.get("examples", "")),
        tags=_split(row.get("tags", "")),
    )
    try:
        parsed = parse_entry(render_entry(entry), where, entry.language)
    except KnowledgeError as exc:
        raise InputError(f"{where}: {exc.problem}") from None
    if (parsed.question, parsed.answer, parsed.examples, parsed.tags) != (
        entry.question, entry.answer, entry.examples, entry.tags,
    ):  # fmt: skip
        raise InputError(f"{where}: this row would not read back the same; check its text")
    return entry


def import_faq(path: Path, into: Path) -> ImportResult:
    """Validate every row of `path`, then write `into/<language>/<id>.md` all at once."""
    entries = read_faq(path)
    targets = [into / e.language / f"{e.id}.md" for e in entries]
    into.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=into))
    try:
        for entry in entries:
            folder = staging / entry.language
            folder.mkdir(exist_ok=True)
            (folder / f"{entry.id}.md").write_text(render_entry(entry), encoding="utf-8")
        for entry, target in zip(entries, targets, strict=True):
            target.parent.mkdir(exist_ok=True)
            (staging / entry.language / f"{entry.id}.md").replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("imported %d entries from %s into %s", len(entries), path, into)
    return ImportResult(tuple(targets))
