"""Reminders asked for in chat: a date worth remembering, and opting in or out of reminders.

Each is for a verified customer (consent and occasions are hers): `serve_verified` first.
The occasion is kept as a watch that the time scan turns into `occasion.reminder` a week
before; opting in or out is recorded with when, where ('chat') and her own words.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import store
from actions.common import EventList, Turn, service
from actions.texts import day_month, t
from actions.verify import serve_verified
from bot.core.notices import parse_occasion, wants_reminders

REMEMBER_OCCASION = "action_remember_occasion"
REMINDERS = "action_reminders"


@service(REMEMBER_OCCASION)
async def remember_occasion(dispatcher: CollectingDispatcher, turn: Turn) -> EventList:
    assert turn.customer_id is not None
    told = parse_occasion(turn.text)
    if told is None:  # no day and month in what she asked
        dispatcher.utter_message(text=t("occasion_ask", turn.language))
        return []
    notices = store.notice_store()
    await notices.watch(turn.customer_id, "occasion", told.subject, turn.now)
    consent = await notices.consent(turn.customer_id)
    opted_in = consent.marketing_opt_in and not {"marketing", "all"} & consent.opted_out
    key = "occasion_saved" if opted_in else "occasion_saved_ask_opt_in"
    when = day_month(told.month, told.day, turn.language)
    dispatcher.utter_message(text=t(key, turn.language, occasion=told.label, date=when))
    return []


@service(REMINDERS)
async def reminders(dispatcher: CollectingDispatcher, turn: Turn) -> EventList:
    """Reminders on or off, as her words say; recorded with them."""
    assert turn.customer_id is not None
    on = wants_reminders(turn.text)
    await store.notice_store().set_consent(
        turn.customer_id, "marketing", "in" if on else "out", turn.now, "chat", turn.text
    )
    dispatcher.utter_message(text=t("reminders_on" if on else "reminders_off", turn.language))
    return []


class ActionRememberOccasion(Action):  # type: ignore[misc]  # rasa_sdk ships no type information
    """'My mother's birthday is on 12 March': saved, reminded of a week before."""

    def name(self) -> str:
        return REMEMBER_OCCASION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> EventList:
        return await serve_verified(REMEMBER_OCCASION, dispatcher, tracker)


class ActionReminders(Action):  # type: ignore[misc]  # rasa_sdk ships no type information
    """'Yes, send me reminders' / 'no more reminders': the marketing opt-in or opt-out."""

    def name(self) -> str:
        return REMINDERS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> EventList:
        return await serve_verified(REMINDERS, dispatcher, tracker)
