from __future__ import annotations

from datetime import date

import pytest

from bot.knowledge.entries import Entry, KnowledgeBase
from bot.understanding import EngineMatcher, build_matcher
from bot.understanding.engine import Engine
from bot.understanding.kb_adapter import samples_from_kb
from bot.understanding.matching import Match

from .conftest import INTENTS


def make_kb() -> KnowledgeBase:
    entries = []
    for label, by_language in INTENTS.items():
        for language, texts in by_language.items():
            entries.append(
                Entry(
                    id=label.replace("_", "-"),
                    language=language,
                    question=texts[0],
                    examples=tuple(texts[1:]),
                    answer=f"**{label}**: see https://example.com/{label}",
                )
            )
    entries.append(
        Entry(id="order-lookup", language="en", question="look up order", action="action_order")
    )
    return KnowledgeBase.of(entries)


@pytest.fixture(scope="module")
def matcher() -> EngineMatcher:
    return build_matcher(make_kb())


def test_answer_text_is_a_light_hint() -> None:
    kb = make_kb()
    weights = {s.weight for s in samples_from_kb(kb)}
    assert weights == {1.0, 0.3}
    assert not any("https" in s.text for s in samples_from_kb(kb))


def test_match_returns_entry_ids_deduplicated_across_languages(matcher: EngineMatcher) -> None:
    match = matcher.match("onde está a minha encomenda", "pt")
    assert isinstance(match, Match)
    assert match.best is not None and match.best.entry_id == "order-status"
    ids = [c.entry_id for c in match.candidates]
    assert len(ids) == len(set(ids)) <= 3
    assert all(isinstance(i, str) for i in ids)
    assert match.language == "pt"


def test_match_reports_entities(matcher: EngineMatcher) -> None:
    fixed = EngineMatcher(matcher.engine, today=lambda: date(2024, 5, 10))
    match = fixed.match("where is order #12345, it shipped yesterday", "en")
    assert [(e.kind, e.value) for e in match.entities] == [
        ("order_id", "12345"),
        ("date", "2024-05-09"),
    ]


def test_short_or_empty_messages(matcher: EngineMatcher) -> None:
    assert matcher.match("?", "en").decision == "unknown"
    assert matcher.match("😀", None).candidates == ()
    assert matcher.match("ok", "en").language is None


def test_off_topic_is_unknown(matcher: EngineMatcher) -> None:
    assert matcher.match("who won the football world cup in 1998", "en").decision == "unknown"


def test_build_is_fast(matcher: EngineMatcher) -> None:
    assert isinstance(matcher.engine, Engine)
    assert matcher.engine.training_seconds < 2.0
