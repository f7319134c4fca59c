"""What every Balcão action shares: reading the tracker, the verified identity, services.

A *service* is what an action does for a verified customer. Actions that need
an identity call `serve_verified` (actions/verify.py): a verified customer is served at once;
anyone else is taken through `action_verify_identity`, which serves them when
the check succeeds. Nothing about a customer is said before that.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import store
from actions.extract import Details, details, normalise_order_id
from actions.texts import language_of, t
from bot.ports import CustomerStore

EventList = list[dict[str, Any]]
HANDOFF_PAYLOAD = "/handoff"
VERIFY_ACTION = "action_verify_identity"


@dataclass(frozen=True)
class Turn:
    """One run of an action: who asks, in which language, about what."""

    conversation: str
    language: str
    text: str
    mentioned: Details
    customer_id: str | None  # the verified identity, if any
    focus_order: str | None  # the order being talked about (slot `order_id`)
    store: CustomerStore
    now: datetime
    focus_given: bool = False  # the customer has just typed the order in focus (verification)
    request: str | None = None  # her words that asked for the action verification delayed

    @property
    def order_id(self) -> str | None:
        """The order the customer means: the one in this message, else the one in focus."""
        mentioned = self.mentioned.order_id
        return normalise_order_id(mentioned) if mentioned else self.focus_order


def read_turn(tracker: Tracker, *, expecting_contact: bool = False) -> Turn:
    message = tracker.latest_message or {}
    slots = tracker.slots
    verified = slots.get("verified") is True and isinstance(slots.get("customer_id"), str)
    focus = slots.get("order_id")
    request = slots.get("pending_request")
    return Turn(
        conversation=str(tracker.sender_id),
        language=language_of(slots.get("language")),
        text=str(message.get("text") or ""),
        mentioned=details(
            str(message.get("text") or ""),
            message.get("entities") or (),
            expecting_contact=expecting_contact,
        ),
        customer_id=str(slots["customer_id"]) if verified else None,
        focus_order=str(focus) if isinstance(focus, str) and focus else None,
        request=request if isinstance(request, str) else None,
        store=store.customer_store(),
        now=store.now(),
    )


Service = Callable[[CollectingDispatcher, Turn], Awaitable[EventList]]
SERVICES: dict[str, Service] = {}


def service(action_name: str) -> Callable[[Service], Service]:
    """Register what `action_name` does for a verified customer."""

    def register(fn: Service) -> Service:
        SERVICES[action_name] = fn
        return fn

    return register


def person_button(language: str) -> list[dict[str, str]]:
    return [{"title": t("person_button", language), "payload": HANDOFF_PAYLOAD}]


async def run_service(
    action_name: str,
    dispatcher: CollectingDispatcher,
    turn: Turn,
    customer_id: str,
    order_id: str | None,
) -> EventList:
    """Serve `action_name` right after verification, for the order just used to verify."""
    fn = SERVICES.get(action_name)
    if fn is None:
        return []
    served = replace(
        turn,
        text=turn.request or turn.text,  # what she asked, not the message that verified her
        customer_id=customer_id,
        focus_order=order_id,
        focus_given=order_id is not None,
        mentioned=replace(turn.mentioned, order_id=None),
    )
    return await fn(dispatcher, served)
