"""The engine built from a knowledge base, behind the `Matcher` protocol.

Each entry gives labelled texts: its question and examples (weight 1) and its
answer text (weight ANSWER_WEIGHT, a light hint of its vocabulary), in the
entry's language, labelled with the entry id, so that one entry translated
into several languages is one label; the n-th phrasing of an entry in each
language is taken for a translation of the same question (`Sample.twin`).
For each language of the knowledge base, the built-in off-topic messages of
offtopic/<language>.txt (weather, sport, homework, other companies'
services...) join as examples of what not to answer (engine.OUT_OF_SCOPE). The entries
read by their words (`reminders.BY_PATTERN`) are matched before the engine, never by it.
"""

from __future__ import annotations

import ctypes
import logging
import re
from collections.abc import Callable
from datetime import date
from functools import cache, lru_cache, partial
from pathlib import Path

from bot.knowledge.entries import KnowledgeBase
from bot.ports import MatcherFactory
from bot.understanding.encoder import SentenceEncoder, encoder_for
from bot.understanding.engine import OUT_OF_SCOPE, Engine, Sample
from bot.understanding.entities import extract_entities
from bot.understanding.language import resolve_language
from bot.understanding.matching import Candidate, Match
from bot.understanding.reminders import BY_PATTERN, read_request

logger = logging.getLogger(__name__)

ANSWER_WEIGHT = 0.3
ANSWER_CHARS = 300  # the start of a long answer says enough
_MARKUP = re.compile(r"[*_`#>\[\]()]|https?://\S+")
OFFTOPIC = Path(__file__).parent / "offtopic"


@cache
def offtopic_messages(language: str) -> tuple[str, ...]:
    """The built-in off-topic messages in `language` (none for a language without a file)."""
    path = OFFTOPIC / f"{language}.txt"
    if not path.is_file():
        return ()
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip())


def samples_from_kb(kb: KnowledgeBase, offtopic: bool = True) -> list[Sample]:
    samples: list[Sample] = []
    for entry in kb:
        if entry.id in BY_PATTERN:  # read by their words (bot/understanding/reminders.py)
            continue
        # the n-th phrasing of an entry in each language translates the same question:
        # twins, held out together in calibration
        for position, phrase in enumerate(entry.phrasings):
            samples.append(Sample(phrase, entry.id, entry.language, twin=f"#{position}"))
        answer = _MARKUP.sub(" ", entry.answer[:ANSWER_CHARS]).strip()
        if answer:
            samples.append(Sample(answer, entry.id, entry.language, ANSWER_WEIGHT))
    if offtopic:
        for language in kb.languages:
            samples.extend(
                Sample(text, OUT_OF_SCOPE, language) for text in offtopic_messages(language)
            )
    return samples


class EngineMatcher:
    """A `Matcher` over a trained engine. Immutable; `match` is safe from any thread."""

    def __init__(
        self,
        engine: Engine,
        today: Callable[[], date] = date.today,
        by_pattern: frozenset[str] = frozenset(),
    ) -> None:
        self.engine = engine
        self._today = today
        self.by_pattern = by_pattern  # the knowledge base's entries read by their words
        self.slow = engine.encoder is not None  # a transformer per message: off the loop

    def match(self, text: str, language: str | None = None) -> Match:
        detected = resolve_language(text, language)
        entities = extract_entities(text, self._today())
        asked = read_request(text, entities) if self.by_pattern else None
        if asked is not None and asked in self.by_pattern:  # before any topic
            return Match("answer", (Candidate(asked, 1.0),), detected, entities)
        prediction = self.engine.predict(text, detected or language or None)
        candidates = tuple(Candidate(label, score) for label, score in prediction.ranked)
        return Match(prediction.decision, candidates, detected, entities)


def build_matcher(
    kb: KnowledgeBase, encoder: SentenceEncoder | None = None, contrastive: bool = True
) -> EngineMatcher:
    """A `MatcherFactory`: train the engine on `kb` (call from any thread), with the
    contrastive layer unless `contrastive` is False. The same texts train the same engine,
    so the last few engines are kept by their texts: an edit that changes no text (a
    button, a tag) or an edit undone costs nothing."""
    by_pattern = BY_PATTERN.intersection(entry.id for entry in kb)
    engine = _engine_for(tuple(samples_from_kb(kb)), encoder, contrastive)
    return EngineMatcher(engine, by_pattern=by_pattern)


@lru_cache(maxsize=4)
def _engine_for(
    samples: tuple[Sample, ...], encoder: SentenceEncoder | None, contrastive: bool
) -> Engine:
    engine = Engine.train(samples, encoder=encoder, contrastive=contrastive)
    _trim_heap()
    logger.info(
        "understanding engine ready: %d entries, %.2fs%s",
        len(engine.labels),
        engine.training_seconds,
        " with the sentence encoder" if encoder else "",
    )
    return engine


def _trim_heap() -> None:
    """Give the heap that training freed back to the system. glibc keeps it otherwise:
    ~40 MB of a server's 370 MB RSS after training on the shipped knowledge base with the
    encoder (docs/benchmarks.md). Nothing to do where malloc_trim does not exist."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)


def matcher_factory(
    encoder: str, runtime: str = "auto", contrastive: bool = True
) -> MatcherFactory:
    """The engine's `MatcherFactory` for the encoder settings (`encoder`: 'auto', 'on' or
    'off'; `runtime`: 'auto' or 'numpy'; `contrastive`: BALCAO_CONTRASTIVE)."""
    return partial(build_matcher, encoder=encoder_for(encoder, runtime), contrastive=contrastive)
