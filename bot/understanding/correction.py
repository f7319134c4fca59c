"""Corrections: "no, not that one, order 100009" replaces what the customer said before.

A message that opens by denying ("no", "not that one", "não", "that's not it") or
says what was meant ("I meant", "quis dizer", "me refería a") and carries an order
number is a correction of the order in focus, not a new question (#17). Plain
patterns in en/pt/es, run on lower-case text without accents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.understanding.matching import Entity
from bot.understanding.normalise import strip_accents

_CORRECTION = re.compile(
    r"^\W*(?:no|nope|nao|not (?:that|this)|wrong|that'?s not|that is not|it'?s not|"
    r"errad[oa]|esse nao|essa nao|nao e|ese no|esa no|no es|equivocad[oa]|"
    r"i meant|i mean|quis dizer|queria dizer|me referia|queria decir|quise decir|"
    r"actually|afinal|en realidad|mejor)\b"
)


def is_correction(text: str, entities: Iterable[Entity]) -> bool:
    """`text` corrects the order in focus: it denies or restates, and names an order."""
    if not any(e.kind == "order_id" for e in entities):
        return False
    return bool(_CORRECTION.search(strip_accents(text.lower()).replace("’", "'")))
