"""The knowledge base: Markdown files with YAML front matter, loaded into immutable values.

A file `knowledge/<language>/<name>.md` holds one entry::

    ---
    id: returns
    question: How do I return an item?
    examples:
      - can I send it back
      - return policy
    tags: [returns]
    buttons:
      - title: Start a return
        payload: /return_request
    ---
    You can return any item within **30 days** ...

An entry may instead name a rasa-sdk action (`action: action_order_status`), in
which case the body is optional, or ask for a person (`handoff: true`). The same
`id` in several language folders is the same entry translated.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import KnowledgeError
from bot.knowledge.textfiles import read_text

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "pt", "es")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
RESERVED_IDS = frozenset({"oos"})  # the understanding engine's out-of-scope label
KNOWN_KEYS = {"id", "question", "examples", "tags", "buttons", "action", "handoff", "title"}


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Entry:
    """One knowledge-base item in one language."""

    id: str
    language: str
    question: str
    answer: str = ""
    examples: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    action: str | None = None
    handoff: bool = False
    source: str = ""

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The question and every example: what a customer might type."""
        return (self.question, *self.examples)


@dataclass(frozen=True)
class KnowledgeBase:
    """Every entry, by language and id. Built once, never changed; swap for a new one."""

    entries: tuple[Entry, ...] = ()
    version: str = ""
    _index: Mapping[tuple[str, str], Entry] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, entries: Iterable[Entry], version: str = "") -> KnowledgeBase:
        items = tuple(entries)
        return cls(items, version, {(e.language, e.id): e for e in items})

    def get(self, entry_id: str, language: str, fallback: str = "en") -> Entry | None:
        """The entry in `language`, else in `fallback`, else in any language."""
        found = self._index.get((language, entry_id)) or self._index.get((fallback, entry_id))
        if found is not None:
            return found
        return next((e for e in self.entries if e.id == entry_id), None)

    def in_language(self, language: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.language == language)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted({e.language for e in self.entries}))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(sorted({e.id for e in self.entries}))

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


DRAFT_PREFIX = "draft-"  # drafts written for admins to finish are not served until renamed


def knowledge_files(directory: Path, drafts: bool = False) -> list[Path]:
    return sorted(
        p
        for p in directory.glob("*/*.md")
        if p.parent.name in LANGUAGES
        and (drafts or not p.name.startswith(DRAFT_PREFIX))
        and p.is_file()
    )


def fingerprint(directory: Path) -> str:
    """A cheap version of the folder: names, sizes and modification times."""
    parts = []
    for path in knowledge_files(directory):
        stat = path.stat()
        parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return str(hash("|".join(parts)))


def load_knowledge(directory: Path) -> KnowledgeBase:
    """Load every `<language>/*.md` under `directory`. Raises KnowledgeError on the first bad file."""
    if not directory.is_dir():
        raise KnowledgeError(str(directory), 0, "knowledge folder not found")
    version = fingerprint(directory)
    entries: list[Entry] = []
    seen: dict[tuple[str, str], str] = {}
    for path in knowledge_files(directory):
        entry = parse_entry(read_knowledge_file(path), str(path), path.parent.name)
        key = (entry.language, entry.id)
        if key in seen:
            raise KnowledgeError(
                str(path), 2, f"id '{entry.id}' is already used by {seen[key]}; ids must be unique"
            )
        seen[key] = str(path)
        entries.append(entry)
    if not entries:
        raise KnowledgeError(str(directory), 0, "no knowledge files found (expected en/*.md ...)")
    logger.info("loaded %d knowledge entries from %s", len(entries), directory)
    return KnowledgeBase.of(entries, version)


def read_knowledge_file(path: Path) -> str:
    """A knowledge file's text; KnowledgeError at the line of a byte that is not UTF-8."""
    return read_text(path, lambda p, line, problem: KnowledgeError(str(p), line, problem))


def parse_entry(text: str, source: str, language: str) -> Entry:
    """Parse one knowledge file's text. `source` names the file in error messages."""
    # only \n (and \r\n) end a line: str.splitlines would also split on U+0085, U+2028...
    lines = text.replace("\r\n", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline ending the last line does not start another
    if not lines or lines[0].strip() != "---":
        raise KnowledgeError(source, 1, "a knowledge file starts with '---' and YAML front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise KnowledgeError(
            source, len(lines), "front matter is not closed: add a line with '---' after it"
        ) from None
    front = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1 :]).strip()
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)
        data = yaml.safe_load(front)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = (mark.line + 2) if mark is not None else 2
        raise KnowledgeError(source, line, f"YAML error: {exc.problem}") from None
    except yaml.YAMLError as exc:  # e.g. a control character the reader refuses
        raise KnowledgeError(source, 2, f"YAML error: {exc}") from None
    except RecursionError:
        raise KnowledgeError(
            source, 2, "YAML error: the front matter is nested too deeply"
        ) from None
    if not isinstance(data, dict) or node is None:
        raise KnowledgeError(source, 2, "front matter must be a mapping of keys to values")
    key_lines = {
        key_node.value: key_node.start_mark.line + 2
        for key_node, _ in node.value
        if isinstance(key_node, yaml.ScalarNode)
    }

    def fail(key: str, problem: str) -> KnowledgeError:
        return KnowledgeError(source, key_lines.get(key, 2), problem)

    unknown = sorted(set(map(str, data)) - KNOWN_KEYS)
    if unknown:
        raise fail(
            unknown[0], f"unknown key '{unknown[0]}'; known keys: {', '.join(sorted(KNOWN_KEYS))}"
        )
    entry_id = data.get("id")
    if not isinstance(entry_id, str) or not ID_PATTERN.fullmatch(entry_id):
        raise fail(
            "id", "'id' is required: lowercase letters, digits, '-' or '_' (e.g. id: returns)"
        )
    if entry_id in RESERVED_IDS:
        raise fail("id", f"id '{entry_id}' is reserved (it marks out-of-scope messages)")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise fail("question", "'question' is required and must be text")
    examples = _string_list(data.get("examples", []), "examples", fail)
    tags = _string_list(data.get("tags", []), "tags", fail)
    buttons = _buttons(data.get("buttons", []), fail)
    action = data.get("action")
    if action is not None and (not isinstance(action, str) or not action.startswith("action_")):
        raise fail(
            "action", "'action' must name a rasa-sdk action, e.g. action: action_order_status"
        )
    handoff = data.get("handoff", False)
    if not isinstance(handoff, bool):
        raise fail("handoff", "'handoff' must be true or false")
    if not body and action is None and not handoff:
        raise KnowledgeError(
            source, end + 2, "the answer is missing: write it below the closing '---'"
        )
    return Entry(
        id=entry_id,
        language=language,
        question=question.strip(),
        answer=body,
        examples=examples,
        tags=tags,
        buttons=buttons,
        action=action,
        handoff=handoff,
        source=source,
    )


def _string_list(value: Any, key: str, fail: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise fail(key, f"'{key}' must be a list (one '- item' per line)")
    if not all(isinstance(v, str | int | float) and str(v).strip() for v in value):
        raise fail(key, f"every item of '{key}' must be non-empty text")
    return tuple(str(v).strip() for v in value)


def _buttons(value: Any, fail: Any) -> tuple[Button, ...]:
    if not isinstance(value, list):
        raise fail("buttons", "'buttons' must be a list of {title, payload}")
    buttons = []
    for item in value:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("title"), str)
            or not isinstance(item.get("payload"), str)
        ):
            raise fail("buttons", "each button needs 'title' and 'payload' text")
        buttons.append(Button(item["title"], item["payload"]))
    return tuple(buttons)
