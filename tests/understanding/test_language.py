from __future__ import annotations

import pytest

from bot.understanding.language import detect, resolve_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("where is my order?", "en"),
        ("I want a refund for my card", "en"),
        ("onde está a minha encomenda?", "pt"),
        ("o meu cartão foi cobrado duas vezes", "pt"),
        ("como faco para mudar a morada", "pt"),
        ("¿dónde está mi pedido?", "es"),
        ("mi tarjeta fue cobrada dos veces", "es"),
        ("quiero hablar con una persona", "es"),
    ],
)
def test_detects_the_language_of_a_customer_message(text: str, language: str) -> None:
    assert detect(text).language == language


@pytest.mark.parametrize("text", ["", "?", "ok", "😀", "12345"])
def test_messages_without_words_have_no_language(text: str) -> None:
    assert resolve_language(text) is None


def test_conversation_keeps_its_language_on_an_ambiguous_message() -> None:
    assert resolve_language("reembolso", "pt") is None
    assert resolve_language("obrigado", "en") is None


def test_a_clear_switch_changes_the_language() -> None:
    assert resolve_language("quiero devolver el producto que compré", "en") == "es"
    assert resolve_language("where is my parcel please", "pt") == "en"


def test_a_message_in_the_conversations_language_is_confirmed() -> None:
    assert resolve_language("onde está a minha encomenda", "pt") == "pt"
