"""The community's JSON API for agents and admins (channels/community.py): the bodies it
reads and the bodies it answers with. The customers' side is HTML forms, not JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from typing_extensions import TypedDict

from channels.parsing import MAX_ROW_ID

# --- bodies ----------------------------------------------------------------------------


class StaffAnswerBody(TypedDict):
    """An agent's answer, shown as staff; checked as a customer's is (not empty, at most
    5,000 characters, no blocked words) and personal details masked."""

    body: str


class StaffAcceptBody(TypedDict):
    """The answer (its id) an agent accepts for the question."""

    answer: Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


# --- responses -------------------------------------------------------------------------


class CommunityQuestion(TypedDict):
    id: int
    language: str
    title: str
    author_name: str
    created_at: float
    views: int
    answers: int
    accepted_answer: int | None
    hidden: bool
    locked: bool
    reports: int
    promoted: bool
    url: str


class FlaggedPost(TypedDict):
    """A visible post others reported that no agent has decided on; `kind` is "question"
    or "answer", `title` the question's."""

    kind: str
    id: int
    question_id: int
    language: str
    title: str
    body: str
    author_name: str
    reports: int
    created_at: float
    url: str


class ReviewQueue(TypedDict):
    flagged: list[FlaggedPost]
    awaiting_promotion: list[CommunityQuestion]


class CommunityDashboard(TypedDict):
    unanswered_48h: list[CommunityQuestion]
    most_viewed_without_entry: list[CommunityQuestion]


class StaffAnswered(TypedDict):
    """The new answer; `notice` says what personal details were masked in it, if any."""

    id: int
    notice: str


class Done(TypedDict):
    ok: Literal[True]


class Promoted(TypedDict):
    """The draft written under the knowledge folder; renamed, it goes live at help_url."""

    draft: str
    publish_by_renaming_to: str
    help_url: str
