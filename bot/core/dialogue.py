"""The dialogue policy: (conversation state, incoming message) -> replies and events.

Pure of transport and storage: it knows the knowledge base, a Matcher and an
ActionRunner only through their protocols. For each message it decides to
answer from knowledge, run an action, ask the customer to choose, offer a
person, or hand over to one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, replace

from bot.core import events as ev
from bot.core.conversation import ConversationState, IncomingMessage, Outcome, Reply
from bot.core.events import Event
from bot.core.texts import say
from bot.core.verification import HOST_SLOT, forget_verification, lapsed
from bot.errors import ActionError, InputError
from bot.knowledge.entries import Button, Entry, KnowledgeBase
from bot.ports import ActionCall, ActionRunner, CommunityLookup, CommunitySuggestion, Matcher
from bot.understanding.at_risk import read_at_risk
from bot.understanding.correction import is_correction
from bot.understanding.language import follows_customer
from bot.understanding.matching import Candidate, Match
from bot.understanding.questions import split_questions

logger = logging.getLogger(__name__)

HANDOFF_PAYLOAD = "/handoff"
RATE_PAYLOAD = "/rate"
MISSES_BEFORE_ESCALATION = 2
# a runner-up under a tenth of the best candidate's score is no real alternative: the
# customer is asked "is it this?" about the best alone (session 3 saw 0.88 against 0.004)
RUNNER_UP_SHARE = 0.1
UNHELPFUL_BEFORE_ESCALATION = 2
AT_RISK_TAGS = frozenset({"complaint", "at-risk", "churn"})
# an entry tagged so (in English) is never offered as a choice: nobody picks "Hello!"
SMALL_TALK_TAG = "smalltalk"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
COMMENT_SLOT = "feedback_comment_pending"


@dataclass(frozen=True)
class Brain:
    """A knowledge base and the matcher built from it; swapped whole when knowledge changes."""

    kb: KnowledgeBase
    matcher: Matcher


async def _match(matcher: Matcher, text: str, language: str | None) -> Match:
    """The matcher's verdict; a matcher that says it is slow (a transformer's
    milliseconds per message) runs on a worker thread, so that other conversations'
    turns go on meanwhile (numpy lets go of the GIL while it computes)."""
    if getattr(matcher, "slow", False):
        return await asyncio.to_thread(matcher.match, text, language)
    return matcher.match(text, language)


class Dialogue:
    def __init__(
        self,
        action_runner: ActionRunner | None = None,
        default_language: str = "en",
        domain: dict[str, object] | None = None,
        escalate_on_fallback: bool = True,
        verification_ttl: float = 0.0,
        community: CommunityLookup | None = None,
    ) -> None:
        self.community = community
        self.action_runner = action_runner
        self.default_language = default_language
        self.domain = domain or {}
        self.escalate_on_fallback = escalate_on_fallback
        self.verification_ttl = verification_ttl  # seconds of silence; 0: never lapses

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
        # the customer leads: Portuguese typed on a page that opened in English moves
        # the conversation to Portuguese (#17). The client's language (the page's) starts
        # a conversation that has none; after that, a REST client sending it with every
        # message must not take back a "sim" from a customer who switched
        hint = state.language or message.language
        switched = None
        if not message.payload and message.text:
            switched = follows_customer(message.text, hint)
        language_now = switched or hint
        if language_now and language_now != state.language:
            turn.set_language(language_now)
        if lapsed(state, now, self.verification_ttl):
            # silent too long: whoever writes now proves again who they are
            for event in forget_verification(now):
                turn.add(event)
        if message.identity:
            self._vouched(turn, message.identity)

        if state.with_person:
            self._while_with_person(turn, message)
            return turn.outcome()
        if message.payload and message.payload.startswith(RATE_PAYLOAD):
            self._rate_conversation(turn, message)
            return turn.outcome()
        if state.slots.get(COMMENT_SLOT):
            turn.add(_user_event(message, None, now))
            turn.add(Event(ev.FEEDBACK, {"comment": message.text}, now))
            turn.add(ev.slot_set(COMMENT_SLOT, None, now))
            turn.reply(Reply(say("comment_thanks", turn.language)))
            return turn.outcome()

        risk = read_at_risk(message.text) if not message.payload else None
        if risk is not None and risk.at_risk:
            # a relationship at risk goes to a person first, whatever else it asks (#17)
            self._at_risk(turn, message, risk.signals)
            return turn.outcome()
        if message.payload:
            match = _payload_match(message.payload, brain.kb)
        elif state.loop:
            # an action is collecting details: it takes the message unless the
            # customer clearly asks for something else
            match = await _match(brain.matcher, message.text, turn.language)
            if not (match.decision == "answer" and _is_handoff(brain, match)):
                # the action takes this message (an order number, an email...): it is not
                # a question the assistant failed to understand, and must not count as one
                turn.add(_user_event(message, None, now))
                await self._run_action(turn, brain, state.loop, sender, message, match)
                return turn.outcome()
        else:
            match = await _match(brain.matcher, message.text, turn.language)
            corrected = _corrected_action(state, message, match)
            if corrected is not None:
                # "no, not that one, order 100009": the last action again, on that order
                turn.add(_user_event(message, None, now))
                await self._run_action(turn, brain, corrected, sender, message, match)
                return turn.outcome()

        if not message.payload and match.language and turn.language is None:
            turn.set_language(match.language)
        language = turn.language or self.default_language
        if match.decision == "choose" and not _choice_buttons(
            brain, match.candidates, language, person_offered=False
        ):
            # nothing real to choose between ("Hello!" is no topic): not understood
            match = replace(match, decision="unknown")
        several = None if message.payload else await self._questions(brain, message, language)
        if several is not None:
            # two questions, both understood: recorded as such (not a miss), then both said
            entries, sure = several
            found = tuple(Candidate(e.id, 1.0) for e in entries)
            match = replace(match, decision="answer" if sure else "choose", candidates=found)
        best = match.best
        turn.decision = match.decision
        turn.add(_user_event(message, match, now, best=best))
        if message.payload == HANDOFF_PAYLOAD:
            self.hand_over(turn, reason="asked_for_person")
            return turn.outcome()

        if several is not None:
            entries, sure = several
            if sure:
                for each in entries:
                    turn.reply(Reply(each.answer, each.buttons, entry=each.id))
            else:
                buttons = tuple(Button(e.question, f"/{e.id}") for e in entries)
                turn.reply(Reply(say("choose", language), buttons))
            return turn.outcome()
        if match.decision == "answer" and best is not None:
            entry = brain.kb.get(best.entry_id, language, self.default_language)
            if entry is not None:
                await self._use_entry(turn, brain, entry, sender, message, match)
                return turn.outcome()
        if match.decision in ("answer", "choose") and match.candidates:
            buttons = _choice_buttons(brain, match.candidates, language, person_offered=False)
            if len(buttons) == 1:  # one real candidate: "is it this?", or a person
                person = Button(say("offer_person", language), HANDOFF_PAYLOAD)
                # "I want to talk to a person" beside "Talk to a person" says it twice (#17)
                offered = buttons if _names_handoff(brain, buttons[0]) else (*buttons, person)
                turn.reply(Reply(say("did_you_mean", language), offered))
            else:
                turn.reply(Reply(say("choose", language), buttons))
            return turn.outcome()
        if self.community is not None and not message.payload:
            # in the conversation's language, else in the one the message looks written in
            for asked in dict.fromkeys(x for x in (language, match.language) if x):
                suggestions = await self.community(message.text, asked)
                if suggestions:
                    turn.reply(_community_reply(suggestions[0]))
                    return turn.outcome()
        self._admit_unknown(turn, brain, match, language)
        return turn.outcome()

    @staticmethod
    def _vouched(turn: _Turn, identity: str) -> None:
        """The host site vouched for this customer: verified without asking. Only a message
        carrying an identity folds the turn's events so far (a lapse may have reset them)."""
        current = turn.current_state()
        now = turn.now
        if current.slots.get("customer_id") != identity or not current.slots.get("verified"):
            turn.add(ev.slot_set("customer_id", identity, now))
            turn.add(ev.slot_set("verified", True, now))
            turn.add(ev.slot_set("verified_by", "host", now))
        if current.slots.get(HOST_SLOT) != identity:
            turn.add(ev.slot_set(HOST_SLOT, identity, now))

    async def _questions(
        self, brain: Brain, message: IncomingMessage, language: str
    ) -> tuple[tuple[Entry, ...], bool] | None:
        """Two questions in one message (#17): the entries of its parts, and whether each
        was answered with confidence (else the customer gets a choice of the two); None
        when the message is one question, or its parts do not stand on their own."""
        parts = split_questions(message.text)
        if len(parts) < 2:
            return None
        entries: dict[str, Entry] = {}
        sure = True
        for part in parts:
            found = await _match(brain.matcher, part, language)
            if found.decision not in ("answer", "choose") or found.best is None:
                return None
            entry = brain.kb.get(found.best.entry_id, language, self.default_language)
            english = brain.kb.get(found.best.entry_id, "en")
            if entry is None or english is None or entry.handoff or entry.action:
                return None  # an action or a person takes the turn whole
            if SMALL_TALK_TAG in english.tags:
                continue  # "hi! ..." is no question
            entries.setdefault(entry.id, entry)
            sure = sure and found.decision == "answer"
        if len(entries) < 2:
            return None
        return tuple(entries.values()), sure

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
            at_risk = AT_RISK_TAGS.intersection(entry.tags) or entry.id in AT_RISK_TAGS
            reason = "complaint" if at_risk else "asked_for_person"
            if entry.answer:  # the entry says it in its own words
                turn.reply(Reply(entry.answer, entry.buttons, entry=entry.id))
                turn.request_handoff(reason)
            else:
                self.hand_over(turn, reason=reason)
            return
        if entry.action:
            if entry.answer:
                turn.reply(Reply(entry.answer, entry=entry.id))
            await self._run_action(
                turn, brain, entry.action, sender, message, match, intent=entry.id
            )
            return
        turn.reply(Reply(entry.answer, entry.buttons, entry=entry.id))

    def _at_risk(self, turn: _Turn, message: IncomingMessage, signals: tuple[str, ...]) -> None:
        event = _user_event(message, None, turn.now)
        turn.add(Event(ev.USER, {**event.data, "at_risk": list(signals)}, turn.now))
        if turn.state.loop:  # whatever was being collected waits for the person
            turn.add(Event(ev.LOOP, {"name": None}, turn.now))
        turn.reply(Reply(say("at_risk", turn.language or self.default_language)))
        self.hand_over(turn, reason="at_risk")

    def hand_over(self, turn: _Turn, reason: str) -> None:
        language = turn.language or self.default_language
        turn.reply(Reply(say("handoff", language)))
        turn.request_handoff(reason)

    def rate_answer(
        self,
        state: ConversationState,
        entry: str,
        helpful: bool,
        *,
        seq: int,
        now: float,
        suggestion: str | None = None,
    ) -> Outcome:
        """The customer rated answer `seq` (of `entry`), once; the second answer rated
        unhelpful goes to a person."""
        answer = next((e for e in state.events if e.seq == seq), None)
        if answer is None or answer.kind != ev.BOT or answer.data.get("entry") != entry:
            raise InputError(
                f"'seq' must name an answer of this conversation from entry {entry!r}",
                code="unknown_answer",
            )
        if any(e.kind == ev.FEEDBACK and e.data.get("answer") == seq for e in state.events):
            raise InputError("this answer was rated already", code="already_rated")
        turn = _Turn(state, now)
        turn.add(Event(ev.FEEDBACK, {"helpful": helpful, "entry": entry, "answer": seq}, now))
        if suggestion:
            turn.add(Event(ev.SUGGESTION, {"entry": entry, "text": suggestion}, now))
        if helpful:
            turn.reply(Reply(say("helpful_thanks", turn.language)))
        elif state.with_person:
            pass
        elif state.unhelpful + 1 >= UNHELPFUL_BEFORE_ESCALATION:
            self.hand_over(turn, reason="unhelpful")
        else:
            language = turn.language or self.default_language
            person = Button(say("offer_person", language), HANDOFF_PAYLOAD)
            turn.reply(Reply(say("unhelpful", language), (person,)))
        return turn.outcome()

    def _while_with_person(self, turn: _Turn, message: IncomingMessage) -> None:
        """A person has the conversation: keep the message for them; take an email if offline."""
        turn.add(_user_event(message, None, turn.now))
        state = turn.state
        if state.handoff_offline and not state.slots.get("contact_email"):
            found = EMAIL.search(message.text)
            if found:
                turn.add(ev.slot_set("contact_email", found.group(0), turn.now))
                turn.reply(Reply(say("contact_saved", turn.language, email=found.group(0))))
        elif state.handoff_offline and state.handoff in ("queued", "requested"):
            email = str(state.slots.get("contact_email"))
            turn.reply(Reply(say("contact_noted", turn.language, email=email)))

    def _rate_conversation(self, turn: _Turn, message: IncomingMessage) -> None:
        turn.add(_user_event(message, None, turn.now))
        rating = _payload_value(message.payload or "", "rating")
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            turn.reply(Reply(say("error", turn.language)))
            return
        turn.add(Event(ev.FEEDBACK, {"rating": rating}, turn.now))
        turn.add(ev.slot_set(COMMENT_SLOT, True, turn.now))
        turn.reply(Reply(say("rated", turn.language)))

    def _admit_unknown(self, turn: _Turn, brain: Brain, match: Match, language: str) -> None:
        person = Button(say("offer_person", language), HANDOFF_PAYLOAD)
        if turn.state.misses + 1 >= MISSES_BEFORE_ESCALATION:
            if self.escalate_on_fallback:
                self.hand_over(turn, reason="fallback")
            else:
                turn.reply(Reply(say("still_unknown", language), (person,)))
            return
        buttons = _choice_buttons(brain, match.candidates, language, person_offered=True)
        key = {0: "unknown_empty", 1: "unknown_one"}.get(len(buttons), "unknown")
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
        call = ActionCall(
            action,
            turn.current_state(),
            sender,
            message,
            match,
            intent or action,
            self.domain,
            turn.now,
        )
        try:
            result = await self.action_runner.run(call)
        except ActionError as exc:
            logger.warning("%s", exc)
            turn.reply(Reply(say("action_failed", language)))
            if call.state.loop:
                turn.add(Event(ev.LOOP, {"name": None}, turn.now))
            return
        turn.add(Event(ev.ACTION, {"name": action}, turn.now))
        for event in result.events:
            turn.add(event)
        for reply in result.replies:
            turn.reply(reply)
        if result.wants_person:
            self.hand_over(turn, reason=f"{action}_needs_person")


