"""The matching seam: what the dialogue asks of an understanding engine.

A `Matcher` maps a customer's text to knowledge-base entry ids with a
confidence, and decides between answering, asking the customer to choose, and
admitting it does not know. `FuzzyMatcher` is the simple rapidfuzz baseline;
the understanding engine (`bot.understanding`) implements the same protocol.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

from bot.knowledge.entries import KnowledgeBase

Decision = Literal["answer", "choose", "unknown"]


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float  # 0..1


@dataclass(frozen=True)
class Entity:
    kind: str  # order_id, email, postcode, amount, date...
    value: str
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Match:
    decision: Decision
    candidates: tuple[Candidate, ...] = ()
    language: str | None = None  # detected language of the text, if any
    entities: tuple[Entity, ...] = field(default=())

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def confidence(self) -> float:
        return self.candidates[0].score if self.candidates else 0.0


def normalise(text: str) -> str:
    """Lowercase, strip accents and punctuation, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", plain)).strip()


class FuzzyMatcher:
    """Nearest phrasing by rapidfuzz token-set ratio. A baseline, not the engine."""

    def __init__(self, kb: KnowledgeBase, answer_at: float = 0.80, choose_at: float = 0.60) -> None:
        self.answer_at = answer_at
        self.choose_at = choose_at
        self._phrases: list[str] = []
        self._labels: list[tuple[str, str]] = []  # (entry id, language)
        for entry in kb:
            for phrase in entry.phrasings:
                self._phrases.append(normalise(phrase))
                self._labels.append((entry.id, entry.language))

    def match(self, text: str, language: str | None = None) -> Match:
        query = normalise(text)
        if not query or not self._phrases:
            return Match("unknown", language=language)
        hits = process.extract(
            query, self._phrases, scorer=fuzz.token_set_ratio, limit=30, score_cutoff=30
        )
        best: dict[str, float] = {}
        detected: str | None = None
        for _, score, index in hits:
            entry_id, entry_language = self._labels[index]
            # a short query fully contained in a long phrase scores 100 on token_set; temper it
            value = (score * 0.7 + fuzz.ratio(query, self._phrases[index]) * 0.3) / 100
            if detected is None:
                detected = entry_language
            if value > best.get(entry_id, 0.0):
                best[entry_id] = value
        ranked = tuple(
            Candidate(k, round(v, 4)) for k, v in sorted(best.items(), key=lambda kv: -kv[1])
        )[:3]
        if not ranked:
            return Match("unknown", language=language)
        top = ranked[0].score
        if top >= self.answer_at and (len(ranked) < 2 or top - ranked[1].score > 0.05):
            decision: Decision = "answer"
        elif top >= self.choose_at:
            decision = "choose"
        else:
            decision = "unknown"
        return Match(decision, ranked, detected or language)
