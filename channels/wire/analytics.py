"""What the admin dashboard's JSON API answers (channels/admin.py, channels/notices.py):
figures, conversations and transcripts, unanswered questions, customers' suggestions,
the proactive notices' outcomes, and what a customer's feedback recorded.

Rates are shares from 0 to 1 (four decimals), None while there is nothing to divide by.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

# --- figures ---------------------------------------------------------------------------


class Figures(TypedDict):
    conversations: int
    resolved_automatically: int
    automated_resolution_rate: float | None
    escalated: int
    escalation_rate: float | None
    escalation_reasons: dict[str, int]
    user_messages: int
    fallbacks: int
    fallback_rate: float | None
    handoffs_claimed: int
    average_wait_seconds: float | None
    ratings: int
    csat: float | None
    average_rating: float | None
    answers_helpful: int
    answers_unhelpful: int


# "from" is a keyword: the functional form
Summary = TypedDict(
    "Summary",
    {
        "from": float,
        "to": float,
        "total": Figures,
        "by_day": dict[str, Figures],
        "by_language": dict[str, Figures],
    },
)
Summary.__doc__ = (
    "The period [from, to) in UNIX seconds; figures overall, per UTC day, per language."
)


# --- conversations ---------------------------------------------------------------------


class ConversationRow(TypedDict):
    conversation_id: str
    started: float | None
    channel: str
    language: str | None
    messages: int
    handed_off: bool
    reasons: list[str]
    rating: int | None
    comment: str | None


class Conversations(TypedDict):
    """The newest 500 in the period, and how many there were in all."""

    conversations: list[ConversationRow]
    total: int


class TranscriptLine(TypedDict):
    seq: int
    kind: str
    text: str
    timestamp: float
    redacted: bool


class Transcript(TypedDict):
    """Verified personal data is masked (`redacted`) for everyone but admins."""

    conversation_id: str
    transcript: list[TranscriptLine]


# --- unanswered questions and suggestions ----------------------------------------------


class Cluster(TypedDict):
    """Questions the assistant could not answer, grouped by wording."""

    id: str
    language: str
    label: str
    count: int
    examples: list[str]
    guesses: list[str]
    last_seen: float


class Unanswered(TypedDict):
    clusters: list[Cluster]
    total: int


class Draft(TypedDict):
    """The draft knowledge file written, relative to the knowledge folder."""

    path: str
    entry: str
    language: str


class Suggestion(TypedDict):
    """A customer's proposed answer, beside the entry's question and current answer."""

    id: int
    conversation: str
    entry: str | None
    text: str
    language: str | None
    timestamp: float
    question: str | None
    current_answer: str | None


class Suggestions(TypedDict):
    suggestions: list[Suggestion]


class SuggestionAccepted(TypedDict):
    entry: str
    language: str
    mode: Literal["example", "answer"]
    path: str


class SuggestionDismissed(TypedDict):
    dismissed: int


class FeedbackRecorded(TypedDict):
    """The kinds of the events stored; rating an answer unhelpful may bring `replies`
    (the bot's, as stored: an offer of a person, say)."""

    recorded: list[str]
    replies: NotRequired[list[dict[str, Any]]]


# --- proactive notices -----------------------------------------------------------------


class _Outcomes(TypedDict):
    sent: int
    shown: int
    holdout: int
    suppressed: int
    unsubscribed: int
    sent_ordered_7d: int
    holdout_ordered_7d: int
    sent_order_rate: float | None
    holdout_order_rate: float | None
    uplift: float | None


class TriggerOutcomes(_Outcomes):
    trigger: str


class TierOutcomes(TriggerOutcomes):
    tier: str


class StageOutcomes(TriggerOutcomes):
    stage: str


class SegmentOutcomes(TierOutcomes):
    stage: str


class Proactive(TypedDict):
    """Notices per trigger, and per trigger and the customer's tier and lifecycle stage
    when it was decided: sent, shown, held out, suppressed, unsubscribed after, and the
    share who ordered within 7 days, notified against the holdout (`uplift`)."""

    triggers: list[TriggerOutcomes]
    by_tier: list[TierOutcomes]
    by_stage: list[StageOutcomes]
    segments: list[SegmentOutcomes]
