"""Concept groups: shared support vocabulary that joins a text's own words."""

from __future__ import annotations

import re

import pytest

from bot.errors import InputError
from bot.understanding.engine import Engine, Sample
from bot.understanding.features import analyse
from bot.understanding.lexicon import CONCEPTS, lexicon_for, parse_lexicon
from bot.understanding.normalise import fold


def concepts(text: str, language: str) -> list[str]:
    return [t for t in analyse(fold(text), language).words if t.startswith("~")]


def test_a_phrase_adds_its_group_once_per_occurrence() -> None:
    lexicon = parse_lexicon("refund: refund, money back\nparcel: parcel, package\n", "x", "en")
    assert lexicon.groups == 2
    assert lexicon.concepts(["i", "want", "my", "money", "back"]) == ["~refund"]
    assert lexicon.concepts(["money"]) == []  # half a phrase is no match
    assert lexicon.concepts(["parcel", "and", "parcel"]) == ["~parcel", "~parcel"]


def test_phrases_of_one_group_inside_each_other_count_once() -> None:
    lexicon = parse_lexicon("card: cartão, meu cartão, o meu cartão\nmine: meu\n", "x", "pt")
    assert lexicon.concepts(fold("o meu cartão").split()) == ["~card", "~mine"]
    assert lexicon.concepts(fold("cartão e o meu cartão").split()) == ["~card", "~card", "~mine"]


def test_words_match_folded_not_stemmed() -> None:
    """Folded: accents and case do not matter. Not stemmed: 'com' (with) is the stem of
    'comida' (a meal), and 'please' of 'pleased'."""
    lexicon = parse_lexicon("refund: devolução do dinheiro\nmeal: comida\n", "x", "pt")
    assert lexicon.concepts(fold("a Devolucao do dinheiro").split()) == ["~refund"]
    assert lexicon.concepts(fold("vou com a minha mãe").split()) == []
    assert concepts("please help me", "en") == ["~help"]
    assert "~meal" not in concepts("vou com a minha mãe", "pt")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("refund money back", "2: expected 'concept_id: term, term, ...'"),
        ("Refund: refund", "2: expected 'concept_id: term, term, ...'"),
        ("refund: refund\nrefund: money back", "3: concept 'refund' is defined twice"),
        ("refund: i would really like my money", "2: 'i would really like my money' has more"),
        ("refund: , ,", "2: concept 'refund' has no terms"),
    ],
)
def test_a_bad_line_names_file_and_line(text: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_lexicon("# groups\n" + text, "concepts/en.txt", "en")
    assert str(caught.value).startswith(f"concepts/en.txt:{problem}")


def test_the_shipped_lexicons_parse_and_share_their_ids() -> None:
    ids = {}
    for language in ("en", "pt", "es"):
        lexicon = lexicon_for(language)
        assert lexicon is not None and lexicon.groups > 300
        text = (CONCEPTS / f"{language}.txt").read_text(encoding="utf-8")
        ids[language] = set(re.findall(r"^([a-z0-9_]+):", text, re.MULTILINE))
    assert ids["en"] == ids["pt"] == ids["es"]
    assert lexicon_for("fr") is None and lexicon_for(None) is None


@pytest.mark.parametrize(
    ("text", "language", "group"),
    [
        ("I'd like my money back", "en", "~refund"),
        ("where's my parcel", "en", "~parcel"),
        ("cadê meu pedido", "pt", "~order"),
        ("quiero que me devuelvan el dinero", "es", "~refund"),
    ],
)
def test_customers_words_find_their_group(text: str, language: str, group: str) -> None:
    assert group in concepts(text, language)


def test_concepts_do_not_count_as_known_words() -> None:
    engine = Engine.train([Sample("refund please", "refund", "en"), Sample("hi", "hello", "en")])
    featuriser = engine._model.featuriser
    assert all(not word.startswith("~") for word in featuriser.vocabulary)
    assert featuriser.coverage(analyse(fold("money back"), "en")) == 0.0


@pytest.mark.parametrize(
    ("text", "label"), [("pay me back", "refund"), ("purchases", "order_status")]
)
def test_a_synonym_never_seen_in_training_finds_its_entry(text: str, label: str) -> None:
    """The point of the lexicon: no training text says 'pay', 'back' or 'purchase' (without
    the lexicon, both rank another label first)."""
    samples = [
        Sample(text, label, "en")
        for label, texts in {
            "refund": ["refund please", "i want a refund", "refund for my order"],
            "order_status": ["where is my order", "track my order", "order status"],
            "opening_hours": ["when do you open", "opening hours", "are you open today"],
        }.items()
        for text in texts
    ]
    engine = Engine.train(samples)
    assert engine.predict(text, "en").ranked[0][0] == label
