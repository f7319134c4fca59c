"""The shipped knowledge base against benchmarks/cases/<lang>.csv (paraphrases customers
might type, and off-topic messages), as the server runs it.

Floors a few points under what `make bench-nlu` measured (docs/benchmarks.md),
so that a change which makes the engine guess more, or understand less, fails here.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.knowledge.entries import load_knowledge
from bot.understanding.encoder import load_default
from bot.understanding.engine import Engine
from bot.understanding.entities import extract_entities
from bot.understanding.kb_adapter import samples_from_kb
from bot.understanding.reminders import read_request

ROOT = Path(__file__).resolve().parents[2]
# (in-scope answered right, off-topic declined): measured lexical (session 3)
# en 0.55 / 0.77, pt 0.58 / 0.83, es 0.56 / 0.77; with USE multilingual for every language,
# translations held out together and the margin by meaning in the in-scope gate (#17)
# en 0.77 / 0.90, pt 0.72 / 0.90, es 0.77 / 0.93 (docs/benchmarks.md)
FLOORS = {
    ("lexical", "en"): (0.50, 0.70),
    ("lexical", "pt"): (0.52, 0.75),
    ("lexical", "es"): (0.50, 0.70),
    ("encoder", "en"): (0.72, 0.85),
    ("encoder", "pt"): (0.67, 0.85),
    ("encoder", "es"): (0.72, 0.88),
}


def score(engine: Engine, language: str) -> tuple[float, float]:
    path = ROOT / "benchmarks" / "cases" / f"{language}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    right = declined = inside = outside = 0
    for row in rows:
        # as the server's matcher reads it: the entries read by their words, then the engine
        answered = read_request(row["text"], extract_entities(row["text"]))
        if answered is None:
            result = engine.predict(row["text"], language)
            answered = None if result.decision == "unknown" else result.ranked[0][0]
        if row["category"] == "oos":
            outside += 1
            declined += answered is None
        else:
            inside += 1
            right += answered == row["category"]
    return right / inside, declined / outside


@pytest.fixture(scope="module")
def engines() -> dict[str, Engine]:
    samples = samples_from_kb(load_knowledge(ROOT / "knowledge"))
    return {
        "lexical": Engine.train(samples),
        "encoder": Engine.train(samples, encoder=load_default()),
    }


@pytest.mark.parametrize(("mode", "language"), sorted(FLOORS))
def test_paraphrases_found_and_off_topic_declined(
    engines: dict[str, Engine], mode: str, language: str
) -> None:
    found, declined = score(engines[mode], language)
    least_found, least_declined = FLOORS[(mode, language)]
    assert found >= least_found, f"{mode} {language}: {found:.2f} of paraphrases answered right"
    assert declined >= least_declined, f"{mode} {language}: {declined:.2f} of off-topic declined"
