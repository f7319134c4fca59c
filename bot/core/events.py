"""Events: a conversation is its append-only log of these.

Kinds (the `kind` field) and their `data`:

- ``user``      {"text", "message_id"?, "payload"?, "entry"?, "confidence"?,
                 "decision"?: "answer"|"choose"|"unknown", "metadata"?}
- ``bot``       {"text", "buttons"?: [{"title","payload"}], "custom"?, "entry"?}
- ``agent``     {"text", "agent": agent id, "name": shown name}   a person wrote to the customer
- ``note``      {"text", "agent"}             internal note between agents, never shown to the customer
- ``slot``      {"name", "value"}             name "*" resets every slot
- ``language``  {"language"}
- ``action``    {"name"}                      an action ran
- ``loop``      {"name": str | None}          an action keeps (or stops) taking the next messages
- ``handoff``   {"status", ...}               the way to a person:
      requested   {"reason"}                  reason: asked_for_person | fallback | unhelpful |
                                              complaint | <action>_needs_person
      queued      {"handoff_id", "priority", "offline": bool}
      claimed     {"handoff_id", "agent"}
      transferred {"handoff_id", "agent", "from_agent"}
      resolved    {"handoff_id", "agent"}     the bot has the conversation back
- ``feedback``  {"rating": 1..5, "comment"?}  the customer rated the conversation (CSAT)
                {"helpful": bool, "entry"}    the customer rated one answer
- ``suggestion`` {"entry"?, "text"}           the customer proposed a better answer

Timestamps are UNIX seconds (float). `seq` is assigned by the store, from 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

USER = "user"
BOT = "bot"
SLOT = "slot"
LANGUAGE = "language"
ACTION = "action"
LOOP = "loop"
HANDOFF = "handoff"
FEEDBACK = "feedback"
AGENT = "agent"
NOTE = "note"
SUGGESTION = "suggestion"

OPEN_HANDOFF_STATUSES = frozenset({"requested", "queued", "claimed", "transferred"})

KINDS = frozenset(
    {USER, BOT, AGENT, NOTE, SLOT, LANGUAGE, ACTION, LOOP, HANDOFF, FEEDBACK, SUGGESTION}
)


@dataclass(frozen=True)
class Event:
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    timestamp: float = 0.0
    seq: int = 0  # 0 until the store has appended it

    def with_seq(self, seq: int) -> Event:
        return replace(self, seq=seq)

    @property
    def is_message(self) -> bool:
        """Shown in the customer's transcript (notes are not)."""
        return self.kind in (USER, BOT, AGENT)


def user_said(text: str, timestamp: float, **data: Any) -> Event:
    return Event(
        USER, {"text": text, **{k: v for k, v in data.items() if v is not None}}, timestamp
    )


def bot_said(text: str, timestamp: float, **data: Any) -> Event:
    return Event(BOT, {"text": text, **{k: v for k, v in data.items() if v is not None}}, timestamp)


def slot_set(name: str, value: Any, timestamp: float) -> Event:
    return Event(SLOT, {"name": name, "value": value}, timestamp)
