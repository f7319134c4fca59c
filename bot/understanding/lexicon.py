"""Concepts: the words and phrases customers use for the same thing.

A lexical model learns that "parcel" matters for a question about deliveries only
if a training text says "parcel". concepts/<language>.txt lists groups of
interchangeable support vocabulary, one per line:

    refund: refund, money back, reimbursement, get my money back

and every word or phrase of a group found in a text adds the group's term
(`~refund`) beside the text's own words, so that an entry whose examples say
"refund" is found by a customer who writes "I want my money back". Phrases are
matched on folded words (lower case, no accents or punctuation), as the files list
them, inflections included: matched on stems, common words collided with a
group's ("com", with, is the stem of "comida", a meal). The same id means the
same thing in every language's file.

The groups were written from general knowledge of how people write to support,
not from the knowledge base or the evaluation cases.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.errors import InputError
from bot.understanding.normalise import fold

logger = logging.getLogger(__name__)

CONCEPTS = Path(__file__).parent / "concepts"
MARK = "~"  # a concept's term: folded text has no '~', so no word can clash with one
MAX_WORDS = 4
_LINE = re.compile(r"^(?P<id>[a-z0-9_]+):\s*(?P<terms>.+)$")

Phrase = tuple[tuple[str, ...], str]  # the words after the first two, the concept's term


@dataclass(frozen=True)
class Lexicon:
    """Concept groups of one language: one-word terms by their word, longer phrases by
    their first two words (a common first word, "my" or "o", starts dozens of phrases)."""

    language: str
    words: Mapping[str, tuple[str, ...]]
    phrases: Mapping[tuple[str, str], tuple[Phrase, ...]]
    groups: int

    def concepts(self, words: Sequence[str]) -> list[str]:
        """The concept terms found in `words` (folded), once per occurrence: a group's
        longest phrase at the leftmost place, and no phrase of the same group inside it
        ("o meu cartão" is one ~card, not three)."""
        found: list[str] = []
        single, phrases = self.words, self.phrases
        count = len(words)
        taken: dict[str, int] = {}  # group term -> where its last match ended
        for i, first in enumerate(words):
            matches: list[tuple[int, str]] = []
            if i + 1 < count:
                for rest, term in phrases.get((first, words[i + 1]), ()):
                    end = i + 2 + len(rest)
                    if not rest or (end <= count and tuple(words[i + 2 : end]) == rest):
                        matches.append((end, term))
            matches.extend((i + 1, term) for term in single.get(first, ()))
            for end, term in sorted(matches, reverse=True):  # longest first
                if taken.get(term, -1) <= i:
                    found.append(term)
                    taken[term] = end
        return found


def parse_lexicon(text: str, source: str, language: str) -> Lexicon:
    """Read a concepts file; a malformed line is an InputError naming file and line."""
    word_terms: dict[str, dict[str, None]] = {}  # dicts as ordered sets
    phrase_terms: dict[tuple[str, str], dict[Phrase, None]] = {}
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise InputError(f"{source}:{number}: expected 'concept_id: term, term, ...'")
        concept = match["id"]
        if concept in seen:
            raise InputError(f"{source}:{number}: concept {concept!r} is defined twice")
        seen.add(concept)
        terms = 0
        for term in match["terms"].split(","):
            words = fold(term).split()
            if not words:
                continue
            if len(words) > MAX_WORDS:
                raise InputError(
                    f"{source}:{number}: {term.strip()!r} has more than {MAX_WORDS} words"
                )
            terms += 1
            if len(words) == 1:
                word_terms.setdefault(words[0], {})[MARK + concept] = None
            else:
                key = (words[0], words[1])
                phrase_terms.setdefault(key, {})[(tuple(words[2:]), MARK + concept)] = None
        if not terms:
            raise InputError(f"{source}:{number}: concept {concept!r} has no terms")
    return Lexicon(
        language,
        {word: tuple(terms) for word, terms in word_terms.items()},
        {key: tuple(found) for key, found in phrase_terms.items()},
        len(seen),
    )


@cache
def lexicon_for(language: str | None) -> Lexicon | None:
    """The built-in lexicon of a language, or None for a language without one."""
    if not language:
        return None
    path = CONCEPTS / f"{language}.txt"
    if not path.is_file():
        return None
    lexicon = parse_lexicon(path.read_text(encoding="utf-8"), str(path), language)
    logger.debug("%d concept groups for %s", lexicon.groups, language)
    return lexicon


def is_concept(term: str) -> bool:
    return term.startswith(MARK)
