"""The community: customers' questions and answers, and the rules every post goes through.

Pure: values in, values out. Before a post is stored its personal data is masked (emails,
phone numbers, order numbers, postcodes: what `extract_entities` finds, and phone numbers)
and it passes a small per-language filter for spam and abuse; the author is told what was
masked and why.

    masked = mask_personal("my order 100234, mail ana@x.pt")
    masked.text   # "my order [order number], mail [email]"
    masked.kinds  # ("order_id", "email")

Errors::

    CommunityError            (bot.errors.InputError: a polite 400 at the edge)
    ├── PostRefusedError      spam, abuse, empty or too long
    └── NotAllowedError       someone not entitled to the action (403)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.errors import InputError
from bot.understanding.entities import extract_entities

MAX_TITLE = 200
MAX_BODY = 5000
MAX_NAME = 40
MIN_NAME = 2
MAX_LINKS = 2
UNANSWERED_AFTER = 48 * 3600.0
# what an agent does to a post; every one audited in the same transaction as the change.
# `approve` keeps a reported post and takes it off the review queue (until reported again)
MODERATION = ("hide", "unhide", "lock", "unlock", "approve")
POST_KINDS = ("question", "answer")

MASKED_KINDS = {"email": "email", "order_id": "order number", "postcode": "postcode"}
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\d[\s.-]?){8,12}\d(?!\w)")
LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
# words that mark a post as abuse or spam, per language; deliberately short: an agent hides
# what passes and the report button catches the rest
BLOCKED: dict[str, tuple[str, ...]] = {
    "en": ("viagra", "casino", "crypto giveaway", "idiot", "scam you", "fuck"),
    "pt": ("viagra", "casino", "cripto grátis", "idiota", "burla", "caralho"),
    "es": ("viagra", "casino", "cripto gratis", "idiota", "estafa", "joder"),
}


class CommunityError(InputError):
    def __init__(self, message: str, code: str = "community_error") -> None:
        super().__init__(message, code=code)


class PostRefusedError(CommunityError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason, code="post_refused")
        self.reason = reason


class NotAllowedError(CommunityError):
    def __init__(self, message: str = "not allowed") -> None:
        super().__init__(message, code="not_allowed")


@dataclass(frozen=True)
class Author:
    """Who posts: a customer the host site vouches for (or an agent), by a chosen name."""

    id: str  # "customer:<id>" or "agent:<email>": never shown
    name: str
    staff: bool = False


@dataclass(frozen=True)
class Answer:
    id: int
    question_id: int
    body: str
    author_id: str
    author_name: str
    staff: bool
    created_at: float
    votes: int = 0
    hidden: bool = False


@dataclass(frozen=True)
class Question:
    id: int
    language: str
    title: str
    body: str
    author_id: str
    author_name: str
    created_at: float
    views: int = 0
    answers: int = 0
    accepted_answer: int | None = None
    hidden: bool = False
    locked: bool = False
    reports: int = 0
    promoted: bool = False


@dataclass(frozen=True)
class Flagged:
    """A visible post others reported that no agent has looked at since: the review queue."""

    kind: str  # "question" or "answer"
    id: int
    question_id: int
    language: str
    title: str  # the question's
    body: str  # the post's own text
    author_name: str
    reports: int
    created_at: float


@dataclass(frozen=True)
class Masked:
    text: str
    kinds: tuple[str, ...] = ()  # what was masked, once each, in order found

    @property
    def notice(self) -> str:
        if not self.kinds:
            return ""
        names = ", ".join(MASKED_KINDS.get(k, k.replace("_", " ")) for k in self.kinds)
        return f"We hid personal details ({names}) so that others cannot see them."


def mask_personal(text: str, today: date | None = None) -> Masked:
    """`text` with emails, order numbers, postcodes and phone numbers replaced by labels."""
    spans: list[tuple[int, int, str]] = [
        (e.start, e.end, e.kind)
        for e in extract_entities(text, today)
        if e.kind in MASKED_KINDS and e.end > e.start
    ]
    spans += [(m.start(), m.end(), "phone") for m in PHONE.finditer(text)]
    spans.sort(key=lambda s: (s[0], -s[1]))
    out: list[str] = []
    kinds: list[str] = []
    at = 0
    for start, end, kind in spans:
        if start < at:
            continue  # inside one already masked
        out.append(text[at:start])
        label = MASKED_KINDS.get(kind, "phone number")
        out.append(f"[{label}]")
        at = end
        if kind not in kinds:
            kinds.append(kind)
    out.append(text[at:])
    return Masked("".join(out), tuple(kinds))


def refusal(text: str, language: str, limit: int = MAX_BODY) -> str | None:
    """Why `text` may not be posted, or None: empty, too long, too many links, blocked words,
    one character repeated."""
    stripped = text.strip()
    if not stripped:
        return "Write something first."
    if len(stripped) > limit:
        return f"Keep it under {limit} characters."
    if len(LINK.findall(stripped)) > MAX_LINKS:
        return f"At most {MAX_LINKS} links in a post."
    folded = stripped.lower()
    for word in BLOCKED.get(language, ()) + BLOCKED["en"]:
        if re.search(rf"\b{re.escape(word)}\b", folded):
            return "This looks like spam or abuse, so it was not posted."
    if re.search(r"(.)\1{11,}", stripped):
        return "This looks like spam, so it was not posted."
    return None


def display_name(raw: str) -> str:
    """A chosen name, checked: 2-40 characters, not an email or phone number."""
    name = " ".join(raw.split())
    if not MIN_NAME <= len(name) <= MAX_NAME:
        raise PostRefusedError(f"Choose a display name of {MIN_NAME} to {MAX_NAME} characters.")
    if mask_personal(name).kinds:
        raise PostRefusedError("Choose a display name that is not your email or phone number.")
    return name


def may_accept(question: Question, actor: Author) -> bool:
    """The asker or an agent marks the accepted answer."""
    return actor.staff or actor.id == question.author_id


def is_unanswered(question: Question, now: float, after: float = UNANSWERED_AFTER) -> bool:
    return question.answers == 0 and not question.hidden and now - question.created_at >= after
