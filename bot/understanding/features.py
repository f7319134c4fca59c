"""From texts to sparse vectors: stemmed word n-grams plus character n-grams.

Word unigrams and bigrams of folded, stemmed words (stemmed for each text's
own language) and `char_wb` 2-5 grams of the folded text, each TF-IDF weighted
with sublinear term frequency and L2-normalised, side by side. Unknown words
are first mapped to a close known word (typos.TypoCorrector).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from bot.understanding.normalise import fold, stem
from bot.understanding.typos import TypoCorrector

logger = logging.getLogger(__name__)


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def word_terms(folded: str, language: str | None) -> list[str]:
    grams = [stem(w, language or "") for w in folded.split()]
    return grams + [f"{a} {b}" for a, b in zip(grams, grams[1:], strict=False)]


class Featuriser:
    """Fitted once on the training texts, then read-only (safe across threads)."""

    def __init__(self, texts: Sequence[str], languages: Sequence[str | None]) -> None:
        folded = [fold(t) for t in texts]
        self.typos = TypoCorrector(w for f in folded for w in f.split())
        self._words = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, dtype=np.float32)
        min_df = 2 if len(texts) >= 2000 else 1
        self._chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            sublinear_tf=True,
            min_df=min_df,
            dtype=np.float32,
        )
        self._words.fit([word_terms(f, lang) for f, lang in zip(folded, languages, strict=True)])
        self._chars.fit(folded)
        self.vocabulary = frozenset(term for term in self._words.vocabulary_ if " " not in term)

    def prepare(self, text: str) -> str:
        """The folded text with typos corrected."""
        return self.typos.correct_text(fold(text))

    def transform(
        self, texts: Sequence[str], languages: Sequence[str | None], prepared: bool = False
    ) -> sparse.csr_matrix:
        folded = list(texts) if prepared else [self.prepare(t) for t in texts]
        words = self._words.transform(
            [word_terms(f, lang) for f, lang in zip(folded, languages, strict=True)]
        )
        chars = self._chars.transform(folded)
        joined = sparse.hstack([words, chars], format="csr", dtype=np.float32)
        return normalize(joined)

    def coverage(self, prepared: str, language: str | None) -> float:
        """The share of the text's stemmed words seen in training (0..1)."""
        grams = [stem(w, language or "") for w in prepared.split()]
        if not grams:
            return 0.0
        return sum(g in self.vocabulary for g in grams) / len(grams)
