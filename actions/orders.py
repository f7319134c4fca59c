"""Order status and tracking, and "my recent orders", for a verified customer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import EventList, Turn, service
from actions.texts import day, money, order_status, t
from actions.verify import serve_verified
from bot.core.customers import Order

ORDER_STATUS = "action_order_status"
RECENT_ORDERS = "action_recent_orders"
RECENT_LIMIT = 5


async def own_order(dispatcher: CollectingDispatcher, turn: Turn) -> Order | None:
    """The order the customer means, if it is theirs; else says it cannot be found.

    Without an order in the message or in focus, the customer's latest order.
    """
    assert turn.customer_id is not None
    order_id = turn.order_id
    if order_id is None:
        latest = await turn.store.orders_of(turn.customer_id, limit=1)
        if not latest:
            dispatcher.utter_message(text=t("no_orders", turn.language))
        return latest[0] if latest else None
    order = await turn.store.order(order_id)
    if order is None or order.customer_id != turn.customer_id:
        dispatcher.utter_message(text=t("order_not_found", turn.language, order=order_id))
        return None
    return order


async def describe_order(turn: Turn, order: Order) -> str:
    language = turn.language
    name, meaning = order_status(order.status, language)
    lines = [
        t(
            "order_status",
            language,
            order=order.order_id,
            date=day(order.created_at, language),
            total=money(order.total, order.currency, language),
            status=name,
            meaning=meaning,
        )
    ]
    if order.tracking_code and order.status in ("shipped", "delivered", "returned"):
        lines.append(
            t("tracking", language, carrier=order.carrier or "—", code=order.tracking_code)
        )
    if order.estimated_delivery is not None:
        if order.status == "delivered":
            lines.append(t("delivered_on", language, date=day(order.estimated_delivery, language)))
        elif order.status in ("pending", "processing", "shipped"):
            lines.append(t("eta", language, date=day(order.estimated_delivery, language)))
    items = await turn.store.items_of([order.order_id])
    if items:
        products = {p.sku: p for p in await turn.store.products([i.sku for i in items])}
        names = [
            f"{i.quantity} × {products[i.sku].name_in(language) if i.sku in products else i.sku}"
            for i in items
        ]
        lines.append(t("items", language, items=", ".join(names)))
    return "\n".join(lines)


@service(ORDER_STATUS)
async def order_status_service(dispatcher: CollectingDispatcher, turn: Turn) -> EventList:
    order = await own_order(dispatcher, turn)
    if order is None:
        return []
    dispatcher.utter_message(text=await describe_order(turn, order))
    return [SlotSet("order_id", order.order_id)]


@service(RECENT_ORDERS)
async def recent_orders_service(dispatcher: CollectingDispatcher, turn: Turn) -> EventList:
    assert turn.customer_id is not None
    orders = await turn.store.orders_of(turn.customer_id, limit=RECENT_LIMIT)
    if not orders:
        dispatcher.utter_message(text=t("no_orders", turn.language))
        return []
    dispatcher.utter_message(text=order_list("recent_header", orders, turn.language))
    return []


class ActionOrderStatus(Action):  # type: ignore[misc]  # rasa_sdk ships no type information
    """Status, carrier, tracking code, expected delivery and items of one order."""

    def name(self) -> str:
        return ORDER_STATUS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> EventList:
        return await serve_verified(ORDER_STATUS, dispatcher, tracker)


class ActionRecentOrders(Action):  # type: ignore[misc]  # rasa_sdk ships no type information
    """The customer's latest orders, one line each."""

    def name(self) -> str:
        return RECENT_ORDERS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> EventList:
        return await serve_verified(RECENT_ORDERS, dispatcher, tracker)


def order_list(header: str, orders: list[Order], language: str) -> str:
    """The text `header` then one line per order: number, date, total, status."""
    lines = [t(header, language)] + [
        t(
            "recent_line",
            language,
            order=o.order_id,
            date=day(o.created_at, language),
            total=money(o.total, o.currency, language),
            status=order_status(o.status, language)[0],
        )
        for o in orders
    ]
    return "\n".join(lines)
