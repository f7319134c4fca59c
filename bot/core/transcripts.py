"""The dashboard's conversation list and transcript viewer, the pure part.

A row per conversation (when, channel, language, messages, handed off, rating and the
customer's comment); a transcript as lines of who / text / when. For a viewer who is not an
admin, the messages written while a customer was verified (or while an action collected
details) are replaced by a placeholder, as the widget's history does.
"""

from __future__ import annotations

from typing import Any

from bot.core import events as ev
from bot.core.analytics import ConversationLog
from bot.core.events import Event
from bot.core.verification import private_owners, redact

SHOWN = (ev.USER, ev.BOT, ev.AGENT, ev.NOTE)


def conversation_row(log: ConversationLog) -> dict[str, Any]:
    events = log.events
    ratings = [e.data["rating"] for e in events if e.kind == ev.FEEDBACK and "rating" in e.data]
    comments = [
        e.data["comment"] for e in events if e.kind == ev.FEEDBACK and e.data.get("comment")
    ]
    reasons = [
        str(e.data.get("reason"))
        for e in events
        if e.kind == ev.HANDOFF and e.data.get("status") == "requested" and e.data.get("reason")
    ]
    return {
        "conversation_id": log.conversation_id,
        "started": events[0].timestamp if events else None,
        "channel": log.channel,
        "language": log.language,
        "messages": sum(1 for e in events if e.kind == ev.USER),
        "handed_off": any(e.kind == ev.HANDOFF for e in events),
        "reasons": reasons,
        "rating": ratings[-1] if ratings else None,
        "comment": comments[-1] if comments else None,
    }


def transcript(
    events: tuple[Event, ...], *, hide_personal: bool, language: str | None
) -> list[dict[str, Any]]:
    messages = tuple(e for e in events if e.kind in SHOWN)
    if hide_personal:
        messages = redact(messages, private_owners(events), None, language)
    return [
        {
            "seq": e.seq,
            "kind": e.kind,
            "text": e.data.get("text", ""),
            "timestamp": e.timestamp,
            "redacted": bool(e.data.get("redacted")),
        }
        for e in messages
    ]
