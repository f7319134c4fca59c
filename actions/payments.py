"""Payments and refunds of an order or of the account, with what each state means."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import EventList, Turn, service
from actions.orders import own_order
from actions.texts import day, kind_name, method_name, money, money_state, t
from actions.verify import serve_verified
from bot.core.customers import Transaction

PAYMENT_STATUS = "action_payment_status"
ACCOUNT_LIMIT = 6


def describe(transaction: Transaction, language: str) -> str:
    name, meaning = money_state(transaction.kind, transaction.status, language)
    return t(
        "transaction_line",
        language,
        kind=kind_name(transaction.kind, language),
        amount=money(transaction.amount, transaction.currency, language),
        method=method_name(transaction.method, language),
        date=day(transaction.created_at, language),
        status=name,
        meaning=meaning,
    )


@service(PAYMENT_STATUS)
async def payment_status_service(dispatcher: CollectingDispatcher, turn: Turn) -> EventList:
    assert turn.customer_id is not None
    language = turn.language
    if turn.mentioned.order_id is not None or turn.focus_order is not None:
        order = await own_order(dispatcher, turn)
        if order is None:
            return []
        found = await turn.store.transactions_of(turn.customer_id, order.order_id)
        header = t("payments_order_header", language, order=order.order_id)
        events: EventList = [SlotSet("order_id", order.order_id)]
    else:
        found = (await turn.store.transactions_of(turn.customer_id))[:ACCOUNT_LIMIT]
        header = t("payments_account_header", language)
        events = []
    if not found:
        dispatcher.utter_message(text=t("no_payments", language))
        return events
    lines = [header] + [describe(tx, language) for tx in sorted(found, key=lambda x: x.created_at)]
    dispatcher.utter_message(text="\n".join(lines))
    return events


class ActionPaymentStatus(Action):  # type: ignore[misc]  # rasa_sdk ships no type information
    """Payments, refunds, chargebacks and credits, explained."""

    def name(self) -> str:
        return PAYMENT_STATUS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> EventList:
        return await serve_verified(PAYMENT_STATUS, dispatcher, tracker)
