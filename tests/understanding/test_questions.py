"""Splitting a message into its questions."""

from __future__ import annotations

import pytest

from bot.understanding.questions import split_questions


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "return policy? also can I swap the teapot for another colour",
            ("return policy", "can I swap the teapot for another colour"),
        ),
        (
            "how long does delivery take and can I pay with paypal",
            ("how long does delivery take", "can I pay with paypal"),
        ),
        ("onde está a encomenda? e também posso pagar com MB Way", None),
        ("where is my order?", ("where is my order?",)),
        ("I want tea and cups", ("I want tea and cups",)),
        ("ok? thanks", ("ok? thanks",)),
    ],
)
def test_questions_are_split_at_boundaries_and_joining_words(
    text: str, parts: tuple[str, ...] | None
) -> None:
    found = split_questions(text)
    if parts is None:
        assert len(found) == 2
    else:
        assert found == parts
