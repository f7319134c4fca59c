"""Events: a conversation is its append-only log of these.

Kinds (the `kind` field) and their `data`:

- ``user``      {"text", "message_id"?, "payload"?, "entry"?, "confidence"?, "decision"?, "metadata"?}
- ``bot``       {"text", "buttons"?: [{"title","payload"}], "custom"?, "entry"?}
- ``slot``      {"name", "value"}
- ``language``  {"language"}
- ``action``    {"name"}                      an action ran
- ``loop``      {"name": str | None}          an action keeps (or stops) taking the next messages
- ``handoff``   {"status": "requested"|..., "reason"}
- ``feedback``  {"rating", "comment"?, "entry"?}

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

KINDS = frozenset({USER, BOT, SLOT, LANGUAGE, ACTION, LOOP, HANDOFF, FEEDBACK})


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
        return self.kind in (USER, BOT)


def user_said(text: str, timestamp: float, **data: Any) -> Event:
    return Event(
        USER, {"text": text, **{k: v for k, v in data.items() if v is not None}}, timestamp
    )


def bot_said(text: str, timestamp: float, **data: Any) -> Event:
    return Event(BOT, {"text": text, **{k: v for k, v in data.items() if v is not None}}, timestamp)


def slot_set(name: str, value: Any, timestamp: float) -> Event:
    return Event(SLOT, {"name": name, "value": value}, timestamp)
