"""Verification in the chat: an order number, then the email or postcode on that order.

`action_verify_identity` runs as a loop (the next messages come straight to it)
until the customer is verified, gives up, or runs out of attempts. Failures are
recorded in the store (never the details given) and limited per conversation
and per order (`bot.core.verification`). A wrong order number and a wrong email get
the same answer, so nothing is learnt from a failed attempt.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    SERVICES,
    VERIFY_ACTION,
    EventList,
    Turn,
    person_button,
    read_turn,
    run_service,
)
from actions.extract import normalise_order_id
from actions.texts import t
from bot.core.verification import DEFAULT_POLICY, attempts_left, details_match, may_attempt

logger = logging.getLogger(__name__)

PROMPTS_BEFORE_GIVING_UP = 2
STOP = re.compile(
    r"\b(stop|cancel|never ?mind|forget it|parar|cancelar|esquece|deixa|olvídalo|olvidalo|"
    r"déjalo|dejalo|no importa)\b",
    re.IGNORECASE,
)
_CLEAR = ("verify_order", "verify_prompts", "pending_action", "pending_request")


def _clear() -> EventList:
    return [SlotSet(name, None) for name in _CLEAR]


def _end(dispatcher: CollectingDispatcher, turn: Turn, key: str, person: bool) -> EventList:
    dispatcher.utter_message(
        text=t(key, turn.language), buttons=person_button(turn.language) if person else None
    )
    return [*_clear(), ActiveLoop(None)]


async def serve_verified(
    action_name: str, dispatcher: CollectingDispatcher, tracker: Tracker
) -> EventList:
    """Serve a verified customer, or start verifying whoever this is."""
    turn = read_turn(tracker)
    if turn.customer_id is not None:
        return await SERVICES[action_name](dispatcher, turn)
    return await start_verification(dispatcher, turn, action_name)


async def start_verification(
    dispatcher: CollectingDispatcher, turn: Turn, pending: str | None
) -> EventList:
    """Begin verifying this conversation, to serve `pending` afterwards."""
    dispatcher.utter_message(text=t("verify_intro", turn.language))
    events: EventList = [
        SlotSet("pending_action", pending),
        # what she asked, in her words: the service reads them, not her order and email
        SlotSet("pending_request", turn.text if pending else None),
        SlotSet("verify_prompts", 0),
    ]
    return events + await step(dispatcher, turn, pending, None, 0, first=True)


async def step(
    dispatcher: CollectingDispatcher,
    turn: Turn,
    pending: str | None,
    known_order: str | None,
    prompts: int,
    first: bool = False,
) -> EventList:
    """Take what this message gives and ask for what is missing, or make an attempt."""
    mentioned = turn.mentioned
    order_id = normalise_order_id(mentioned.order_id) if mentioned.order_id else known_order
    email, postcode = mentioned.email, mentioned.postcode
    since = turn.now - DEFAULT_POLICY.order_window
    counts = await turn.store.attempt_counts(turn.conversation, None, since)
    if may_attempt(counts) == "conversation_locked":
        return _end(dispatcher, turn, "locked_conversation", person=True)
    loop: EventList = [ActiveLoop(VERIFY_ACTION)]
    if order_id is None:
        nothing = not (email or postcode)
        if (
            not first
            and nothing
            and (prompts + 1 >= PROMPTS_BEFORE_GIVING_UP or STOP.search(turn.text))
        ):
            return _end(dispatcher, turn, "verify_gave_up", person=False)
        dispatcher.utter_message(text=t("ask_order", turn.language))
        return [SlotSet("verify_prompts", prompts + (0 if first else 1)), *loop]
    if not (email or postcode):
        if (
            not first
            and mentioned.order_id is None
            and (prompts + 1 >= PROMPTS_BEFORE_GIVING_UP or STOP.search(turn.text))
        ):
            return _end(dispatcher, turn, "verify_gave_up", person=False)
        dispatcher.utter_message(text=t("ask_contact", turn.language, order=order_id))
        bump = 0 if first or mentioned.order_id else 1
        return [SlotSet("verify_order", order_id), SlotSet("verify_prompts", prompts + bump), *loop]
    return await attempt(dispatcher, turn, pending, order_id, email, postcode)


async def attempt(
    dispatcher: CollectingDispatcher,
    turn: Turn,
    pending: str | None,
    order_id: str,
    email: str | None,
    postcode: str | None,
) -> EventList:
    since = turn.now - DEFAULT_POLICY.order_window
    # count and record in one step: a hundred conversations guessing at once get five tries
    counts, attempt_id = await turn.store.reserve_attempt(
        turn.conversation,
        order_id,
        turn.now,
        since,
        (DEFAULT_POLICY.per_conversation, DEFAULT_POLICY.per_order),
    )
    if attempt_id is None:
        verdict = may_attempt(counts)
        key = "locked_conversation" if verdict == "conversation_locked" else "locked_order"
        return _end(dispatcher, turn, key, person=True)
    order = await turn.store.order(order_id)
    customer = await turn.store.customer(order.customer_id) if order is not None else None
    ok = details_match(order, customer, email=email, postcode=postcode)
    if ok:
        await turn.store.settle_attempt(attempt_id, True)
    if not ok or customer is None:
        logger.info(
            "identity check failed in a conversation (%s)", "email" if email else "postcode"
        )
        after = type(counts)(counts.conversation_failures + 1, counts.order_failures + 1)
        left = attempts_left(after)
        if left == 0:
            key = (
                "locked_conversation"
                if may_attempt(after) == "conversation_locked"
                else "locked_order"
            )
            return _end(dispatcher, turn, key, person=True)
        dispatcher.utter_message(text=t("mismatch", turn.language, left=left))
        return [
            SlotSet("verify_order", None),
            SlotSet("verify_prompts", 0),
            ActiveLoop(VERIFY_ACTION),
        ]
    logger.info("identity verified in chat")
    dispatcher.utter_message(text=t("verified", turn.language))
    events: EventList = [
        SlotSet("customer_id", customer.customer_id),
        SlotSet("verified", True),
        SlotSet("verified_by", "order"),
        SlotSet("order_id", order_id),
        *_clear(),
        ActiveLoop(None),
    ]
    if pending:
        events += await run_service(pending, dispatcher, turn, customer.customer_id, order_id)
    return events


class ActionVerifyIdentity(Action):  # type: ignore[misc]  # rasa_sdk ships no type information
    """Ask for an order number and its email or postcode; verify; then do what was asked."""

    def name(self) -> str:
        return VERIFY_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> EventList:
        slots = tracker.slots
        known = slots.get("verify_order")
        turn = read_turn(tracker, expecting_contact=bool(known))
        if turn.customer_id is not None:
            dispatcher.utter_message(text=t("verified", turn.language))
            return [*_clear(), ActiveLoop(None)]
        in_loop = (tracker.active_loop or {}).get("name") == VERIFY_ACTION
        pending = slots.get("pending_action")
        if not in_loop:
            return await start_verification(dispatcher, turn, None)
        prompts = slots.get("verify_prompts")
        return await step(
            dispatcher,
            turn,
            pending if isinstance(pending, str) else None,
            known if isinstance(known, str) else None,
            prompts if isinstance(prompts, int) else 0,
        )
