"""Knowledge-base tools for admins: check a folder, export it to CSV, write drafts, accept suggestions.

- `check_knowledge(dir, matcher_factory)` collects every problem (not only the first):
  files that do not parse, duplicate ids, one phrasing under two entries, pairs of
  entries the matcher confuses (k-fold: each example is matched by a matcher built
  without it), and buttons pointing to ids that do not exist (a warning).
- `export_csv(dir, out)` writes the CSV that `balcao kb import` reads.
- `write_draft(dir, language, questions)` writes `<language>/draft-<slug>.md`, never over a file.
- `add_example` / `replace_answer` edit one entry's file atomically, checked by `parse_entry`.

Pure of aiohttp and SQLite; only the file system.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import yaml

from bot.errors import InputError, KnowledgeError
from bot.knowledge.entries import (
    DRAFT_PREFIX,
    LANGUAGES,
    Entry,
    KnowledgeBase,
    knowledge_files,
    parse_entry,
    read_knowledge_file,
)
from bot.knowledge.notices import check_templates
from bot.ports import MatcherFactory
from bot.understanding.folds import stable
from bot.understanding.matching import FuzzyMatcher, normalise

logger = logging.getLogger(__name__)

Severity = Literal["error", "warning"]
FOLDS = 5
CONFIDENT_SLIPS = 2  # confident wrong answers that make a confused pair an error
SEPARATOR = " | "
DRAFT_ANSWER = "TODO: write the answer"


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"


@dataclass(frozen=True)
class Confusion:
    """Examples of `entry` that a matcher built without them gives to `other`."""

    entry: str
    other: str
    example: str
    score: float
    decision: str


def default_matcher_factory(
    encoder: str = "off", runtime: str = "auto", contrastive: bool = True
) -> MatcherFactory:
    """The understanding engine when it is installed, else the fuzzy baseline; `encoder`,
    `runtime` and `contrastive` are the BALCAO_ENCODER, BALCAO_ENCODER_RUNTIME and
    BALCAO_CONTRASTIVE settings."""
    try:
        from bot.understanding import matcher_factory
    except ImportError:  # pragma: no cover - the engine ships with Balcão today
        return FuzzyMatcher
    return matcher_factory(encoder, runtime, contrastive)


# --- check -----------------------------------------------------------------


def check_knowledge(
    directory: Path, matcher_factory: MatcherFactory | None = None, folds: int = FOLDS
) -> list[Problem]:
    """Every problem of the knowledge folder, errors and warnings, in file order.

    `matcher_factory=None` skips the confusion check.
    """
    if not directory.is_dir():
        raise InputError(f"{directory}: knowledge folder not found")
    problems: list[Problem] = []
    for path in sorted(directory.glob("*/*.md")):
        if path.parent.name not in LANGUAGES and path.parent.name != "tests":
            problems.append(
                Problem(
                    str(path),
                    1,
                    f"folder '{path.parent.name}' is not a language ({', '.join(LANGUAGES)});"
                    " this file is never loaded",
                    "warning",
                )
            )
    files = knowledge_files(directory, drafts=True)
    if not files:
        return [Problem(str(directory), 0, "no knowledge files found (expected en/*.md ...)")]
    entries: list[Entry] = []
    texts: dict[str, list[str]] = {}
    for path in files:
        try:
            text = read_knowledge_file(path)
            texts[str(path)] = text.splitlines()
            entries.append(parse_entry(text, str(path), path.parent.name))
        except KnowledgeError as exc:
            problems.append(Problem(exc.path, exc.line, exc.problem))
    problems.extend(Problem(e.path, e.line, e.problem) for e in check_templates(directory))
    problems.extend(_duplicate_ids(entries, texts))
    problems.extend(_shared_phrasings(entries, texts))
    problems.extend(_dangling_buttons(entries, texts))
    if matcher_factory is not None and entries:
        unique = _unique(entries)
        problems.extend(
            _confusion_problems(unique, find_confusions(unique, matcher_factory, folds), texts)
        )
    return sorted(problems, key=lambda p: (p.path, p.line, p.message))


def _line_of(lines: list[str], pattern: str, default: int = 2) -> int:
    """1-based number of the first line matching `pattern` (a regex), else `default`."""
    compiled = re.compile(pattern)
    return next((n for n, line in enumerate(lines, start=1) if compiled.search(line)), default)


def _phrase_line(lines: list[str], phrase: str) -> int:
    return _line_of(lines, re.escape(phrase), _line_of(lines, r"^question\s*:"))


def _unique(entries: list[Entry]) -> list[Entry]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for entry in entries:
        if (entry.language, entry.id) not in seen:
            seen.add((entry.language, entry.id))
            kept.append(entry)
    return kept


def _duplicate_ids(entries: list[Entry], texts: dict[str, list[str]]) -> Iterable[Problem]:
    first: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        key = (entry.language, entry.id)
        if key in first:
            yield Problem(
                entry.source,
                _line_of(texts[entry.source], r"^id\s*:"),
                f"id '{entry.id}' is already used by {first[key].source}; ids must be unique"
                " within a language",
            )
        else:
            first[key] = entry


def _shared_phrasings(entries: list[Entry], texts: dict[str, list[str]]) -> Iterable[Problem]:
    owner: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        for phrase in dict.fromkeys(entry.phrasings):
            key = (entry.language, normalise(phrase))
            if not key[1]:
                continue
            other = owner.get(key)
            if other is None:
                owner[key] = entry
            elif other.id != entry.id:
                yield Problem(
                    entry.source,
                    _phrase_line(texts[entry.source], phrase),
                    f"'{phrase}' is also under '{other.id}' ({other.source}); an example"
                    " belongs to one entry",
                    "warning",  # real FAQ exports repeat themselves (#17): never a refusal
                )


def _dangling_buttons(entries: list[Entry], texts: dict[str, list[str]]) -> Iterable[Problem]:
    ids = {e.id for e in entries}
    for entry in entries:
        for button in entry.buttons:
            if not button.payload.startswith("/") or button.payload == "/handoff":
                continue
            target = button.payload.lstrip("/").split("{", 1)[0].strip()
            if target not in ids:
                yield Problem(
                    entry.source,
                    _line_of(
                        texts[entry.source], rf"payload\s*:\s*['\"]?{re.escape(button.payload)}"
                    ),
                    f"button '{button.title}' points to '{button.payload}', which is no entry id",
                    "warning",
                )


def example_folds(entries: Sequence[Entry], folds: int) -> dict[tuple[int, int], int]:
    """The fold of each example, keyed (entry index, example index): dealt round the folds
    by the example's position, from an offset given by the entry's id.

    The n-th example of an entry in each language is taken for a translation of the same
    question (as the engine's calibration takes it, `Sample.twin`), so it shares a fold with
    them: a held-out example whose translation stayed in training would be found by meaning
    (the sentence encoder's vectors carry it across languages), hiding real confusions.
    Adding an example at the end moves no other example, and one entry's edit leaves the
    others' folds alone."""
    fold_of: dict[tuple[int, int], int] = {}
    for i, entry in enumerate(entries):
        offset = stable(entry.id)
        for j in range(len(entry.examples)):
            fold_of[i, j] = (offset + j) % folds
    return fold_of


def find_confusions(
    entries: list[Entry], matcher_factory: MatcherFactory, folds: int = FOLDS
) -> list[Confusion]:
    """K-fold: hold out a fold of each entry's examples, build a matcher without them,
    match them.

    An entry keeps its question, so it never disappears from the matcher. An example's fold
    follows from its entry's id and its position (`example_folds`), the same in every run
    and in every language of the entry.
    """
    fold_of = example_folds(entries, folds)
    confusions: list[Confusion] = []
    for fold in sorted(set(fold_of.values())):
        out = [pair for pair, k in fold_of.items() if k == fold]
        removed: dict[int, set[int]] = defaultdict(set)
        for i, j in out:
            removed[i].add(j)
        kept = [
            replace(e, examples=tuple(x for j, x in enumerate(e.examples) if j not in removed[i]))
            if i in removed
            else e
            for i, e in enumerate(entries)
        ]
        matcher = matcher_factory(KnowledgeBase.of(kept))
        for i, j in out:
            entry = entries[i]
            example = entry.examples[j]
            match = matcher.match(example, entry.language)
            best = match.best
            if best is None or best.entry_id == entry.id or match.decision == "unknown":
                continue
            offered = {c.entry_id for c in match.candidates[:3]}
            if match.decision == "answer" or entry.id not in offered:
                confusions.append(
                    Confusion(entry.id, best.entry_id, example, best.score, match.decision)
                )
    return confusions


def _confusion_problems(
    entries: list[Entry], confusions: list[Confusion], texts: dict[str, list[str]]
) -> Iterable[Problem]:
    """One problem per pair of entries.

    An error when at least CONFIDENT_SLIPS examples get a confident wrong answer;
    a warning otherwise (one slip, or the bot asks to choose without the right entry).
    """
    sources = {(e.id, e.language): e for e in entries}
    by_pair: dict[tuple[str, str], list[Confusion]] = defaultdict(list)
    for confusion in confusions:
        first, second = sorted((confusion.entry, confusion.other))
        by_pair[(first, second)].append(confusion)
    for (a, b), items in sorted(by_pair.items()):
        worst = max(items, key=lambda c: c.score)
        entry = next(
            (
                e
                for (eid, _), e in sources.items()
                if eid == worst.entry and worst.example in e.examples
            ),
            None,
        )
        if entry is None:  # pragma: no cover - every confusion comes from an entry's example
            continue
        answered = sum(c.decision == "answer" for c in items)
        yield Problem(
            entry.source,
            _phrase_line(texts[entry.source], worst.example),
            f"entries '{a}' and '{b}' are confused (score {worst.score:.2f}): "
            f"{len(items)} example(s) land on the other, e.g. '{worst.example}' -> '{worst.other}'"
            + ("" if answered else " (the bot asks to choose)"),
            "error" if answered >= CONFIDENT_SLIPS else "warning",
        )


# --- export ----------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    written: tuple[Entry, ...]
    skipped: tuple[Entry, ...]  # actions and handoffs: not FAQ answers
    without_buttons: tuple[Entry, ...]  # exported, but their buttons are not in the CSV


def export_csv(kb: KnowledgeBase, out: Path) -> ExportResult:
    """Write `id,language,question,answer,examples,tags` rows (`balcao kb import` reads them)."""
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: folder not found")
    written: list[Entry] = []
    skipped: list[Entry] = []
    for entry in sorted(
        kb, key=lambda e: (e.id, LANGUAGES.index(e.language) if e.language in LANGUAGES else 9)
    ):
        if entry.action or entry.handoff or not entry.answer or _has_pipe(entry):
            skipped.append(entry)
        else:
            written.append(entry)
    tmp = out.with_name(f".{out.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "language", "question", "answer", "examples", "tags"])
        for entry in written:
            writer.writerow(
                [
                    entry.id,
                    entry.language,
                    entry.question,
                    entry.answer,
                    SEPARATOR.join(entry.examples),
                    SEPARATOR.join(entry.tags),
                ]
            )
    os.replace(tmp, out)
    return ExportResult(tuple(written), tuple(skipped), tuple(e for e in written if e.buttons))


def _has_pipe(entry: Entry) -> bool:
    return any("|" in x for x in (*entry.examples, *entry.tags))


# --- drafts and suggestions --------------------------------------------------


def slugify(text: str, limit: int = 40) -> str:
    words = normalise(text).replace("_", " ").split()
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or "question"


def render_draft(entry_id: str, questions: list[str]) -> str:
    front: dict[str, object] = {"id": entry_id, "question": questions[0]}
    examples = list(dict.fromkeys(q for q in questions[1:] if q != questions[0]))
    if examples:
        front["examples"] = examples
    front["tags"] = ["draft"]
    dumped = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{dumped}---\n{DRAFT_ANSWER}\n"


def write_draft(directory: Path, language: str, questions: list[str]) -> Path:
    """Write `<language>/draft-<slug>.md` from customers' questions; never over an existing file."""
    if language not in LANGUAGES:
        raise InputError(f"language '{language}' must be one of {', '.join(LANGUAGES)}")
    cleaned = [" ".join(q.split()) for q in questions if q.strip()]
    if not cleaned:
        raise InputError("a draft needs at least one question")
    folder = directory / language
    folder.mkdir(parents=True, exist_ok=True)
    taken = {p.stem for p in folder.glob("*.md")}
    base = f"draft-{slugify(cleaned[0])}"
    for n in range(1, 100):
        name = base if n == 1 else f"{base}-{n}"
        if name in taken:
            continue
        text = render_draft(name, cleaned)
        parse_entry(text, str(folder / f"{name}.md"), language)  # raises if we wrote nonsense
        try:
            with (folder / f"{name}.md").open("x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            continue
        logger.info("draft written: %s", folder / f"{name}.md")
        return folder / f"{name}.md"
    raise InputError(f"too many drafts named {base}; finish or remove some")


def write_community_draft(
    directory: Path, language: str, questions: list[str], answer: str, credit: str
) -> Path:
    """Write `<language>/draft-<slug>.md` from a community question (and its similar
    wordings) with its accepted answer, crediting the community; the entry's id is the slug,
    so renaming the file to `<slug>.md` publishes it under that id."""
    if language not in LANGUAGES:
        raise InputError(f"language '{language}' must be one of {', '.join(LANGUAGES)}")
    cleaned = list(dict.fromkeys(" ".join(q.split()) for q in questions if q.strip()))
    if not cleaned or not answer.strip():
        raise InputError("a community draft needs a question and an answer")
    folder = directory / language
    folder.mkdir(parents=True, exist_ok=True)
    taken = {p.stem.removeprefix(DRAFT_PREFIX) for p in folder.glob("*.md")}
    base = slugify(cleaned[0])
    for n in range(1, 100):
        entry_id = base if n == 1 else f"{base}-{n}"
        if entry_id in taken:
            continue
        front: dict[str, object] = {"id": entry_id, "question": cleaned[0]}
        if cleaned[1:]:
            front["examples"] = cleaned[1:]
        front["tags"] = ["community"]
        dumped = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
        text = f"---\n{dumped}---\n{answer.strip()}\n\n*{credit}*\n"
        path = folder / f"{DRAFT_PREFIX}{entry_id}.md"
        parse_entry(text, str(path), language)
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            continue
        logger.info("community draft written: %s", path)
        return path
    raise InputError(f"too many drafts named {base}; finish or remove some")


def _split_file(path: Path) -> tuple[list[str], int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if not lines or lines[0].strip() != "---" or end is None:
        raise KnowledgeError(
            str(path), 1, "a knowledge file starts with '---' and YAML front matter"
        )
    return lines, end


def _write_checked(path: Path, text: str, language: str) -> Entry:
    entry = parse_entry(text, str(path), language)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return entry


def add_example(path: Path, example: str) -> Entry:
    """Append `example` to the entry's examples (front matter re-written), atomically."""
    example = " ".join(example.split())
    if not example:
        raise InputError("the example is empty")
    lines, end = _split_file(path)
    data = yaml.safe_load("\n".join(lines[1:end])) or {}
    examples = list(data.get("examples") or [])
    if normalise(example) in {normalise(str(x)) for x in (*examples, data.get("question", ""))}:
        raise InputError(f"'{example}' is already a phrasing of {path}")
    data["examples"] = [*examples, example]
    front = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    body = "\n".join(lines[end + 1 :])
    return _write_checked(path, f"---\n{front}---\n{body.strip()}\n", path.parent.name)


def replace_answer(path: Path, answer: str) -> Entry:
    """Replace the answer below the front matter (kept as written), atomically."""
    if not answer.strip():
        raise InputError("the answer is empty")
    lines, end = _split_file(path)
    front = "\n".join(lines[: end + 1])
    return _write_checked(path, f"{front}\n{answer.strip()}\n", path.parent.name)
