"""A return or cancellation request within policy, recorded for the team; else the offer of a person."""

from __future__ import annotations

import re
import uuid
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import EventList, Turn, person_button, read_turn, service
from actions.orders import order_list, own_order
from actions.texts import day, order_status, t
from actions.verify import serve_verified
from bot.core.customers import Order, RequestKind, ServiceRequest
from bot.core.returns import ReturnPolicy, decide, delivered_on, named_skus, orders_meant

RETURN_REQUEST = "action_return_request"
POLICY = ReturnPolicy()
CANDIDATE_ORDERS = 5  # the customer's latest orders a return could be about
CANCEL_WORDS = re.compile(r"\b(cancel\w*|anul\w*)\b", re.IGNORECASE)
RETURN_WORDS = re.compile(
    r"\b(return\w*|send \w+ back|devol\w*|reembols\w*|refund\w*)\b", re.IGNORECASE
)


def wanted(text: str) -> RequestKind | None:
    if CANCEL_WORDS.search(text):
        return "cancellation"
    if RETURN_WORDS.search(text):
        return "return"
    return None


async def _ask_for_order(
    dispatcher: CollectingDispatcher, turn: Turn, orders: list[Order] | None = None
) -> EventList:
    assert turn.customer_id is not None
    language = turn.language
    if orders is None:
        orders = await turn.store.orders_of(turn.customer_id, limit=3)
    if not orders:
        dispatcher.utter_message(text=t("no_orders", language))
        return []
    dispatcher.utter_message(text=order_list("return_ask_order", orders, language))
    return [ActiveLoop(RETURN_REQUEST)]


async def _candidates(turn: Turn) -> list[Order]:
    """Other orders this return could be about than the one in focus, if any (#17)."""
    assert turn.customer_id is not None and turn.focus_order is not None
    if turn.mentioned.order_id is not None or turn.focus_given:
        return []  # the customer named the order: no doubt
    focus = await turn.store.order(turn.focus_order)
    if focus is None or focus.customer_id != turn.customer_id:
        return []
    orders = await turn.store.orders_of(turn.customer_id, limit=CANDIDATE_ORDERS)
    items = await turn.store.items_of([o.order_id for o in orders])
    named = named_skus(turn.text, await turn.store.products()) if items else frozenset()
    return list(orders_meant(focus, orders, items, named, turn.now, POLICY))


@service(RETURN_REQUEST)
async def return_request_service(dispatcher: CollectingDispatcher, turn: Turn) -> EventList:
    if turn.order_id is None:
        return await _ask_for_order(dispatcher, turn)
    if turn.focus_order is not None:
        candidates = await _candidates(turn)
        if candidates:  # which order? rather than a return on the wrong one
            return await _ask_for_order(dispatcher, turn, candidates)
    order = await own_order(dispatcher, turn)
    if order is None:
        return []
    assert turn.customer_id is not None
    language = turn.language
    decision = decide(order, turn.now, wanted(turn.text), POLICY)
    events: EventList = [SlotSet("order_id", order.order_id)]
    if not decision.allowed:
        if decision.reason == "in_transit":
            text = t("outside_in_transit", language, order=order.order_id, days=POLICY.return_days)
        elif decision.reason == "too_late":
            text = t(
                "outside_too_late",
                language,
                order=order.order_id,
                date=day(delivered_on(order), language),
                days=POLICY.return_days,
            )
        else:
            text = t(
                "outside_closed",
                language,
                order=order.order_id,
                status=order_status(order.status, language)[0],
            )
        dispatcher.utter_message(text=text, buttons=person_button(language))
        return events
    proposed = f"R-{uuid.uuid4().hex[:8].upper()}"
    recorded = await turn.store.record_request(
        ServiceRequest(
            proposed,
            decision.kind,
            order.order_id,
            turn.customer_id,
            turn.now,
            conversation=turn.conversation,
        )
    )
    if recorded.request_id != proposed:
        dispatcher.utter_message(
            text=t("already_requested", language, ref=recorded.request_id, order=order.order_id)
        )
    elif decision.kind == "cancellation":
        dispatcher.utter_message(
            text=t("cancel_recorded", language, ref=proposed, order=order.order_id)
        )
    else:
        assert decision.deadline is not None
        dispatcher.utter_message(
            text=t(
                "return_recorded",
                language,
                ref=proposed,
                order=order.order_id,
                deadline=day(decision.deadline, language),
            )
        )
    return events


class ActionReturnRequest(Action):  # type: ignore[misc]  # rasa_sdk ships no type information
    """Record a return or cancellation when the policy allows it; otherwise offer a person."""

    def name(self) -> str:
        return RETURN_REQUEST

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> EventList:
        if (tracker.active_loop or {}).get("name") == RETURN_REQUEST:
            # the answer to "which order?"
            turn = read_turn(tracker)
            if turn.customer_id is None or turn.mentioned.order_id is None:
                dispatcher.utter_message(text=t("verify_gave_up", turn.language))
                return [ActiveLoop(None)]
            return [ActiveLoop(None), *await return_request_service(dispatcher, turn)]
        return await serve_verified(RETURN_REQUEST, dispatcher, tracker)