class _Turn:
    """Collects what one message produces, keeping a running state."""

    def __init__(self, state: ConversationState, now: float) -> None:
        self.state = state
        self.now = now
        self.language = state.language
        self.events: list[Event] = []
        self.replies: list[Reply] = []
        self.decision: str | None = None  # the matcher's, on the customer's message
        self.handoff_reason: str | None = None

    def add(self, event: Event) -> None:
        self.events.append(event)

    def request_handoff(self, reason: str) -> None:
        self.handoff_reason = reason
        self.events.append(Event(ev.HANDOFF, {"status": "requested", "reason": reason}, self.now))

    def reply(self, reply: Reply) -> None:
        self.replies.append(reply)
        self.events.append(Event(ev.BOT, reply.to_event_data(), self.now))

    def set_language(self, language: str) -> None:
        self.language = language
        self.add(Event(ev.LANGUAGE, {"language": language}, self.now))

    def current_state(self) -> ConversationState:
        return self.state.apply_all(self.events)

    def outcome(self) -> Outcome:
        return Outcome(
            tuple(self.replies),
            tuple(self.events),
            decision=self.decision,
            handoff_reason=self.handoff_reason,
        )


def _user_event(
    message: IncomingMessage, match: Match | None, now: float, *, best: Candidate | None = None
) -> Event:
    """The customer's message as stored, with the decision on it and the `best` candidate
    of `match` (read once by the caller, who uses it again)."""
    data: dict[str, object] = {}
    if message.message_id:
        data["message_id"] = message.message_id
    if message.payload:
        data["payload"] = message.payload
    if match is not None:
        data["decision"] = match.decision
        if best is not None:
            data["entry"] = best.entry_id
            data["confidence"] = best.score
    if message.metadata:
        data["metadata"] = dict(message.metadata)
    return Event(ev.USER, {"text": message.text, **data}, now)


