"""Personalised recommendations for a verified customer, each with its one-line reason."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import EventList, Turn, service
from actions.texts import money, t
from actions.verify import serve_verified
from bot.core.customer_value import Population, assess
from bot.core.customers import Product
from bot.core.recommend import Recommendation, recommend

RECOMMENDATIONS = "action_recommendations"
HISTORY_ORDERS = 50


POPULATION_TTL = timedelta(minutes=10)
_population: dict[int, tuple[datetime, Population]] = {}  # per store, with when it was computed


async def population(turn: Turn) -> Population:
    """The whole base's RFM cut points; they move slowly, so computed every ten minutes."""
    cached = _population.get(id(turn.store))
    if cached is not None and timedelta(0) <= turn.now - cached[0] < POPULATION_TTL:
        return cached[1]
    fresh = Population.of(await turn.store.purchase_summaries(), turn.now)
    _population.clear()
    _population[id(turn.store)] = (turn.now, fresh)
    return fresh


def reason(rec: Recommendation, language: str) -> str:
    owned = rec.because.name_in(language) if rec.because is not None else ""
    return t(f"reason_{rec.kind}", language, owned=owned)


async def owned_products(turn: Turn) -> list[Product]:
    """What the customer bought (orders not cancelled), most recent first."""
    assert turn.customer_id is not None
    orders = await turn.store.orders_of(turn.customer_id, limit=HISTORY_ORDERS)
    kept = [o for o in orders if o.status != "cancelled"]
    items = await turn.store.items_of([o.order_id for o in kept])
    position = {o.order_id: i for i, o in enumerate(kept)}
    skus = list(dict.fromkeys(i.sku for i in sorted(items, key=lambda i: position[i.order_id])))
    products = {p.sku: p for p in await turn.store.products(skus)}
    return [products[s] for s in skus if s in products]


@service(RECOMMENDATIONS)
async def recommendations_service(dispatcher: CollectingDispatcher, turn: Turn) -> EventList:
    assert turn.customer_id is not None
    language = turn.language
    mine = await turn.store.purchase_summary(turn.customer_id)
    value = assess(mine, await population(turn), turn.now) if mine else None
    owned = await owned_products(turn)
    catalogue = await turn.store.products()
    together = await turn.store.bought_together([p.sku for p in owned])
    popular = await turn.store.best_sellers()
    picks = recommend(owned, catalogue, together, value, popular=popular)
    if not picks:
        dispatcher.utter_message(text=t("no_recommendations", language))
        return []
    lines = [t("reco_header", language)] + [
        t(
            "reco_line",
            language,
            name=r.product.name_in(language),
            price=money(r.product.price, r.product.currency, language),
            reason=reason(r, language),
        )
        for r in picks
    ]
    cards = [
        {
            "sku": r.product.sku,
            "name": r.product.name_in(language),
            "kind": r.kind,
            "price": str(r.product.price),
            "currency": r.product.currency,
            "reason": reason(r, language),
        }
        for r in picks
    ]
    dispatcher.utter_message(
        text="\n".join(lines), json_message={"type": "products", "items": cards}
    )
    return []


class ActionRecommendations(Action):  # type: ignore[misc]  # rasa_sdk ships no type information
    """Cross-sell and up-sell picks, ranked by the customer's value and history."""

    def name(self) -> str:
        return RECOMMENDATIONS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> EventList:
        return await serve_verified(RECOMMENDATIONS, dispatcher, tracker)
