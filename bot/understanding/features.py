"""From texts to sparse vectors: stemmed word n-grams plus character n-grams.

Word unigrams and bigrams of folded, stemmed words (stemmed for each text's
own language), with the concept groups its words belong to (lexicon.py), and
character 2-5 grams inside word boundaries of the folded text (like
scikit-learn's `char_wb`), each TF-IDF weighted with sublinear term frequency
and L2-normalised, side by side. A message's unknown words are first
mapped to a close known word (typos.TypoCorrector).

Analysing and counting are the costly part, so training counts each text's
terms once (`TermIndex`) and each cross-validation fold weighs its own rows
(`Featuriser`), exactly as a TF-IDF fitted on those rows alone would.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.preprocessing import normalize

from bot.understanding.lexicon import is_concept, lexicon_for
from bot.understanding.normalise import fold, stem
from bot.understanding.typos import TypoCorrector

logger = logging.getLogger(__name__)

CHAR_SIZES = (2, 3, 4, 5)
TOKEN_MEMO = 50_000  # words whose n-gram columns a featuriser remembers


@dataclass(frozen=True)
class Terms:
    """A text analysed: its folded form and word terms; its character n-grams on demand
    (one message's row is built from each word's n-gram columns instead)."""

    folded: str
    words: tuple[str, ...]
    language: str | None = None

    @property
    def chars(self) -> tuple[str, ...]:
        grams: list[str] = []
        for token in self.folded.split():
            grams.extend(char_grams(token))
        return tuple(grams)


def analyse(folded: str, language: str | None) -> Terms:
    tokens = folded.split()
    grams = [_stem(w, language or "") for w in tokens]
    words = grams + [f"{a} {b}" for a, b in zip(grams, grams[1:], strict=False)]
    lexicon = lexicon_for(language)
    if lexicon is not None:
        words += lexicon.concepts(tokens)
    return Terms(folded, tuple(words), language)


@lru_cache(maxsize=50_000)
def _stem(word: str, language: str) -> str:
    return stem(word, language)


@lru_cache(maxsize=50_000)
def char_grams(token: str) -> tuple[str, ...]:
    """The character 2-5 grams of one folded word, padded with a space each side."""
    padded = f" {token} "
    grams: list[str] = []
    for n in CHAR_SIZES:
        if n > len(padded):
            break
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return tuple(grams)


def analyse_all(texts: Sequence[str], languages: Sequence[str | None]) -> list[Terms]:
    return [analyse(fold(t), lang) for t, lang in zip(texts, languages, strict=True)]


class TermIndex:
    """Raw term counts of the training texts, computed once; folds pick their rows. The
    vocabularies stay for reading messages; the counts go once training is done."""

    def __init__(self, docs: Sequence[Terms]) -> None:
        self.words: dict[str, int] = {}
        self.chars: dict[str, int] = {}
        self.word_counts: sparse.csr_matrix | None = _counts(
            [d.words for d in docs], self.words, grow=True
        )
        self.char_counts: sparse.csr_matrix | None = _counts(
            [d.chars for d in docs], self.chars, grow=True
        )

    def release(self) -> None:
        """Drop the counts, which only build featurisers (1.7 MB on the shipped knowledge
        base, kept for the life of a server otherwise)."""
        self.word_counts = self.char_counts = None


def _counts(
    docs: Sequence[Sequence[str]], vocabulary: dict[str, int], grow: bool
) -> sparse.csr_matrix:
    indptr, indices = [0], []
    for terms in docs:
        for term in terms:
            column = vocabulary.get(term)
            if column is None:
                if not grow:
                    continue
                column = vocabulary[term] = len(vocabulary)
            indices.append(column)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    matrix = sparse.csr_matrix(
        (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(len(docs), max(len(vocabulary), 1)),
    )
    matrix.sum_duplicates()  # repeated terms add up
    return matrix


def _idf(counts: sparse.csr_matrix, min_df: int) -> NDArray[np.float32]:
    """Smoothed idf as scikit-learn computes it; 0 for terms too rare to keep."""
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1 + counts.shape[0]) / (1 + df)) + 1.0
    idf[df < min_df] = 0.0
    result: NDArray[np.float32] = idf.astype(np.float32)
    return result


def _weigh(counts: sparse.csr_matrix, idf: NDArray[np.float32]) -> sparse.csr_matrix:
    weighted = counts.copy()
    weighted.data = (1.0 + np.log(weighted.data)).astype(np.float32)  # sublinear tf
    weighted = weighted.multiply(idf[np.newaxis, :]).tocsr()
    weighted.eliminate_zeros()
    return normalize(weighted)


class Featuriser:
    """TF-IDF over one set of training rows of a TermIndex; read-only once built."""

    def __init__(self, index: TermIndex, rows: Sequence[int], docs: Sequence[Terms]) -> None:
        self.index = index
        if index.word_counts is None or index.char_counts is None:
            raise ValueError("a featuriser needs the index's counts: build it before release()")
        picked = np.asarray(rows, dtype=np.int64)
        words, chars = index.word_counts[picked], index.char_counts[picked]
        self._word_idf = _idf(words, 1)
        self._char_idf = _idf(chars, 2 if len(picked) >= 2000 else 1)
        self._matrix: sparse.csr_matrix | None = self._join(
            _weigh(words, self._word_idf), _weigh(chars, self._char_idf)
        )
        self.typos = TypoCorrector(w for i in picked for w in docs[i].folded.split())
        self.languages = frozenset(docs[i].language for i in picked) - {None}
        seen = self._word_idf > 0
        self.vocabulary = frozenset(
            t
            for t, column in index.words.items()
            if seen[column] and " " not in t and not is_concept(t)
        )
        self._columns: dict[str, tuple[int, ...]] = {}  # word -> its n-grams' columns

    def take_matrix(self) -> sparse.csr_matrix:
        """The training rows' TF-IDF matrix, handed over once: the model keeps the rows it
        needs and the featuriser no copy (1.7 MB on the shipped knowledge base)."""
        matrix = self._matrix
        if matrix is None:
            raise ValueError("the featuriser's training matrix was taken already")
        self._matrix = None
        return matrix

    @staticmethod
    def _join(words: sparse.csr_matrix, chars: sparse.csr_matrix) -> sparse.csr_matrix:
        return normalize(sparse.hstack([words, chars], format="csr", dtype=np.float32))

    def prepare(self, text: str, language: str | None) -> Terms:
        """A message analysed, with its typos corrected."""
        return analyse(self.typos.correct_text(fold(text)), language)

    def transform(self, docs: Sequence[Terms]) -> sparse.csr_matrix:
        if len(docs) == 1:
            return self.vector(docs[0])
        words = _counts([d.words for d in docs], self.index.words, grow=False)
        chars = _counts([d.chars for d in docs], self.index.chars, grow=False)
        return self._join(_weigh(words, self._word_idf), _weigh(chars, self._char_idf))

    def vector(self, doc: Terms) -> sparse.csr_matrix:
        """One message's row, as `transform` computes it, without its per-call overheads."""
        indices, data, width = self.parts(doc)
        return sparse.csr_matrix(
            (data, indices, np.array([0, len(data)])), shape=(1, width), dtype=np.float32
        )

    def parts(
        self, doc: Terms, ordered: bool = True
    ) -> tuple[NDArray[np.int64], NDArray[np.float32], int]:
        """One message's row as (column indices, values, width), as `transform` computes it
        (columns of terms too rare to weigh may be there with 0), without a sparse matrix:
        a message has about a hundred non-zeros, so the cost is in the number of numpy
        calls, kept to a few. The indices are sorted unless `ordered` is false (a dot
        product does not need them sorted)."""
        columns: list[NDArray[np.int64]] = []
        values: list[NDArray[np.float32]] = []
        offset = 0
        for (counts, repeated), idf in ((self._word_counts(doc), self._word_idf), (self._char_counts(doc), self._char_idf)):  # fmt: skip
            if counts:
                cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
                weights = idf[cols]
                if repeated:  # sublinear term frequency
                    tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
                    weights *= np.float32(1.0) + np.log(tf)
                total = float(np.dot(weights, weights))
                if total > 0.0:
                    weights *= np.float32(1.0 / math.sqrt(total))
                    columns.append(cols + offset if offset else cols)
                    values.append(weights)
            offset += len(idf)
        if not values:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), offset
        if len(values) == 1:
            indices, data = columns[0], values[0]
        else:
            indices, data = np.concatenate(columns), np.concatenate(values)
            data *= np.float32(1.0 / math.sqrt(len(values)))
        if ordered:
            order = np.argsort(indices)
            data, indices = data[order], indices[order]
        return indices, data, offset

    def _word_counts(self, doc: Terms) -> tuple[dict[int, int], bool]:
        """The known word terms' columns and counts, and whether any count is above 1."""
        counts: dict[int, int] = {}
        vocabulary = self.index.words
        found = 0
        for term in doc.words:
            column = vocabulary.get(term)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
                found += 1
        return counts, found > len(counts)

    def _char_counts(self, doc: Terms) -> tuple[dict[int, int], bool]:
        """The same for character n-grams, from each word's columns, looked up once per
        word (a message has a hundred n-grams, but few words)."""
        counts: dict[int, int] = {}
        found = 0
        for token in doc.folded.split():
            known = self._token_columns(token)
            found += len(known)
            for column in known:
                counts[column] = counts.get(column, 0) + 1
        return counts, found > len(counts)

    def _token_columns(self, token: str) -> tuple[int, ...]:
        columns = self._columns.get(token)
        if columns is None:
            vocabulary = self.index.chars
            columns = tuple(c for g in char_grams(token) if (c := vocabulary.get(g)) is not None)
            if len(self._columns) >= TOKEN_MEMO:
                self._columns.clear()
            self._columns[token] = columns
        return columns

    def coverage(self, doc: Terms) -> float:
        """The share of the text's stemmed words seen in training (0..1)."""
        grams = [w for w in doc.words if " " not in w and not is_concept(w)]
        if not grams:
            return 0.0
        return sum(g in self.vocabulary for g in grams) / len(grams)
