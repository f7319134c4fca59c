"""Analytics: figures computed from conversations' events. Pure: values in, values out.

Per conversation (counted on the UTC day it started, in its latest language):

- automated resolution: the customer wrote, their last message was answered (decision
  not "unknown"/"choose"), no person was asked for, and no answer or conversation was
  rated unhelpful (`feedback {helpful: false}` or a rating of 1-2);
- escalation: a `handoff {status: requested}`; reasons counted per request;
- fallback rate: user messages with decision "unknown" over user messages;
- wait for an agent: `handoff queued` -> first `claimed` of the same handoff_id;
- CSAT: `feedback {rating}`: the share of 4-5 and the average.

`unanswered(...)` lists the customer messages the assistant could not answer
(decision "unknown" or "choose"), for bot/unanswered.py to group.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.core import events as ev
from bot.core.events import Event

logger = logging.getLogger(__name__)

UNANSWERED = ("unknown", "choose")


@dataclass(frozen=True)
class ConversationLog:
    """One conversation's events, in order, as the store gives them."""

    conversation_id: str
    events: tuple[Event, ...]
    channel: str = ""
    language: str | None = None  # as the store knows it; events may say more


@dataclass
class Figures:
    """Counters of one slice (everything, one day, one language). Mutable while summing only."""

    conversations: int = 0
    resolved_automatically: int = 0
    escalated: int = 0
    user_messages: int = 0
    fallbacks: int = 0
    waits: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)
    helpful: int = 0
    unhelpful: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        satisfied = sum(1 for r in self.ratings if r >= 4)
        return {
            "conversations": self.conversations,
            "resolved_automatically": self.resolved_automatically,
            "automated_resolution_rate": _rate(self.resolved_automatically, self.conversations),
            "escalated": self.escalated,
            "escalation_rate": _rate(self.escalated, self.conversations),
            "escalation_reasons": dict(
                sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
            ),
            "user_messages": self.user_messages,
            "fallbacks": self.fallbacks,
            "fallback_rate": _rate(self.fallbacks, self.user_messages),
            "handoffs_claimed": len(self.waits),
            "average_wait_seconds": round(sum(self.waits) / len(self.waits), 1)
            if self.waits
            else None,
            "ratings": len(self.ratings),
            "csat": _rate(satisfied, len(self.ratings)),
            "average_rating": round(sum(self.ratings) / len(self.ratings), 2)
            if self.ratings
            else None,
            "answers_helpful": self.helpful,
            "answers_unhelpful": self.unhelpful,
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class ConversationFacts:
    """What one conversation contributes to the figures."""

    conversation_id: str
    day: str
    language: str
    customer_wrote: bool
    left_unanswered: bool  # the customer's last message got no answer
    escalated: bool
    reasons: tuple[str, ...]
    user_messages: int
    fallbacks: int
    waits: tuple[float, ...]
    ratings: tuple[int, ...]
    helpful: int
    unhelpful: int

    @property
    def resolved_automatically(self) -> bool:
        low_rating = any(r <= 2 for r in self.ratings)
        return (
            self.customer_wrote
            and not self.left_unanswered
            and not self.escalated
            and not self.unhelpful
            and not low_rating
        )


def day_of(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()


def facts(log: ConversationLog, default_language: str = "en") -> ConversationFacts | None:
    """The facts of one conversation; None when it has no events."""
    if not log.events:
        return None
    language = log.language
    reasons: list[str] = []
    user_messages = fallbacks = helpful = unhelpful = 0
    queued: dict[str, float] = {}
    waits: list[float] = []
    ratings: list[int] = []
    last_decision: str | None = None
    for event in log.events:
        data = event.data
        if event.kind == ev.LANGUAGE:
            language = data.get("language") or language
        elif event.kind == ev.USER:
            user_messages += 1
            last_decision = data.get("decision")
            if data.get("decision") == "unknown":
                fallbacks += 1
        elif event.kind == ev.HANDOFF:
            status = data.get("status")
            handoff_id = str(data.get("handoff_id", ""))
            if status == "requested":
                reasons.append(str(data.get("reason") or "unspecified"))
            elif status == "queued" and handoff_id not in queued:
                queued[handoff_id] = event.timestamp
            elif status == "claimed" and handoff_id in queued:
                waits.append(max(0.0, event.timestamp - queued.pop(handoff_id)))
        elif event.kind == ev.FEEDBACK:
            rating = data.get("rating")
            if isinstance(rating, int) and not isinstance(rating, bool) and 1 <= rating <= 5:
                ratings.append(rating)
            if data.get("helpful") is True:
                helpful += 1
            elif data.get("helpful") is False:
                unhelpful += 1
    return ConversationFacts(
        conversation_id=log.conversation_id,
        day=day_of(log.events[0].timestamp),
        language=language or default_language,
        customer_wrote=user_messages > 0,
        left_unanswered=last_decision in UNANSWERED,
        escalated=bool(reasons),
        reasons=tuple(reasons),
        user_messages=user_messages,
        fallbacks=fallbacks,
        waits=tuple(waits),
        ratings=tuple(ratings),
        helpful=helpful,
        unhelpful=unhelpful,
    )


def _add(figures: Figures, fact: ConversationFacts) -> None:
    figures.conversations += 1
    figures.resolved_automatically += fact.resolved_automatically
    figures.escalated += fact.escalated
    figures.reasons.update(fact.reasons)
    figures.user_messages += fact.user_messages
    figures.fallbacks += fact.fallbacks
    figures.waits.extend(fact.waits)
    figures.ratings.extend(fact.ratings)
    figures.helpful += fact.helpful
    figures.unhelpful += fact.unhelpful


@dataclass(frozen=True)
class Summary:
    total: dict[str, Any]
    by_day: dict[str, dict[str, Any]]
    by_language: dict[str, dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "by_day": self.by_day, "by_language": self.by_language}


def summarise(logs: Iterable[ConversationLog], default_language: str = "en") -> Summary:
    """Figures for every conversation in `logs`, overall, per day and per language."""
    total = Figures()
    days: dict[str, Figures] = {}
    languages: dict[str, Figures] = {}
    for log in logs:
        fact = facts(log, default_language)
        if fact is None:
            continue
        _add(total, fact)
        _add(days.setdefault(fact.day, Figures()), fact)
        _add(languages.setdefault(fact.language, Figures()), fact)
    return Summary(
        total.as_dict(),
        {day: days[day].as_dict() for day in sorted(days)},
        {lang: languages[lang].as_dict() for lang in sorted(languages)},
    )


@dataclass(frozen=True)
class Question:
    """A customer message the assistant could not answer."""

    text: str
    language: str
    timestamp: float
    conversation_id: str
    decision: str
    guess: str | None = None  # the matcher's best candidate, if any


def unanswered(logs: Iterable[ConversationLog], default_language: str = "en") -> list[Question]:
    """User messages with decision unknown or choose (typed, not button payloads), in order."""
    found: list[Question] = []
    for log in logs:
        language = log.language
        pending: list[tuple[Event, str | None]] = []
        for event in log.events:
            if event.kind == ev.LANGUAGE:
                language = event.data.get("language") or language
            elif (
                event.kind == ev.USER
                and event.data.get("decision") in UNANSWERED
                and not event.data.get("payload")
                and str(event.data.get("text", "")).strip()
            ):
                pending.append((event, language))
        for event, at_language in pending:
            found.append(
                Question(
                    text=" ".join(str(event.data["text"]).split()),
                    language=at_language or language or default_language,
                    timestamp=event.timestamp,
                    conversation_id=log.conversation_id,
                    decision=str(event.data["decision"]),
                    guess=event.data.get("entry"),
                )
            )
    return found


def most_asked(
    logs: Iterable[ConversationLog], default_language: str = "en"
) -> dict[str, Counter[str]]:
    """How many customer messages each entry answered, per language: the widget's home
    screen lists the most asked topics from it."""
    counts: dict[str, Counter[str]] = {}
    for log in logs:
        language = log.language
        for event in log.events:
            if event.kind == ev.LANGUAGE:
                language = event.data.get("language") or language
            elif event.kind == ev.USER and event.data.get("decision") == "answer":
                entry = event.data.get("entry")
                if isinstance(entry, str):
                    counts.setdefault(language or default_language, Counter())[entry] += 1
    return counts


@dataclass(frozen=True)
class Suggestion:
    """A customer's proposed answer (`suggestion` event), waiting for an admin."""

    id: int  # the event's row id in the store
    conversation_id: str
    entry: str | None
    text: str
    language: str | None
    timestamp: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation": self.conversation_id,
            "entry": self.entry,
            "text": self.text,
            "language": self.language,
            "timestamp": self.timestamp,
        }
