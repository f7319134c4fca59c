"""Reading order numbers, emails and postcodes from a message, with or without the engine's entities."""

from __future__ import annotations

from typing import Any

import pytest

from actions.extract import Details, details


@pytest.mark.parametrize(
    ("text", "expecting", "found"),
    [
        pytest.param("where is order 100234?", False, Details("100234"), id="order"),
        pytest.param("#100234", False, Details("100234"), id="hash-order"),
        pytest.param(
            "100234 and ana@example.com",
            False,
            Details("100234", "ana@example.com"),
            id="order-and-email",
        ),
        pytest.param("1000-001", True, Details(None, None, "1000-001"), id="pt-postcode"),
        pytest.param("my postcode is SW1A 1AA", True, Details(None, None, "SW1A 1AA"), id="uk"),
        pytest.param("28001", True, Details(None, None, "28001"), id="es-postcode-alone"),
        pytest.param("28001", False, Details("28001"), id="five-digits-as-order-at-first"),
        pytest.param(
            "order 100234 postcode 28001",
            False,
            Details("100234", None, "28001"),
            id="order-and-es-postcode",
        ),
        pytest.param("hello there", False, Details(), id="nothing"),
    ],
)
def test_details_from_text(text: str, expecting: bool, found: Details) -> None:
    assert details(text, expecting_contact=expecting) == found


def test_engine_entities_come_first() -> None:
    entities: list[dict[str, Any]] = [
        {"entity": "order_id", "value": "A-77"},
        {"entity": "email", "value": "x@example.com"},
    ]

    assert details("whatever 123456", entities) == Details("A-77", "x@example.com")


@pytest.mark.parametrize(
    ("expecting", "found"),
    [
        pytest.param(True, Details(None, None, "12345"), id="expecting-contact-postcode"),
        pytest.param(False, Details("12345"), id="otherwise-order"),
    ],
)
def test_one_number_read_both_ways_is_decided_by_context(expecting: bool, found: Details) -> None:
    entities = [{"entity": "order_id", "value": "12345"}, {"entity": "postcode", "value": "12345"}]

    assert details("12345", entities, expecting_contact=expecting) == found