def _payload_match(payload: str, kb: KnowledgeBase) -> Match:
    """A button's payload names an entry directly: `/returns`."""
    name = payload.lstrip("/").split("{", 1)[0].strip()
    if name in kb.ids:
        return Match("answer", (Candidate(name, 1.0),))
    return Match("unknown")


def _payload_value(payload: str, key: str) -> object:
    """A value from a Rasa-style payload: `/rate{"rating": 4}`."""
    _, _, tail = payload.partition("{")
    try:
        data = json.loads("{" + tail) if tail else {}
    except ValueError:
        return None
    return data.get(key) if isinstance(data, dict) else None


def rating_buttons() -> tuple[Button, ...]:
    return tuple(Button("★" * n, f'{RATE_PAYLOAD}{{"rating": {n}}}') for n in range(1, 6))


def _is_handoff(brain: Brain, match: Match) -> bool:
    best = match.best
    entry = brain.kb.get(best.entry_id, "en") if best else None
    return bool(entry and entry.handoff)


def _community_reply(found: CommunitySuggestion) -> Reply:
    """An accepted community answer, labelled as from customers, with a person on offer.
    Its text is the customer's: Markdown markers are taken out so that it stays text."""

    def plain(text: str) -> str:
        return text.replace("*", "").replace("[", "(").replace("]", ")")

    text = say(
        "community_answer", found.language, title=plain(found.title),
        answer=plain(found.answer), url=found.url,
    )  # fmt: skip
    return Reply(text, (Button(say("offer_person", found.language), HANDOFF_PAYLOAD),))


