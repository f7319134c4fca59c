"""Notice triggers are files that `balcao kb check` checks, with file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.notices import TRIGGERS, load_templates
from bot.services.curation import check_knowledge

REPO = Path(__file__).resolve().parents[2]


def test_every_trigger_ships_in_english_portuguese_and_spanish() -> None:
    templates = load_templates(REPO / "knowledge")
    for trigger in TRIGGERS:
        for language in ("en", "pt", "es"):
            template = templates.by_key[(trigger, language)]
            assert template.language == language


@pytest.mark.parametrize(
    "text,line,fragment",
    [
        ("---\ntrigger: order.sent\nsubject: x\n---\nhi\n", 2, "'trigger' must be one of"),
        ("---\ntrigger: order.shipped\nsubject: x\ndelay: soon\n---\nhi\n", 4, "'delay'"),
        (
            "---\ntrigger: order.shipped\nsubject: x\n---\nhi {nme}\n",
            5,
            "unknown placeholder {nme}",
        ),
        (
            "---\ntrigger: winback\nsubject: x\nkind: service\n---\nhi\n",
            4,
            "needs the customer's opt-in",
        ),
        ("---\ntrigger: order.shipped\nsubject: x\n---\n", 5, "the message is empty"),
        (
            "---\ntrigger: thanks.first_purchase\nsubject: x\n---\nhello\n{offer} off\n",
            6,
            "{offer} is for 'winback.offer' files only",
        ),
        (
            "---\ntrigger: winback\nsubject: x\noffer: 5\n---\nhi\n",
            4,
            "'offer' is for 'winback.offer' files only",
        ),
        (
            "---\ntrigger: winback.offer\nsubject: x\noffer: -5\n---\nhi\n",
            4,
            "'offer' is a positive",
        ),
        (
            "---\ntrigger: winback.offer\nsubject: x\noffer: lots\n---\nhi\n",
            4,
            "'offer' is a positive",
        ),
    ],
    ids=[
        "unknown-trigger",
        "bad-delay",
        "unknown-placeholder",
        "marketing-as-service",
        "empty",
        "offer-not-booked",
        "offer-amount-elsewhere",
        "negative-offer",
        "offer-not-a-number",
    ],  # fmt: skip
)
def test_kb_check_names_file_and_line_of_a_bad_notice(
    kb_dir: Path, text: str, line: int, fragment: str
) -> None:
    path = kb_dir / "en" / "notices" / "bad.md"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    problems = [p for p in check_knowledge(kb_dir) if p.path == str(path)]
    assert len(problems) == 1
    assert problems[0].line == line
    assert fragment in problems[0].message


def test_a_winback_offer_file_may_name_the_offer_without_an_amount_of_its_own(
    kb_dir: Path,
) -> None:
    path = kb_dir / "en" / "notices" / "offer.md"
    path.parent.mkdir()
    path.write_text('---\ntrigger: winback.offer\nsubject: "{offer} for you"\n---\nhi\n')
    assert [p for p in check_knowledge(kb_dir) if p.path == str(path)] == []
    assert load_templates(kb_dir).by_key[("winback.offer", "en")].offer is None
