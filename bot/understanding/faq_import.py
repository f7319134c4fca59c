"""`balcao kb import`: a FAQ spreadsheet (CSV) into knowledge files.

The CSV header is `id,language,question,answer[,examples][,tags]`; examples and
tags are separated by ` | `. Every row is checked first (each problem reads
`FAQ.csv:LINE: reason`); the files are written into a temporary folder beside
the target and moved in only when all of them were written (and taken back if a
move fails), so a bad row leaves nothing half-imported. Each file round-trips
through `parse_entry`. An entry the target folder already holds is refused, never
overwritten. Real FAQ exports repeat themselves: an example or question found
under two entries is kept under the first and dropped from the second (a question
stays, being the entry's own), with a warning naming both lines; `kb check`
reports such a repetition as a warning too. `strict=True` (`kb import --strict`)
refuses the whole file instead, as before (#17).
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from bot.errors import InputError, KnowledgeError
from bot.knowledge.entries import (
    ID_PATTERN,
    LANGUAGES,
    RESERVED_IDS,
    Entry,
    KnowledgeBase,
    knowledge_files,
    load_knowledge,
    parse_entry,
)
from bot.knowledge.textfiles import csv_records, input_error
from bot.understanding.matching import normalise

logger = logging.getLogger(__name__)

REQUIRED = ("id", "language", "question", "answer")
OPTIONAL = ("examples", "tags")
SEPARATOR = " | "
MAX_ID = 80  # it names a file: well inside any file system's 255 bytes


@dataclass(frozen=True)
class ImportResult:
    written: tuple[Path, ...]
    warnings: tuple[str, ...] = ()  # `FAQ.csv:LINE: ...`, one per repeated phrasing


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


def read_faq(path: Path, strict: bool = False) -> list[Entry]:
    """Every row as an Entry; raises InputError naming `path:line` on the first bad row."""
    return read_faq_warning(path, strict)[0]


def read_faq_warning(path: Path, strict: bool = False) -> tuple[list[Entry], list[str]]:
    """Every row as an Entry, and a warning for each phrasing already under another
    entry (dropped from this one); with `strict`, such a phrasing is an InputError."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    records = csv_records(path, input_error)
    header = next(records, None)
    if header is None:
        raise InputError(
            f"{path}: the file is empty; expected the header id,language,question,answer"
        )
    names = [h.strip().lstrip("\ufeff") for h in header[1]]
    if (
        tuple(names[:4]) != REQUIRED
        or any(n not in OPTIONAL for n in names[4:])
        or len(set(names)) != len(names)
    ):
        raise InputError(
            f"{path}:1: the header must be id,language,question,answer[,examples][,tags]"
        )
    entries: list[Entry] = []
    warnings: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    owner: dict[tuple[str, str], tuple[str, int]] = {}  # (language, phrasing) -> (id, line)
    for start, record in records:
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(names):
            raise InputError(f"{path}:{start}: expected {len(names)} fields, got {len(record)}")
        row = dict(zip(names, (_cell(cell) for cell in record), strict=True))
        entry = _entry(row, f"{path}:{start}")
        dropped: list[str] = []
        for phrase in entry.phrasings:
            words = normalise(phrase)
            other = owner.setdefault((entry.language, words), (entry.id, start))
            if not words or other[0] == entry.id:
                continue
            where = f"{path}:{start}: '{phrase}' is also under '{other[0]}' (line {other[1]})"
            if strict:
                raise InputError(f"{where}; an example belongs to one entry")
            if phrase == entry.question:
                warnings.append(f"{where}; kept under both, as each entry's question")
            else:
                dropped.append(phrase)
                warnings.append(f"{where}; kept there, left out of '{entry.id}'")
        if dropped:
            entry = replace(entry, examples=tuple(e for e in entry.examples if e not in dropped))
        entries.append(entry)
        key = (row["language"], row["id"])
        if key in seen:
            raise InputError(
                f"{path}:{start}: id '{row['id']}' in '{row['language']}' repeats line {seen[key]}"
            )
        seen[key] = start
    if not entries:
        raise InputError(f"{path}: no rows after the header")
    return entries, warnings


# a spreadsheet's line breaks inside a cell: Windows' \r\n, old Macs' \r, and the
# Unicode line and paragraph separators, all read back by YAML as plain line ends
_LINE_BREAKS = re.compile("\r\n?|[\x85\u2028\u2029]")


def _cell(cell: str) -> str:
    return _LINE_BREAKS.sub("\n", cell).strip()


def _entry(row: dict[str, str], where: str) -> Entry:
    if len(row["id"]) > MAX_ID:
        raise InputError(f"{where}: id is {len(row['id'])} characters long; at most {MAX_ID}")
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


def import_faq(path: Path, into: Path, strict: bool = False) -> ImportResult:
    """Validate every row of `path` and what `into` already holds, then write
    `into/<language>/<id>.md` all at once: an entry already in `into`, under any file
    name, is refused (InputError), never overwritten."""
    entries, warnings = read_faq_warning(path, strict)
    if warnings:
        logger.info("%d repeated phrasings in %s kept under their first entry", len(warnings), path)
    targets = [into / e.language / f"{e.id}.md" for e in entries]
    _check_targets(path, into, entries, targets)
    into.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=into))
    moved: list[Path] = []
    try:
        for entry in entries:
            folder = staging / entry.language
            folder.mkdir(exist_ok=True)
            (folder / f"{entry.id}.md").write_text(render_entry(entry), encoding="utf-8")
        for entry, target in zip(entries, targets, strict=True):
            target.parent.mkdir(exist_ok=True)
            (staging / entry.language / f"{entry.id}.md").rename(target)
            moved.append(target)
    except BaseException:
        for target in moved:  # all or nothing: what was moved in goes again
            target.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("imported %d entries from %s into %s", len(entries), path, into)
    return ImportResult(tuple(targets), tuple(warnings))


def _check_targets(path: Path, into: Path, entries: list[Entry], targets: list[Path]) -> None:
    if into.exists() and not into.is_dir():
        raise InputError(f"{into}: exists and is not a folder")
    existing = _existing(into)
    for entry, target in zip(entries, targets, strict=True):
        where = f"{path}: entry '{entry.id}' in '{entry.language}'"
        if target.parent.exists() and not target.parent.is_dir():
            raise InputError(f"{target.parent}: exists and is not a folder")
        found = existing.get(entry.id, entry.language)
        if found is not None and found.language == entry.language:
            raise InputError(f"{where} is already in {into} ({found.source}); nothing imported")
        if target.exists() or target.is_symlink():
            raise InputError(f"{target}: already exists; nothing imported")


def _existing(into: Path) -> KnowledgeBase:
    if not into.is_dir() or not knowledge_files(into):
        return KnowledgeBase.of(())
    return load_knowledge(into)
