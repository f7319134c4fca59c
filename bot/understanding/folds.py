"""Cross-validation folds drawn from hashes, not from one random sequence.

    spread("returns", ["how do returns work", "return policy"], folds=5)  # [3, 4]

A group's texts are ranked by their own crc32 and dealt round the folds from an offset
given by the group's key, so adding a text to one group moves that group's texts alone,
and identical texts share a fold (a held-out text never has its twin in training). The
same in every process, unlike `hash`. Used by the engine's calibration and `kb check`.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence


def stable(text: str, salt: int = 0) -> int:
    """A number of the text's own, the same in every process."""
    return zlib.crc32(text.encode("utf-8")) ^ salt


def spread(key: str, texts: Sequence[str], folds: int, salt: int = 0) -> list[int]:
    """The fold of each of `texts`, a group named `key`."""
    ranked = sorted(set(texts), key=lambda t: (stable(t, salt), t))
    rank = {text: r for r, text in enumerate(ranked)}
    offset = stable(key, salt)
    return [(offset + rank[text]) % folds for text in texts]
