"""Translate between our events and Rasa's tracker and event shapes (action-server protocol)."""

from __future__ import annotations

from bot.adapters.rasa.wire import (
    RasaEntity,
    RasaEvent,
    RasaLatestMessage,
    RasaResponse,
    RasaTracker,
)
from bot.core import events as ev
from bot.core.conversation import ConversationState, IncomingMessage, Reply
from bot.core.events import Event
from bot.knowledge.entries import Button
from bot.understanding.matching import Match


def rasa_tracker(
    state: ConversationState,
    sender: str,
    message: IncomingMessage,
    match: Match | None,
    intent: str | None,
) -> RasaTracker:
    """The tracker dict Rasa sends an action server (`rasa_sdk.Tracker.from_dict` reads it)."""
    entities: list[RasaEntity] = [
        {"entity": e.kind, "value": e.value, "start": e.start, "end": e.end}
        for e in (match.entities if match else ())
    ]
    latest: RasaLatestMessage = {
        "text": message.text,
        "intent": {"name": intent, "confidence": match.confidence if match else 1.0},
        "entities": entities,
        "metadata": dict(message.metadata),
    }
    return {
        "sender_id": sender,
        "slots": {"language": state.language, **dict(state.slots)},
        "latest_message": latest,
        "events": [to_rasa_event(e) for e in state.events if e.kind in _RASA_KINDS],
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": state.loop} if state.loop else {},
        "latest_action_name": None,
        "latest_input_channel": "balcao",
    }


_RASA_KINDS = {ev.USER, ev.BOT, ev.SLOT, ev.ACTION}


def to_rasa_event(event: Event) -> RasaEvent:
    data = event.data
    if event.kind == ev.USER:
        return {"event": "user", "timestamp": event.timestamp, "text": data.get("text", "")}
    if event.kind == ev.BOT:
        return {"event": "bot", "timestamp": event.timestamp, "text": data.get("text", "")}
    if event.kind == ev.SLOT:
        return {
            "event": "slot",
            "timestamp": event.timestamp,
            "name": data["name"],
            "value": data["value"],
        }
    return {"event": "action", "timestamp": event.timestamp, "name": data.get("name")}


def from_rasa_events(rasa_events: tuple[RasaEvent, ...], now: float) -> list[Event]:
    """Our events for the Rasa events an action returned; unknown kinds are dropped."""
    out: list[Event] = []
    for item in rasa_events:
        kind = item.get("event")
        name = item.get("name")
        if kind == "slot" and isinstance(name, str):
            out.append(ev.slot_set(name, item.get("value"), now))
        elif kind in ("active_loop", "form"):
            out.append(Event(ev.LOOP, {"name": item.get("name")}, now))
        elif kind == "reset_slots":
            out.append(Event(ev.SLOT, {"name": "*", "value": None}, now))
    return out


def from_rasa_response(response: RasaResponse) -> Reply:
    """A Reply for one message a rasa-sdk dispatcher collected."""
    buttons = tuple(
        Button(str(b.get("title", "")), str(b.get("payload", "")))
        for b in response.get("buttons") or ()
        if isinstance(b, dict)
    )
    custom = response.get("custom") or response.get("json_message") or None
    if response.get("attachment") and not custom:
        custom = {"type": "attachment", "value": response["attachment"]}
    if response.get("image") and not custom:
        custom = {"type": "image", "url": response["image"]}
    return Reply(text=str(response.get("text") or ""), buttons=buttons, custom=custom)
