"""ChatService: takes a parsed message through the core and into the store.

Load state (cached), let the dialogue decide, append the events, publish them
to the conversation's topic. One message at a time per conversation. Knows the
ports, not their technology. When the dialogue asks for a person, the desk
(set by the composition root) queues the conversation.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.core import events as ev
from bot.core.conversation import ConversationState, IncomingMessage, Outcome, Reply
from bot.core.dialogue import Brain, Dialogue
from bot.core.events import Event
from bot.core.metrics import Metrics
from bot.ports import ORIGIN, Broker, ConversationStore, conversation_topic

logger = logging.getLogger(__name__)

# (conversation id, state, reason, sender, channel) -> events the desk appended
HandoffOpener = Callable[[str, ConversationState, str, str, str], Awaitable[list[Event]]]


# Set while a customer's message is being handled: what is appended then is part of the answer.
_IN_TURN: contextvars.ContextVar[bool] = contextvars.ContextVar("in_turn", default=False)
# Who handles the current turn and delivers its events itself: published with this origin.
_ORIGIN: contextvars.ContextVar[str | None] = contextvars.ContextVar("origin", default=None)
PUSHED = "pushed"  # data flag of messages that reached the customer outside an answer


@dataclass(frozen=True)
class Handled:
    outcome: Outcome
    events: tuple[Event, ...]  # as stored, with seq numbers, the desk's included
    state: ConversationState
    pending: tuple[Reply, ...] = ()  # pushed to the customer since they last wrote

    @property
    def replies(self) -> tuple[Reply, ...]:
        """What the customer is told in answer: the dialogue's replies, then the desk's."""
        if self.outcome.duplicate:
            return self.outcome.replies
        return tuple(Reply.from_event(e) for e in self.events if e.kind == ev.BOT)


class ChatService:
    def __init__(
        self,
        store: ConversationStore,
        dialogue: Dialogue,
        brain: Callable[[], Brain],
        broker: Broker,
        clock: Callable[[], float] = time.time,
        cache_size: int = 10_000,
        metrics: Metrics | None = None,
        cache_states: bool = True,
    ) -> None:
        """`cache_states=False` when several processes share the store: each turn then
        loads the conversation's state from it (the store's append orders the writers).
        """
        self.store = store
        self.dialogue = dialogue
        self.brain = brain
        self.broker = broker
        self.clock = clock
        self.open_handoff: HandoffOpener | None = None
        self.metrics = metrics or Metrics()
        self._states: OrderedDict[str, ConversationState] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._cache_size = cache_size
        self.cache_states = cache_states

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

    def _lock(self, conversation_id: str) -> asyncio.Lock:
        return self._locks.setdefault(conversation_id, asyncio.Lock())

    async def _store(
        self,
        state: ConversationState,
        events: Sequence[Event],
        sender: str,
        channel: str,
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

    async def _publish(self, conversation_id: str, stored: Sequence[Event]) -> None:
        if stored:
            message: dict[str, object] = {
                "type": "events",
                "events": [event_frame(e) for e in stored],
            }
            origin = _ORIGIN.get()
            if origin is not None:
                message[ORIGIN] = origin
            await self.broker.publish(conversation_topic(conversation_id), message)

    async def append(
        self, conversation_id: str, events: list[Event], *, sender: str, channel: str
    ) -> list[Event]:
        """Append events from outside the dialogue (the desk, an agent) and publish them.

        Messages appended outside a customer's turn are flagged `pushed`: a REST
        customer receives them with the answer to their next message.
        """
        if not _IN_TURN.get():
            events = [
                Event(e.kind, {**e.data, PUSHED: True}, e.timestamp)
                if e.kind in (ev.BOT, ev.AGENT)
                else e
                for e in events
            ]
        async with self._lock(conversation_id):
            # without a cache nothing is folded into a kept state: skip reading the log
            state = (
                await self.state(conversation_id)
                if self.cache_states
                else ConversationState(conversation_id)
            )
            stored, _ = await self._store(state, events, sender, channel)
        await self._publish(conversation_id, stored)
        return stored

    async def handle(
        self,
        conversation_id: str,
        message: IncomingMessage,
        *,
        sender: str,
        channel: str,
        origin: str | None = None,
    ) -> Handled:
        """Take a customer's message through the core and into the store.

        With an `origin`, the turn's events (the desk's included) are published with
        it: that subscriber does not get them back, its caller delivers `events`.
        """
        started = time.perf_counter()
        token = _ORIGIN.set(origin)
        try:
            handled = await self._handle(conversation_id, message, sender=sender, channel=channel)
        finally:
            _ORIGIN.reset(token)
        if not handled.outcome.duplicate:
            self._measure(handled, channel, time.perf_counter() - started)
        return handled

    def _measure(self, handled: Handled, channel: str, seconds: float) -> None:
        metrics = self.metrics
        metrics.messages.inc(channel=channel)
        metrics.latency.observe(seconds, channel=channel)
        user = next((e for e in handled.events if e.kind == ev.USER), None)
        decision = user.data.get("decision") if user is not None else None
        metrics.matches.inc(
            outcome=decision if decision in ("answer", "choose", "unknown") else "other"
        )
        for event in handled.events:
            if event.kind == ev.HANDOFF and event.data.get("status") == "requested":
                reason = str(event.data.get("reason", ""))
                metrics.handoffs.inc(
                    reason="needs_person" if reason.endswith("_needs_person") else reason
                )

    async def _handle(
        self, conversation_id: str, message: IncomingMessage, *, sender: str, channel: str
    ) -> Handled:
        async with self._lock(conversation_id):
            state = await self.state(conversation_id)
            outcome = await self.dialogue.respond(
                self.brain(), state, message, sender=sender, now=self.clock()
            )
            if outcome.duplicate:
                return Handled(outcome, (), state)
            pending = self.undelivered(state)
            stored, state = await self._store(state, outcome.events, sender, channel)
        await self._publish(conversation_id, stored)
        handled = await self._after(conversation_id, outcome, stored, state, sender, channel)
        return Handled(handled.outcome, handled.events, handled.state, pending)

    async def rate_answer(
        self,
        conversation_id: str,
        entry: str,
        helpful: bool,
        *,
        suggestion: str | None = None,
        sender: str,
        channel: str,
    ) -> Handled:
        async with self._lock(conversation_id):
            state = await self.state(conversation_id)
            outcome = self.dialogue.rate_answer(
                state, entry, helpful, now=self.clock(), suggestion=suggestion
            )
            stored, state = await self._store(state, outcome.events, sender, channel)
        await self._publish(conversation_id, stored)
        return await self._after(conversation_id, outcome, stored, state, sender, channel)

    async def _after(
        self,
        conversation_id: str,
        outcome: Outcome,
        stored: list[Event],
        state: ConversationState,
        sender: str,
        channel: str,
    ) -> Handled:
        requested = next(
            (e for e in stored if e.kind == ev.HANDOFF and e.data.get("status") == "requested"),
            None,
        )
        if requested is not None and self.open_handoff is not None:
            token = _IN_TURN.set(True)
            try:
                more = await self.open_handoff(
                    conversation_id, state, requested.data.get("reason", ""), sender, channel
                )
            finally:
                _IN_TURN.reset(token)
            stored = stored + more
            state = await self.state(conversation_id)
        return Handled(outcome, tuple(stored), state)

    @staticmethod
    def undelivered(state: ConversationState) -> tuple[Reply, ...]:
        """Messages pushed since the customer last wrote (for channels that cannot push)."""
        pushed: list[Reply] = []
        for event in reversed(state.events):  # only what came after the last user message
            if event.kind == ev.USER:
                break
            if event.data.get(PUSHED) and event.kind in (ev.BOT, ev.AGENT):
                pushed.append(Reply.from_event(event))
        return tuple(reversed(pushed))

    async def history(self, conversation_id: str, limit: int) -> tuple[Event, ...]:
        state = await self.state(conversation_id)
        return state.messages[-limit:] if limit else ()


def event_frame(event: Event) -> dict[str, object]:
    return {"seq": event.seq, "kind": event.kind, "data": event.data, "timestamp": event.timestamp}
