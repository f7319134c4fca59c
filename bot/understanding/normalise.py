"""Per-language text normalisation: case, accents, punctuation, stemming.

Two views of a text feed the engine: `fold` (lowercase, accents stripped,
punctuation as spaces) for character n-grams and fuzzy matching, and `stems`
(folded tokens through the language's Snowball stemmer) for word n-grams.
Stemming runs on the folded word, so that a customer who types without accents
("devolucao", "como esta") gets the same stems as the knowledge base.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer

logger = logging.getLogger(__name__)

STEMMER_NAMES = {"en": "english", "pt": "portuguese", "es": "spanish"}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_local = threading.local()


def strip_accents(text: str) -> str:
    if text.isascii():  # nothing to strip: most messages, most words
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lowercase, accents stripped, anything but letters and digits as one space."""
    return " ".join(_WORD.findall(strip_accents(text.lower())))


def words(text: str) -> list[str]:
    """Lowercase words with their accents kept."""
    return _WORD.findall(text.lower())


def _stemmer(language: str) -> snowballstemmer.stemmer | None:
    # Snowball stemmers keep state while stemming: one per thread.
    cache: dict[str, snowballstemmer.stemmer] | None = getattr(_local, "stemmers", None)
    if cache is None:
        cache = _local.stemmers = {}
    name = STEMMER_NAMES.get(language)
    if name is None:
        return None
    if language not in cache:
        cache[language] = snowballstemmer.stemmer(name)
    return cache[language]


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """The folded stem of one lowercase word; the folded word itself for unknown languages."""
    stemmer = _stemmer(language)
    if stemmer is None or word.isdigit():
        return strip_accents(word)
    return strip_accents(stemmer.stemWord(word))


def stems(text: str, language: str | None) -> list[str]:
    """The text's folded words, stemmed for `language`."""
    lang = language or ""
    return [stem(w, lang) for w in fold(text).split()]
