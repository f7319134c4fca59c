"""ChatService: takes a parsed message through the core and into the conversation log.

Load state, let the dialogue decide, append the events through the `ConversationLog` (which
publishes them). One message at a time per conversation. When the dialogue asks for a person,
the desk queues the conversation, appending its events in the same turn.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.core import events as ev
from bot.core.conversation import ConversationState, IncomingMessage, Outcome, Reply
from bot.core.dialogue import Brain, Dialogue
from bot.core.events import Event
from bot.core.metrics import Metrics
from bot.core.verification import HOST_SLOT, lapsed, private_owners, redact, verified_customer
from bot.ports import ConversationStore, Turn
from bot.services.conversation_log import PUSHED, ConversationLog


class HandoffOpener(Protocol):
    """Queues a conversation for a person (the desk); returns the events it appended."""

    def __call__(
        self,
        conversation_id: str,
        state: ConversationState,
        reason: str,
        *,
        sender: str,
        channel: str,
        turn: Turn,
    ) -> Awaitable[list[Event]]: ...


@dataclass(frozen=True)
class Handled:
    outcome: Outcome
    events: tuple[Event, ...]  # as stored, with seq numbers, the desk's included
    state: ConversationState
    pending: tuple[Event, ...] = ()  # stored bot/agent messages pushed since they last wrote

    @property
    def replies(self) -> tuple[Reply, ...]:
        """What the customer is told in answer: the dialogue's replies, then the desk's."""
        if self.outcome.duplicate:
            return self.outcome.replies
        return tuple(Reply.from_event(e) for e in self.events if e.kind == ev.BOT)


class ChatService:
    def __init__(
        self,
        log: ConversationLog,
        dialogue: Dialogue,
        brain: Callable[[], Brain],
        open_handoff: HandoffOpener | None = None,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
        record_contact: Callable[[int, str], Awaitable[None]] | None = None,
    ) -> None:
        self.log = log
        self.record_contact = record_contact  # the email left while nobody was there
        self.dialogue = dialogue
        self.brain = brain
        self.open_handoff = open_handoff
        self.clock = clock
        self.metrics = metrics or Metrics()

    @property
    def store(self) -> ConversationStore:
        return self.log.store

    async def state(self, conversation_id: str) -> ConversationState:
        return await self.log.state(conversation_id)

    async def handle(
        self,
        conversation_id: str,
        message: IncomingMessage,
        *,
        sender: str,
        channel: str,
        origin: str | None = None,
        address: str | None = None,
    ) -> Handled:
        """Take a customer's message through the core and into the store.

        With an `origin`, the turn's events (the desk's included) are published with
        it: that subscriber does not get them back, its caller delivers `events`.
        """
        started = time.perf_counter()
        handled = await self._handle(
            conversation_id, message, sender=sender, channel=channel, turn=Turn(origin, address)
        )
        if not handled.outcome.duplicate:
            self._measure(handled, channel, time.perf_counter() - started)
        return handled

    def _measure(self, handled: Handled, channel: str, seconds: float) -> None:
        metrics = self.metrics
        metrics.messages.inc(channel=channel)
        metrics.latency.observe(seconds, channel=channel)
        decision = handled.outcome.decision
        metrics.matches.inc(
            outcome=decision if decision in ("answer", "choose", "unknown") else "other"
        )
        reason = handled.outcome.handoff_reason
        if reason is not None:
            metrics.handoffs.inc(
                reason="needs_person" if reason.endswith("_needs_person") else reason
            )

    async def _handle(
        self,
        conversation_id: str,
        message: IncomingMessage,
        *,
        sender: str,
        channel: str,
        turn: Turn,
    ) -> Handled:
        async with self.log.lock(conversation_id):
            state = await self.log.state(conversation_id)
            outcome = await self.dialogue.respond(
                self.brain(), state, message, sender=sender, now=self.clock()
            )
            if outcome.duplicate:
                return Handled(outcome, (), state)
            pending = self.undelivered(state)
            stored, state = await self.log.write(
                state, outcome.events, sender=sender, channel=channel
            )
        await self.log.publish(conversation_id, stored, turn)
        if state.handoff_id is not None and self.record_contact is not None:
            await self._contact(stored, state.handoff_id)
        if outcome.handoff_reason is None:  # the usual turn: no person asked for
            return Handled(outcome, tuple(stored), state, pending)
        handled = await self._after(outcome, stored, state, sender, channel, turn)
        return Handled(handled.outcome, handled.events, handled.state, pending)

    async def _contact(self, stored: Sequence[Event], handoff_id: int) -> None:
        """Record on the handoff the email a customer left for a reply (README: "A person
        takes over"), so that the console lists it as awaiting an email reply."""
        assert self.record_contact is not None
        for event in stored:
            if event.kind == ev.SLOT and event.data.get("name") == "contact_email":
                await self.record_contact(handoff_id, str(event.data.get("value")))

    async def rate_answer(
        self,
        conversation_id: str,
        entry: str,
        helpful: bool,
        *,
        seq: int,
        suggestion: str | None = None,
        sender: str,
        channel: str,
    ) -> Handled:
        """Rate answer `seq`: an InputError if it is no answer of `entry` here, or was rated."""
        turn = Turn()
        async with self.log.lock(conversation_id):
            state = await self.log.state(conversation_id)
            outcome = self.dialogue.rate_answer(
                state, entry, helpful, seq=seq, now=self.clock(), suggestion=suggestion
            )
            stored, state = await self.log.write(
                state, outcome.events, sender=sender, channel=channel
            )
        await self.log.publish(conversation_id, stored, turn)
        return await self._after(outcome, stored, state, sender, channel, turn)

    async def rate_article(
        self, entry: str, language: str, helpful: bool, *, page_view: str, channel: str
    ) -> None:
        """A help-center reader's "was this helpful?": the same feedback event as a widget
        rating, in a conversation of its own (`page_view`, one per submitted form)."""
        event = Event(
            ev.FEEDBACK,
            {"helpful": helpful, "entry": entry, "language": language, "source": channel},
            self.clock(),
        )
        await self.log.store.append(page_view, [event], sender=page_view, channel=channel)

    async def _after(
        self,
        outcome: Outcome,
        stored: list[Event],
        state: ConversationState,
        sender: str,
        channel: str,
        turn: Turn,
    ) -> Handled:
        if outcome.handoff_reason is not None and self.open_handoff is not None:
            conversation_id = state.conversation_id
            more = await self.open_handoff(
                conversation_id,
                state,
                outcome.handoff_reason,
                sender=sender,
                channel=channel,
                turn=turn,
            )
            stored = stored + more
            state = await self.log.state(conversation_id)
        return Handled(outcome, tuple(stored), state)

    @staticmethod
    def undelivered(state: ConversationState) -> tuple[Event, ...]:
        """Messages pushed since the customer last wrote (for channels that cannot push),
        as stored: the channel serialises them as it serialises the turn's replies."""
        pushed: list[Event] = []
        for event in reversed(state.events):  # only what came after the last user message
            if event.kind == ev.USER:
                break
            if event.data.get(PUSHED) and event.kind in (ev.BOT, ev.AGENT):
                pushed.append(event)
        return tuple(reversed(pushed))

    async def history(
        self, conversation_id: str, limit: int, *, identity: str | None = None
    ) -> tuple[Event, ...]:
        """The latest `limit` messages, as the customer resuming may see them: what carried
        personal details shows only to the customer it belonged to, verified now (by the
        host's `identity`, or by a verification that has not lapsed)."""
        state = await self.log.state(conversation_id)
        if not limit:
            return ()
        viewer = identity
        if viewer is None and not lapsed(state, self.clock(), self.dialogue.verification_ttl):
            viewer = verified_customer(state)
        return redact(state.messages[-limit:], private_owners(state.events), viewer, state.language)

    async def belongs_elsewhere(self, conversation_id: str, identity: str | None) -> bool:
        """Whether a conversation is bound to another customer than `identity` (the one the
        host site vouches for now, None for none): one a host vouched for resumes only under
        that identity; one verified as a customer does not resume under another."""
        state = await self.log.state(conversation_id)
        host = state.slots.get(HOST_SLOT)
        if host is not None and host != identity:
            return True
        customer = verified_customer(state)
        return identity is not None and customer is not None and customer != identity
