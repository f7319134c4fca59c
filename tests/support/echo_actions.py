"""rasa-sdk actions used by the tests of the action seam (registered as a package)."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher


class ActionEchoSlots(Action):
    """Says which intent ran it, the conversation's language, and counts its runs in a slot."""

    def name(self) -> str:
        return "action_echo_slots"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        runs = int(tracker.get_slot("runs") or 0) + 1
        intent = tracker.latest_message["intent"]["name"]
        language = tracker.get_slot("language")
        dispatcher.utter_message(
            text=f"echo intent={intent} language={language} runs={runs}",
            buttons=[{"title": "Again", "payload": "/open-now"}],
        )
        return [SlotSet("runs", runs)]


class ActionAskName(Action):
    """A one-question form: asks for a name, then takes the next message as the answer."""

    def name(self) -> str:
        return "action_ask_name"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.active_loop.get("name") != self.name():
            dispatcher.utter_message(text="What is your name?")
            return [ActiveLoop(self.name())]
        name = tracker.latest_message["text"]
        dispatcher.utter_message(text=f"Nice to meet you, {name}.")
        return [SlotSet("name", name), ActiveLoop(None)]


class ActionCrash(Action):
    def name(self) -> str:
        return "action_crash"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        raise RuntimeError("the action's own bug")


class ActionSlow(Action):
    """Takes longer than the widget's typing delay."""

    def name(self) -> str:
        return "action_slow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        await asyncio.sleep(0.8)
        dispatcher.utter_message(text="Done, slowly.")
        return []
