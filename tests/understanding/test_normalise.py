from __future__ import annotations

from bot.understanding.normalise import fold, stems
from bot.understanding.typos import TypoCorrector


def test_fold_lowercases_strips_accents_and_punctuation() -> None:
    assert fold("  Devolução, POR FAVOR!! ¿Cómo?") == "devolucao por favor como"


def test_stems_use_each_languages_stemmer() -> None:
    assert stems("refunds refunded", "en") == ["refund", "refund"]
    assert stems("encomendas encomenda", "pt")[0] == stems("encomendas encomenda", "pt")[1]
    assert stems("pedidos pedido", "es")[0] == stems("pedidos pedido", "es")[1]


def test_accents_typed_or_not_give_the_same_stems() -> None:
    assert stems("devolução", "pt") == stems("devolucao", "pt")
    assert stems("dirección", "es") == stems("direccion", "es")


def test_unknown_language_folds_without_stemming() -> None:
    assert stems("Pedidos", None) == ["pedidos"]


def test_typos_are_corrected_towards_known_words_only() -> None:
    corrector = TypoCorrector(["shipping", "address", "refund"])
    assert corrector.correct_text("shiping adress") == "shipping address"
    assert corrector.correct("banana") == "banana"
    assert corrector.correct("the") == "the"  # short words are left alone
