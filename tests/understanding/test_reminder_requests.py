"""Occasions and the yes or no to reminders, read by their words before any topic
(bot/understanding/reminders.py): every shipped example, and nothing else."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.knowledge.entries import Entry, KnowledgeBase, load_knowledge
from bot.understanding.entities import extract_entities
from bot.understanding.kb_adapter import build_matcher, offtopic_messages, samples_from_kb
from bot.understanding.reminders import BY_PATTERN, OCCASION_ENTRY, REMINDERS_ENTRY, read_request

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = load_knowledge(ROOT / "knowledge")


def read(text: str) -> str | None:
    return read_request(text, extract_entities(text))


def test_every_shipped_example_of_the_two_entries_is_read_as_its_entry() -> None:
    found = [(e.id, e.language, x) for e in SHIPPED if e.id in BY_PATTERN for x in e.examples]
    assert {(entry, language) for entry, language, _ in found} == {
        (entry, language) for entry in BY_PATTERN for language in ("en", "pt", "es")
    }
    assert [(entry, x) for entry, _, x in found if read(x) != entry] == []


def test_nothing_else_customers_say_is_read_as_either() -> None:
    """The other entries' phrasings, the off-topic examples and every other benchmark case."""
    texts = [x for e in SHIPPED if e.id not in BY_PATTERN for x in e.phrasings]
    texts += [x for language in ("en", "pt", "es") for x in offtopic_messages(language)]
    for name in ("en", "pt", "es", "at_risk"):
        with (ROOT / "benchmarks" / "cases" / f"{name}.csv").open(encoding="utf-8") as handle:
            texts += [
                row["text"]
                for row in csv.DictReader(handle)
                if row.get("category") not in BY_PATTERN
            ]
    assert len(texts) > 1500
    assert [t for t in texts if read(t) is not None] == []


@pytest.mark.parametrize(
    "text",
    [
        "can you remind me before my dad's birthday",  # no date: nothing to save
        "remind me tomorrow about my birthday",  # a relative date is no occasion's day
        "my birthday is on 12/03",  # which is the month?
        "I bought a vase for my mum's birthday on 12 March, where is it?",
        "remind me what I ordered on 12 March",  # no occasion
        "do you send offers by email?",  # a question, not a yes
        "Can I turn your reminders and offers on or off?",
        "posso desativar os lembretes?",
        "¿puedo desactivar los recordatorios?",
        "sign me up for the newsletter",  # the newsletter entry's
        "quiero suscribirme al boletín",
        "quero saber se enviam ofertas",
        "send me the invoice",
    ],
)
def test_what_is_not_an_occasion_nor_a_yes_or_no(text: str) -> None:
    assert read(text) is None


@pytest.mark.parametrize(
    "text,entry",
    [
        ("remember my mother's birthday is 12 March", OCCASION_ENTRY),
        ("lembra-me do aniversário da minha mãe a 12 de março", OCCASION_ENTRY),
        ("recuérdame el cumpleaños de mi madre el 12 de marzo", OCCASION_ENTRY),
        ("our anniversary is March 3rd", OCCASION_ENTRY),
        ("send me offers", REMINDERS_ENTRY),
        ("sign me up for reminders", REMINDERS_ENTRY),
        ("cancelem os lembretes", REMINDERS_ENTRY),
        ("desactivad las ofertas", REMINDERS_ENTRY),
    ],
)
def test_the_phrases_of_the_issue_are_read(text: str, entry: str) -> None:
    assert read(text) == entry


def test_the_engine_is_trained_without_them_and_the_matcher_reads_them_first() -> None:
    assert not {s.label for s in samples_from_kb(SHIPPED)} & BY_PATTERN
    kb = KnowledgeBase.of(
        [
            Entry("remember-occasion", "en", "Can you remind me of a birthday?", action="x"),
            Entry("returns", "en", "How do I return an item?", examples=("send it back",)),
            Entry("hours", "en", "When are you open?", examples=("opening hours",)),
        ]
    )
    match = build_matcher(kb).match("remember my birthday is on 3 May", "en")
    assert (match.decision, match.best and match.best.entry_id) == ("answer", OCCASION_ENTRY)
    assert match.confidence == 1.0 and [e.kind for e in match.entities] == ["date"]
    # an entry the knowledge base does not have is never answered: "reminders" is not here
    best = build_matcher(kb).match("send me offers", "en").best
    assert best is None or best.entry_id != REMINDERS_ENTRY
