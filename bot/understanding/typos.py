"""Typo tolerance: words the engine never saw are mapped to the closest known word.

Only words of four letters or more are corrected, only towards a known word of
about the same length, and only above a similarity cut-off, so that rare but
correct words stay as they are when nothing close enough exists.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from rapidfuzz import fuzz, process

logger = logging.getLogger(__name__)

MIN_LENGTH = 4
CUTOFF = 86.0
MAX_LOOKUPS = 24  # per message: a long message's tail is taken as typed
MEMO_SIZE = 50_000  # corrections remembered per corrector (customers repeat their typos)


class TypoCorrector:
    """Maps an unknown folded word to a known one. Read-only after construction."""

    def __init__(self, vocabulary: Iterable[str], cutoff: float = CUTOFF) -> None:
        self.cutoff = cutoff
        self.known = frozenset(vocabulary)
        by_length: dict[int, list[str]] = defaultdict(list)
        for word in self.known:
            if len(word) >= MIN_LENGTH - 1 and not word.isdigit():
                by_length[len(word)].append(word)
        self._by_length = {n: tuple(sorted(ws)) for n, ws in by_length.items()}
        self._memo: dict[str, str] = {}  # a pure function of the word: safe to share

    def correct(self, word: str) -> str:
        if word in self.known or len(word) < MIN_LENGTH or any(c.isdigit() for c in word):
            return word
        corrected = self._memo.get(word)
        if corrected is None:
            corrected = self._closest(word)
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[word] = corrected
        return corrected

    def _closest(self, word: str) -> str:
        choices = [
            w for n in (len(word) - 1, len(word), len(word) + 1) for w in self._by_length.get(n, ())
        ]
        best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=self.cutoff)
        return best[0] if best is not None else word

    def correct_text(self, folded: str) -> str:
        """A folded text (see normalise.fold) with its unknown words corrected."""
        out, lookups = [], 0
        for word in folded.split():
            if word not in self.known and lookups < MAX_LOOKUPS:
                lookups += 1
                word = self.correct(word)
            out.append(word)
        return " ".join(out)
