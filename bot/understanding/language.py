"""Language detection for short customer messages: English, Portuguese, Spanish.

Nothing is downloaded: a message is scored against small built-in profiles of
each language's most frequent words and tell-tale letters (ã, õ, ç for
Portuguese; ñ, ¿, ¡ for Spanish). Chat messages are short, so a detection
comes with a confidence, and `resolve_language` keeps the conversation's
language unless the customer clearly switched.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from bot.understanding.normalise import strip_accents, words

logger = logging.getLogger(__name__)

SUPPORTED = ("en", "pt", "es")


def _profile(common: str, markers: str) -> dict[str, float]:
    """Frequent words weigh 1; marker words, (nearly) exclusive to the language, weigh 2."""
    weights = dict.fromkeys(common.split(), 1.0)
    weights.update(dict.fromkeys(markers.split(), 2.0))
    return weights


_PROFILES: dict[str, dict[str, float]] = {
    "en": _profile(
        "the a an and or to of in on for is are was were be been it this that my your "
        "i you he she we they me us what where when why how which who can could would "
        "should will do does did have has had not no yes with from at by about please "
        "thanks thank hello hi hey want need get order account card money help there "
        "here if but so just still yet some any",
        "the and is are what where when why how which who would should does did have "
        "has with from please thanks thank hello hi hey want need my i you it this "
        "that yesterday today tomorrow can't don't i'm isn't",
    ),
    "pt": _profile(
        "o a os as um uma de do da dos das em no na nos nas para por com que e é se "
        "não nao sim meu minha meus minhas seu sua eu você voce vocês ele ela nós "
        "como onde quando porque qual quais quem mais muito obrigado obrigada olá "
        "ola bom boa dia tarde noite quero queria preciso posso pode encomenda "
        "pedido conta cartão cartao dinheiro ajuda está esta estou tenho tem já ja "
        "ainda foi ser fazer hoje ontem amanhã amanha",
        "não nao você voce vocês obrigado obrigada olá ola quero queria preciso "
        "encomenda cartão cartao estou tenho já ontem amanhã amanha do da das foi ao à "
        "no na nos nas meu minha onde uma é isso também tambem então entao fiz "
        "recebi chegou devolução devolucao morada vezes até sem quanto aqui "
        "fatura encomendei há dois duas",
    ),
    "es": _profile(
        "el la los las un una de del en para por con que y es se no sí si mi mis tu "
        "su yo usted ustedes él ella nosotros como cómo donde dónde cuando cuándo "
        "porque por qué cual cuál quien quién más muy gracias hola buenos buenas "
        "días tardes noches quiero quería necesito puedo puede pedido cuenta "
        "tarjeta dinero ayuda está estoy tengo tiene ya todavía fue ser hacer hoy "
        "ayer mañana",
        "el los las del y mi mis usted ustedes gracias hola buenos buenas quiero "
        "quería necesito tengo estoy todavía ayer hoy mañana dónde cómo cuándo "
        "también entonces hice recibí llegó devolución dirección "
        "muchas pero fue hay eso esto lo le al yo veces hace sin cuánto cuanto "
        "puedo factura qué tienda nunca vuelvo vergüenza vuestra vuestro os "
        "compraros comprar",
    ),
}
_LETTERS = {"pt": re.compile(r"[ãõç]|ções|ção"), "es": re.compile(r"[ñ¿¡]|ción")}
_ACCENT_FREE = {lang: {strip_accents(w): s for w, s in p.items()} for lang, p in _PROFILES.items()}


@dataclass(frozen=True)
class Detection:
    language: str | None  # None when no language stands out
    confidence: float  # 0..1: how far the best stands above the runner-up
    scores: tuple[tuple[str, float], ...] = ()


def detect(text: str) -> Detection:
    """The most likely language of `text`, with a confidence in 0..1."""
    tokens = words(text)
    if not tokens:
        return Detection(None, 0.0)
    en = pt = es = 0.0
    for token in tokens:
        e, p, s = _evidence(token)
        en += e
        pt += p
        es += s
    # the letters of _LETTERS that are no word characters
    es += 2.5 * (text.count("¿") + text.count("¡"))
    scores = {"en": en, "pt": pt, "es": es}
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    (best, top), (_, second) = ranked[0], ranked[1]
    if top <= 0.0:
        return Detection(None, 0.0, tuple(ranked))
    # margin relative to the evidence, damped for very little evidence
    margin = (top - second) / top
    evidence = min(1.0, top / 4.0)
    confidence = round(margin * evidence, 4)
    return Detection(best if top > second else None, confidence, tuple(ranked))


@lru_cache(maxsize=50_000)
def _evidence(token: str) -> tuple[float, float, float]:
    """One lower-case word's weight for each of SUPPORTED: its profile weight (half of it
    when typed without accents) and 2.5 for each tell-tale letter in it. Words repeat, so
    this is computed once per word."""
    found: list[float] = []
    for lang in SUPPORTED:
        weight = _PROFILES[lang].get(token)
        if weight is None:
            # typed without accents: half the evidence
            weight = _ACCENT_FREE[lang].get(strip_accents(token), 0.0) * 0.5
        pattern = _LETTERS.get(lang)
        if pattern is not None:
            weight += 2.5 * len(pattern.findall(token))
        found.append(weight)
    return found[0], found[1], found[2]


CONFIDENT = 0.35  # a detection at or above this is taken as the message's language
SWITCH = 0.6  # leaving the conversation's language needs stronger evidence


def resolve_language(text: str, hint: str | None = None) -> str | None:
    """The language to report for `text` in a conversation held in `hint`.

    The detected language when it is reasonably sure; the hint when the
    message agrees with it; None when the message does not tell.
    """
    found = detect(text)
    if found.language is None:
        return None
    if hint is None or found.language == hint:
        return found.language if found.confidence >= CONFIDENT else None
    return found.language if found.confidence >= SWITCH else None


SWITCH_WORDS = 3  # a message this long (or longer) can move the conversation to another language


def follows_customer(text: str, current: str | None) -> str | None:
    """The language the conversation should go on in after `text`, if it changes.

    The customer leads: a confident detection moves a conversation that has no
    language yet; leaving `current` takes a clear detection (SWITCH) on a message of
    at least SWITCH_WORDS words, so that a one-word "ok" or "obrigado" flips nothing.
    """
    found = detect(text)
    if found.language is None or found.language == current:
        return None
    if current is None:
        return found.language if found.confidence >= CONFIDENT else None
    if len(words(text)) < SWITCH_WORDS or found.confidence < SWITCH:
        return None
    return found.language
