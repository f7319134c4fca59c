"""The help center's view of the knowledge base: which entries are published, grouped by
tag, related to each other, translated, and found by a search.

Pure: values in, values out. Action entries (they run code, they have no article) and
drafts (never loaded) are not published; neither is an entry with no answer text.

    pages = published(kb, "pt")
    search(kb, "pt", "quero devolver", matched=("returns-policy",))
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence

from bot.knowledge.entries import Entry, KnowledgeBase

UNTAGGED = "other"
RELATED = 5


def is_published(entry: Entry) -> bool:
    return entry.action is None and bool(entry.answer.strip())


def published(kb: KnowledgeBase, language: str) -> tuple[Entry, ...]:
    return tuple(
        sorted((e for e in kb.in_language(language) if is_published(e)), key=lambda e: e.question)
    )


def article(kb: KnowledgeBase, language: str, entry_id: str) -> Entry | None:
    """The published entry `entry_id` in exactly `language` (no fallback: one URL, one text)."""
    entry = next((e for e in kb.in_language(language) if e.id == entry_id), None)
    return entry if entry is not None and is_published(entry) else None


def by_tag(entries: Iterable[Entry]) -> list[tuple[str, list[Entry]]]:
    """Entries grouped under each of their tags (an untagged one under 'other'), tags sorted."""
    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        for tag in entry.tags or (UNTAGGED,):
            groups[tag].append(entry)
    return sorted(groups.items(), key=lambda kv: (kv[0] == UNTAGGED, kv[0]))


def related(kb: KnowledgeBase, entry: Entry, limit: int = RELATED) -> list[Entry]:
    """Published entries of the same language sharing the most tags with `entry`."""
    tags = set(entry.tags)
    scored = [
        (len(tags & set(other.tags)), other.question, other)
        for other in published(kb, entry.language)
        if other.id != entry.id and tags & set(other.tags)
    ]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [other for _, _, other in scored[:limit]]


def translations(kb: KnowledgeBase, entry: Entry) -> list[Entry]:
    """The same entry in the other languages, where it is published there too."""
    return [
        other
        for other in kb.entries
        if other.id == entry.id and other.language != entry.language and is_published(other)
    ]


def _words(text: str) -> set[str]:
    """Lowercase words without accents, of three letters or more."""
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )
    return {w for w in re.findall(r"\w+", plain) if len(w) > 2}


def fulltext(entries: Sequence[Entry], query: str, limit: int = 10) -> list[Entry]:
    """Entries whose words overlap the query's most: question and examples count double."""
    words = _words(query)
    if not words:
        return []
    scored = []
    for entry in entries:
        asked = _words(" ".join(entry.phrasings))
        body = _words(entry.answer)
        score = 2 * len(words & asked) + len(words & body)
        if score:
            scored.append((-score, entry.question, entry))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [entry for _, _, entry in scored[:limit]]


def search(
    kb: KnowledgeBase,
    language: str,
    query: str,
    matched: Sequence[str] = (),
    limit: int = 10,
) -> list[Entry]:
    """The understanding engine's ranked entry ids (`matched`) first, in its order, then
    full-text hits, published entries of `language` only, each once."""
    pages = published(kb, language)
    by_id = {e.id: e for e in pages}
    found: list[Entry] = [by_id[i] for i in dict.fromkeys(matched) if i in by_id]
    seen = {e.id for e in found}
    for entry in fulltext(pages, query, limit):
        if entry.id not in seen:
            found.append(entry)
            seen.add(entry.id)
    return found[:limit]