def _corrected_action(
    state: ConversationState, message: IncomingMessage, match: Match
) -> str | None:
    """The action to run again when `message` corrects the order it worked on (#17)."""
    if not state.slots.get("order_id") or not is_correction(message.text, match.entities):
        return None
    for event in reversed(state.events):
        if event.kind == ev.ACTION:
            name = event.data.get("name")
            return name if isinstance(name, str) else None
    return None


def _names_handoff(brain: Brain, button: Button) -> bool:
    """The button asks for a person and nothing else (a complaint is more than that)."""
    entry = brain.kb.get(button.payload.lstrip("/"), "en")
    return bool(entry and entry.handoff and not AT_RISK_TAGS.intersection(entry.tags))


def _choice_buttons(
    brain: Brain, candidates: tuple[Candidate, ...], language: str, person_offered: bool
) -> tuple[Button, ...]:
    """Buttons for the top three candidates, leaving out any the matcher gives less than
    RUNNER_UP_SHARE of the best one's score (a button nobody means is noise), small talk,
    and handoff entries beyond the first, or all of them when the reply offers a person
    anyway (#17: "Goodbye" or "I want to talk to a person" beside "Talk to a person")."""
    buttons = []
    floor = candidates[0].score * RUNNER_UP_SHARE if candidates else 0.0
    handoff = person_offered
    for candidate in candidates[:3]:
        if candidate.score < floor:
            continue
        entry = brain.kb.get(candidate.entry_id, language)
        english = brain.kb.get(candidate.entry_id, "en")
        if entry is None or english is None or SMALL_TALK_TAG in english.tags:
            continue
        if entry.handoff:
            if handoff:
                continue
            handoff = True
        buttons.append(Button(entry.question, f"/{entry.id}"))
    return tuple(buttons)
