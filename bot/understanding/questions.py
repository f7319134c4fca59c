"""Two questions in one message: "return policy? also can I swap the teapot for another colour".

`split_questions` cuts a message at question boundaries (a question mark with
more text after it) and at the words people use to add a second question
("also", "and also", "também", "e também", "además", "y también"). The dialogue
matches each part and answers both when both are confident (#17).
"""

from __future__ import annotations

import re

MIN_WORDS = 2  # a part shorter than this is no question of its own ("ok?")

_BOUNDARY = re.compile(
    r"\?+\s*(?=\S)"  # a question mark with more after it
    r"|[,;.!]?\s+(?:and also|and|e também|e tambem|y también|y tambien)\s+(?=\S)"
    r"(?=(?:can|could|do|does|how|what|where|when|is|are|will|would|posso|pode|podem|como|"
    r"onde|quando|qual|quanto|é|tem|têm|puedo|puede|podéis|cómo|dónde|cuándo|cuál|cuánto|"
    r"hay|tenéis)\b)"
    r"|[,;.!]?\s*\b(?:also|and also|também|tambem|e também|e tambem|además|ademas|"
    r"y también|y tambien)\b[,:]?\s*",
    re.IGNORECASE,
)


def split_questions(text: str) -> tuple[str, ...]:
    """The questions in `text`: one part for one question, more when it asks several."""
    kept = [p for p in (part.strip(" ,;.") for part in _BOUNDARY.split(text)) if p]
    if len(kept) < 2 or any(len(p.split()) < MIN_WORDS for p in kept):
        return (text,)
    return tuple(kept)
