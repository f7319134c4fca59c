"""The at-risk reader: signals found inside longer messages, in en/pt/es."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.understanding.at_risk import read_at_risk

CASES = Path(__file__).resolve().parents[2] / "benchmarks" / "cases" / "at_risk.csv"


@pytest.mark.parametrize(
    ("text", "signals"),
    [
        ("your bot is useless. I'm never buying from you again", ("churn", "insult")),
        ("qué vergüenza de tienda, no vuelvo a compraros nunca", ("churn", "insult")),
        ("vou deixar de comprar convosco!!!", ("churn", "shouting")),
        ("I am very disappointed and want to make a formal complaint", ("anger", "complaint")),
    ],
    ids=["en", "es", "pt", "two-weak-signals"],
)
def test_signals_are_found_and_named(text: str, signals: tuple[str, ...]) -> None:
    found = read_at_risk(text)
    assert found.signals == signals and found.at_risk


def test_an_ordinary_complaint_about_a_topic_is_not_at_risk() -> None:
    assert not read_at_risk("the teapot lid is chipped, what should I do").at_risk


def test_the_labelled_set_is_balanced_across_languages() -> None:
    with CASES.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for language in ("en", "pt", "es"):
        mine = [r for r in rows if r["language"] == language]
        assert len(mine) >= 60
        assert {r["label"] for r in mine} == {"at_risk", "complaint", "neutral"}
        assert {r["split"] for r in mine} == {"tune", "test"}
