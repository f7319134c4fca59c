"""The dialogue policy: (conversation state, incoming message) -> replies and events.

Pure of transport and storage: it knows the knowledge base, a Matcher and an
ActionRunner only through their protocols. For each message it decides to
answer from knowledge, run an action, ask the customer to choose, offer a
person, or hand over to one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot import events as ev
from bot.conversation import ConversationState, IncomingMessage, Outcome, Reply
from bot.errors import ActionError
from bot.events import Event
from bot.knowledge import Button, Entry, KnowledgeBase
from bot.matching import Candidate, Match, Matcher
from bot.ports import ActionRunner
from bot.texts import say
from bot.tracker import from_rasa_events, from_rasa_response, rasa_tracker

logger = logging.getLogger(__name__)

HANDOFF_PAYLOAD = "/handoff"
MISSES_BEFORE_OFFER = 2


@dataclass(frozen=True)
class Brain:
    """A knowledge base and the matcher built from it; swapped whole when knowledge changes."""

    kb: KnowledgeBase
    matcher: Matcher


class Dialogue:
    def __init__(
        self,
        action_runner: ActionRunner | None = None,
        default_language: str = "en",
        domain: dict[str, object] | None = None,
    ) -> None:
        self.action_runner = action_runner
        self.default_language = default_language
        self.domain = domain or {}

    async def respond(
        self,
        brain: Brain,
        state: ConversationState,
        message: IncomingMessage,
        *,
        sender: str,
        now: float,
    ) -> Outcome:
        if message.message_id and message.message_id in state.seen_message_ids:
            seq = state.seen_message_ids[message.message_id]
            return Outcome(state.replies_after(seq), (), duplicate=True)

        turn = _Turn(state, now)
        if message.language and message.language != state.language:
            turn.set_language(message.language)

        if message.payload:
            match = _payload_match(message.payload, brain.kb)
        elif state.loop:
            # an action is collecting details: it takes the message unless the
            # customer clearly asks for something else
            match = brain.matcher.match(message.text, turn.language)
            if not (match.decision == "answer" and _is_handoff(brain, match)):
                turn.add(_user_event(message, match, now))
                await self._run_action(turn, brain, state.loop, sender, message, match)
                return turn.outcome()
        else:
            match = brain.matcher.match(message.text, turn.language)

        if (
            not message.payload
            and match.language
            and match.language != turn.language
            and match.decision != "unknown"
            and (turn.language is None or len(message.text.split()) >= 3)
        ):
            turn.set_language(match.language)
        language = turn.language or self.default_language
        turn.add(_user_event(message, match, now))
        if message.payload == HANDOFF_PAYLOAD:
            self.hand_over(turn, reason="asked_for_person")
            return turn.outcome()

        if match.decision == "answer" and match.best is not None:
            entry = brain.kb.get(match.best.entry_id, language, self.default_language)
            if entry is not None:
                await self._use_entry(turn, brain, entry, sender, message, match)
                return turn.outcome()
        if match.decision in ("answer", "choose") and match.candidates:
            turn.reply(
                Reply(say("choose", language), _choice_buttons(brain, match.candidates, language))
            )
            return turn.outcome()
        self._admit_unknown(turn, brain, match, language)
        return turn.outcome()

    async def _use_entry(
        self,
        turn: _Turn,
        brain: Brain,
        entry: Entry,
        sender: str,
        message: IncomingMessage,
        match: Match,
    ) -> None:
        if entry.handoff:
            if entry.answer:
                turn.reply(Reply(entry.answer, entry.buttons, entry=entry.id))
            self.hand_over(turn, reason="asked_for_person")
            return
        if entry.action:
            if entry.answer:
                turn.reply(Reply(entry.answer, entry=entry.id))
            await self._run_action(
                turn, brain, entry.action, sender, message, match, intent=entry.id
            )
            return
        turn.reply(Reply(entry.answer, entry.buttons, entry=entry.id))

    def hand_over(self, turn: _Turn, reason: str) -> None:
        language = turn.language or self.default_language
        turn.reply(Reply(say("handoff", language)))
        turn.add(Event(ev.HANDOFF, {"status": "requested", "reason": reason}, turn.now))

    def _admit_unknown(self, turn: _Turn, brain: Brain, match: Match, language: str) -> None:
        person = Button(say("offer_person", language), HANDOFF_PAYLOAD)
        if turn.state.misses + 1 >= MISSES_BEFORE_OFFER:
            turn.reply(Reply(say("still_unknown", language), (person,)))
            return
        buttons = _choice_buttons(brain, match.candidates, language)
        key = "unknown" if buttons else "unknown_empty"
        turn.reply(Reply(say(key, language), (*buttons, person)))

    async def _run_action(
        self,
        turn: _Turn,
        brain: Brain,
        action: str,
        sender: str,
        message: IncomingMessage,
        match: Match | None,
        intent: str | None = None,
    ) -> None:
        language = turn.language or self.default_language
        if self.action_runner is None:
            logger.error("no action runner configured for %s", action)
            turn.reply(Reply(say("action_failed", language)))
            return
        state = turn.current_state()
        tracker = rasa_tracker(state, sender, message, match, intent or action)
        try:
            result = await self.action_runner.run(action, tracker, dict(self.domain))
        except ActionError as exc:
            logger.warning("%s", exc)
            turn.reply(Reply(say("action_failed", language)))
            if state.loop:
                turn.add(Event(ev.LOOP, {"name": None}, turn.now))
            return
        turn.add(Event(ev.ACTION, {"name": action}, turn.now))
        for event in from_rasa_events(result.events, turn.now):
            turn.add(event)
        for response in result.responses:
            turn.reply(from_rasa_response(response))
        if any(
            e.get("event") == "followup" and e.get("name") == "action_handoff"
            for e in result.events
        ):
            self.hand_over(turn, reason=f"{action}_needs_person")


class _Turn:
    """Collects what one message produces, keeping a running state."""

    def __init__(self, state: ConversationState, now: float) -> None:
        self.state = state
        self.now = now
        self.language = state.language
        self.events: list[Event] = []
        self.replies: list[Reply] = []

    def add(self, event: Event) -> None:
        self.events.append(event)

    def reply(self, reply: Reply) -> None:
        self.replies.append(reply)
        self.events.append(Event(ev.BOT, reply.to_event_data(), self.now))

    def set_language(self, language: str) -> None:
        self.language = language
        self.add(Event(ev.LANGUAGE, {"language": language}, self.now))

    def current_state(self) -> ConversationState:
        state = self.state
        for event in self.events:
            state = state.apply(event)
        return state

    def outcome(self) -> Outcome:
        return Outcome(tuple(self.replies), tuple(self.events))


def _user_event(message: IncomingMessage, match: Match | None, now: float) -> Event:
    data: dict[str, object] = {}
    if message.message_id:
        data["message_id"] = message.message_id
    if message.payload:
        data["payload"] = message.payload
    if match is not None:
        data["decision"] = match.decision
        if match.best is not None:
            data["entry"] = match.best.entry_id
            data["confidence"] = match.best.score
    if message.metadata:
        data["metadata"] = dict(message.metadata)
    return Event(ev.USER, {"text": message.text, **data}, now)


def _payload_match(payload: str, kb: KnowledgeBase) -> Match:
    """A button's payload names an entry directly: `/returns`."""
    name = payload.lstrip("/").split("{", 1)[0].strip()
    if name in kb.ids:
        return Match("answer", (Candidate(name, 1.0),))
    return Match("unknown")


def _is_handoff(brain: Brain, match: Match) -> bool:
    best = match.best
    entry = brain.kb.get(best.entry_id, "en") if best else None
    return bool(entry and entry.handoff)


def _choice_buttons(
    brain: Brain, candidates: tuple[Candidate, ...], language: str
) -> tuple[Button, ...]:
    buttons = []
    for candidate in candidates[:3]:
        entry = brain.kb.get(candidate.entry_id, language)
        if entry is not None:
            buttons.append(Button(entry.question, f"/{entry.id}"))
    return tuple(buttons)
