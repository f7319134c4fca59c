"""Rasa's wire shapes, as TypedDicts: what Balcão sends an action server and reads back.

They follow the action-server protocol that rasa-sdk's `rasa_sdk.types` (`TrackerState`,
`DomainDict`) and `rasa_sdk.executor` (`ActionCall`) read: the request body of
`POST /webhook` and its answer. Our own values never leave `bot/` in these shapes: the
tracker module translates at this edge.
"""

from __future__ import annotations

from typing import Any, TypedDict


class RasaIntent(TypedDict):
    name: str | None
    confidence: float


class RasaEntity(TypedDict):
    entity: str
    value: str
    start: int
    end: int


class RasaLatestMessage(TypedDict):
    text: str
    intent: RasaIntent
    entities: list[RasaEntity]
    metadata: dict[str, Any]


class RasaEvent(TypedDict, total=False):
    """One tracker event: `user`, `bot`, `slot`, `action` (sent); `slot`, `active_loop`,
    `form`, `reset_slots`, `followup` (read back); other kinds are passed over."""

    event: str
    timestamp: float | None
    text: str
    name: str | None
    value: Any


class RasaActiveLoop(TypedDict, total=False):
    name: str


class RasaTracker(TypedDict):
    sender_id: str
    slots: dict[str, Any]
    latest_message: RasaLatestMessage
    events: list[RasaEvent]
    paused: bool
    followup_action: str | None
    active_loop: RasaActiveLoop
    latest_action_name: str | None
    latest_input_channel: str


class RasaButton(TypedDict, total=False):
    title: str
    payload: str


class RasaResponse(TypedDict, total=False):
    """One message an action's dispatcher collected (`utter_message`)."""

    text: str | None
    buttons: list[RasaButton]
    custom: dict[str, Any] | None
    json_message: dict[str, Any] | None
    attachment: Any
    image: str | None


class ActionServerRequest(TypedDict):
    """The body of `POST <action server>/webhook`."""

    next_action: str
    sender_id: str
    tracker: RasaTracker
    domain: dict[str, Any]
    version: str


class ActionServerResponse(TypedDict, total=False):
    events: list[RasaEvent]
    responses: list[RasaResponse]
