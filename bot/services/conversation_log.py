"""ConversationLog: the one way into a conversation's event log.

Every writer (the chat turn, the desk, an agent, an admin) appends through it: under the
conversation's lock, into the store, folded into the cached state, then published on the
conversation's topic. Knows the ports, not their technology.

A message appended outside a customer's turn is flagged `pushed`: a REST customer receives
it with the answer to their next message. One appended inside a turn (`turn=Turn(...)`) is
part of that answer, and is published with the turn's origin: the channel that handles the
turn delivers those events itself, so its subscription skips them.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence

from bot.core import events as ev
from bot.core.conversation import ConversationState
from bot.core.events import Event
from bot.ports import FORGOTTEN_TOPIC, ORIGIN, Broker, ConversationStore, Turn, conversation_topic

PUSHED = "pushed"  # data flag of messages that reached the customer outside an answer


class ConversationLog:
    def __init__(
        self,
        store: ConversationStore,
        broker: Broker,
        *,
        cache_size: int = 10_000,
        cache_states: bool = True,
    ) -> None:
        """`cache_states=False` when several processes share the store: each turn then
        loads the conversation's state from it (the store's append orders the writers).
        """
        self.store = store
        self.broker = broker
        self.cache_states = cache_states
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

    def drop(self, conversation_ids: Sequence[str]) -> None:
        """Forget cached states (after `forget` or retention changed the store)."""
        for conversation_id in conversation_ids:
            self._states.pop(conversation_id, None)

    async def follow_invalidations(self) -> None:
        """Drop what any process's forget or retention announces (runs until cancelled)."""
        async for message in self.broker.subscribe(FORGOTTEN_TOPIC):
            ids = message.get("conversations")
            if isinstance(ids, list):
                self.drop([str(i) for i in ids])

    def lock(self, conversation_id: str) -> asyncio.Lock:
        """The conversation's lock: one writer at a time, in this process."""
        return self._locks.setdefault(conversation_id, asyncio.Lock())

    def _remember(self, state: ConversationState) -> None:
        if not self.cache_states:  # nothing kept but the locks, and not too many of those
            if len(self._locks) > self._cache_size:
                for key in [k for k, lock in self._locks.items() if not lock.locked()]:
                    del self._locks[key]
            return
        self._states[state.conversation_id] = state
        self._states.move_to_end(state.conversation_id)
        while len(self._states) > self._cache_size:
            evicted, _ = self._states.popitem(last=False)
            lock = self._locks.get(evicted)
            if lock is not None and not lock.locked():
                del self._locks[evicted]

    async def write(
        self, state: ConversationState, events: Sequence[Event], *, sender: str, channel: str
    ) -> tuple[list[Event], ConversationState]:
        """Append under the conversation's lock (held by the caller) and fold into `state`."""
        conversation_id = state.conversation_id
        try:
            stored = await self.store.append(
                conversation_id, events, sender=sender, channel=channel
            )
        except BaseException:
            self._states.pop(conversation_id, None)  # reload from the log next time
            raise
        state = state.apply_all(stored)
        self._remember(state)
        return stored, state

    async def publish(
        self, conversation_id: str, stored: Sequence[Event], turn: Turn | None = None
    ) -> None:
        if stored:
            message: dict[str, object] = {
                "type": "events",
                "events": [event_frame(e) for e in stored],
            }
            if turn is not None and turn.origin is not None:
                message[ORIGIN] = turn.origin
            await self.broker.publish(conversation_topic(conversation_id), message)

    async def append(
        self,
        conversation_id: str,
        events: list[Event],
        *,
        sender: str,
        channel: str,
        turn: Turn | None = None,
    ) -> list[Event]:
        """Append events from outside the dialogue (the desk, an agent) and publish them."""
        if turn is None:
            events = [
                Event(e.kind, {**e.data, PUSHED: True}, e.timestamp)
                if e.kind in (ev.BOT, ev.AGENT)
                else e
                for e in events
            ]
        async with self.lock(conversation_id):
            # without a cache nothing is folded into a kept state: skip reading the log
            state = (
                await self.state(conversation_id)
                if self.cache_states
                else ConversationState(conversation_id)
            )
            stored, _ = await self.write(state, events, sender=sender, channel=channel)
        await self.publish(conversation_id, stored, turn)
        return stored


def event_frame(event: Event) -> dict[str, object]:
    return {"seq": event.seq, "kind": event.kind, "data": event.data, "timestamp": event.timestamp}
