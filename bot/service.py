"""ChatService: takes a parsed message through the core and into the store.

Load state (cached), let the dialogue decide, append the events, publish the
replies to the conversation's topic. One message at a time per conversation.
Knows the ports, not their technology.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.conversation import ConversationState, IncomingMessage, Outcome, Reply
from bot.dialogue import Brain, Dialogue
from bot.events import Event
from bot.ports import Broker, ConversationStore

logger = logging.getLogger(__name__)


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


@dataclass(frozen=True)
class Handled:
    outcome: Outcome
    events: tuple[Event, ...]  # as stored, with seq numbers
    state: ConversationState


class ChatService:
    def __init__(
        self,
        store: ConversationStore,
        dialogue: Dialogue,
        brain: Callable[[], Brain],
        broker: Broker,
        clock: Callable[[], float] = time.time,
        cache_size: int = 10_000,
    ) -> None:
        self.store = store
        self.dialogue = dialogue
        self.brain = brain
        self.broker = broker
        self.clock = clock
        self._states: OrderedDict[str, ConversationState] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._cache_size = cache_size

    async def state(self, conversation_id: str) -> ConversationState:
        cached = self._states.get(conversation_id)
        if cached is not None:
            self._states.move_to_end(conversation_id)
            return cached
        events = await self.store.load(conversation_id)
        state = ConversationState.from_events(conversation_id, events)
        self._remember(state)
        return state

    def _remember(self, state: ConversationState) -> None:
        self._states[state.conversation_id] = state
        self._states.move_to_end(state.conversation_id)
        while len(self._states) > self._cache_size:
            evicted, _ = self._states.popitem(last=False)
            self._locks.pop(evicted, None)

    async def handle(
        self, conversation_id: str, message: IncomingMessage, *, sender: str, channel: str
    ) -> Handled:
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            state = await self.state(conversation_id)
            outcome = await self.dialogue.respond(
                self.brain(), state, message, sender=sender, now=self.clock()
            )
            if outcome.duplicate:
                return Handled(outcome, (), state)
            try:
                stored = await self.store.append(
                    conversation_id, outcome.events, sender=sender, channel=channel
                )
            except BaseException:
                self._states.pop(conversation_id, None)  # reload from the log next time
                raise
            for event in stored:
                state = state.apply(event)
            self._remember(state)
        await self.broker.publish(
            conversation_topic(conversation_id),
            {"type": "events", "events": [_event_frame(e) for e in stored]},
        )
        return Handled(outcome, tuple(stored), state)

    async def history(self, conversation_id: str, limit: int) -> tuple[Event, ...]:
        state = await self.state(conversation_id)
        return state.messages[-limit:] if limit else ()


def _event_frame(event: Event) -> dict[str, object]:
    return {"seq": event.seq, "kind": event.kind, "data": event.data, "timestamp": event.timestamp}


def reply_frames(replies: tuple[Reply, ...]) -> list[dict[str, object]]:
    return [r.to_event_data() for r in replies]
