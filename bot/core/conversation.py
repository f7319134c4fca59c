"""Conversation values: the incoming message, the replies, and the state rebuilt from events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.core import events as ev
from bot.core.events import Event
from bot.knowledge.entries import Button


@dataclass(frozen=True)
class IncomingMessage:
    """What a channel hands the core, already parsed and checked."""

    text: str
    message_id: str | None = None  # the client's id, for de-duplication
    payload: str | None = None  # a button's payload, e.g. "/returns"
    metadata: Mapping[str, Any] = field(default_factory=dict)
    language: str | None = None  # the language the client asks for, if any
    identity: str | None = None  # a customer id the host site vouched for (HMAC checked)


@dataclass(frozen=True)
class Reply:
    text: str = ""
    buttons: tuple[Button, ...] = ()
    custom: Mapping[str, Any] | None = None  # cards and other structured content
    entry: str | None = None  # the knowledge entry it came from, for feedback

    def to_event_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text}
        if self.buttons:
            data["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.custom is not None:
            data["custom"] = dict(self.custom)
        if self.entry is not None:
            data["entry"] = self.entry
        return data

    @classmethod
    def from_event(cls, event: Event) -> Reply:
        data = event.data
        return cls(
            text=data.get("text", ""),
            buttons=tuple(Button(b["title"], b["payload"]) for b in data.get("buttons", ())),
            custom=data.get("custom"),
            entry=data.get("entry"),
        )


@dataclass(frozen=True)
class Outcome:
    """What the core decided: replies to send and events to append."""

    replies: tuple[Reply, ...]
    events: tuple[Event, ...]
    duplicate: bool = False  # the message was seen before; nothing new was appended
    decision: str | None = None  # the matcher's on the customer's message, if it was asked
    handoff_reason: str | None = None  # the turn asked for a person, and why


KEPT_EVENTS = 1000
KEPT_MESSAGE_IDS = 1000


@dataclass(frozen=True)
class ConversationState:
    """Everything the dialogue needs to know, folded from the event log."""

    conversation_id: str
    language: str | None = None
    slots: Mapping[str, Any] = field(default_factory=dict)
    seen_message_ids: Mapping[str, int] = field(default_factory=dict)  # client id -> seq
    misses: int = 0  # consecutive messages the matcher did not know
    unhelpful: int = 0  # answers the customer rated unhelpful
    loop: str | None = None  # an action taking the next messages (a form)
    handoff: str | None = None  # latest handoff status
    handoff_id: int | None = None
    handoff_offline: bool = False  # queued while nobody is there: the bot takes an email
    last_entry: str | None = None  # entry of the latest answer
    last_seq: int = 0
    events: tuple[Event, ...] = ()

    @classmethod
    def from_events(cls, conversation_id: str, events: Iterable[Event]) -> ConversationState:
        return cls(conversation_id).apply_all(events)

    def apply(self, event: Event) -> ConversationState:
        """The state after `event`. Pure: returns a new value."""
        return self.apply_all((event,))

    def apply_all(self, events: Iterable[Event]) -> ConversationState:
        """The state after `events`, folded in one pass (one copy, however long the log).

        Only the latest KEPT_EVENTS events and KEPT_MESSAGE_IDS client ids are kept: enough
        to replay a widget's history and to recognise a resent message, while a long
        conversation's state stays small.
        """
        changes: dict[str, Any] = {}
        slots: dict[str, Any] | None = None
        seen: dict[str, int] | None = None
        misses, unhelpful = self.misses, self.unhelpful
        added: list[Event] = []
        for event in events:
            added.append(event)
            if event.seq:
                changes["last_seq"] = event.seq
            data = event.data
            if event.kind == ev.USER:
                message_id = data.get("message_id")
                if message_id:
                    if seen is None:
                        seen = dict(self.seen_message_ids)
                    seen[message_id] = event.seq
                if data.get("decision") == "unknown":
                    misses += 1
                elif data.get("decision") in ("answer", "choose") or data.get("payload"):
                    misses = 0
            elif event.kind == ev.BOT and data.get("entry"):
                changes["last_entry"] = data["entry"]
            elif event.kind == ev.SLOT:
                if slots is None:
                    slots = dict(self.slots)
                if data["name"] == "*":  # every slot reset
                    slots.clear()
                else:
                    slots[data["name"]] = data["value"]
            elif event.kind == ev.FEEDBACK and data.get("helpful") is False:
                unhelpful += 1
            elif event.kind == ev.LANGUAGE:
                changes["language"] = data["language"]
            elif event.kind == ev.LOOP:
                changes["loop"] = data.get("name")
            elif event.kind == ev.HANDOFF:
                changes["handoff"] = data.get("status")
                if data.get("handoff_id") is not None:
                    changes["handoff_id"] = data["handoff_id"]
                if data.get("status") == "queued":
                    changes["handoff_offline"] = bool(data.get("offline"))
                elif data.get("status") == "resolved":
                    changes["handoff_offline"] = False
        if not added:
            return self
        kept = (*self.events, *added)
        changes["events"] = kept[-KEPT_EVENTS:] if len(kept) > KEPT_EVENTS else kept
        if seen is not None:
            if len(seen) > KEPT_MESSAGE_IDS:
                seen = dict(list(seen.items())[-KEPT_MESSAGE_IDS:])
            changes["seen_message_ids"] = seen
        if slots is not None:
            changes["slots"] = slots
        changes["misses"], changes["unhelpful"] = misses, unhelpful
        return replace(self, **changes)

    def replies_after(self, seq: int) -> tuple[Reply, ...]:
        """The bot replies that followed the event numbered `seq`, up to the next user message."""
        replies = []
        for event in self.events:
            if event.seq <= seq:
                continue
            if event.kind == ev.USER:
                break
            if event.kind == ev.BOT:
                replies.append(Reply.from_event(event))
        return tuple(replies)

    @property
    def with_person(self) -> bool:
        """A person has (or is about to take) the conversation: the bot stays quiet."""
        return self.handoff in ev.OPEN_HANDOFF_STATUSES

    @property
    def last_user_seq(self) -> int:
        return next((e.seq for e in reversed(self.events) if e.kind == ev.USER), 0)

    @property
    def messages(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.is_message)
