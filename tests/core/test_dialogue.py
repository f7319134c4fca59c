"""The dialogue core without a server: (state, message) -> (replies, events)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.rasa.action_runner import InProcessActionRunner
from bot.core import events as ev
from bot.core.conversation import ConversationState, IncomingMessage, Outcome
from bot.core.dialogue import Brain, Dialogue
from bot.errors import ActionError, InputError
from bot.knowledge.entries import load_knowledge
from bot.ports import ActionCall, ActionResult
from bot.understanding.matching import Candidate, FuzzyMatcher, Match
from tests.conftest import FIXTURES, TEST_ACTIONS


@pytest.fixture(scope="module")
def brain() -> Brain:
    kb = load_knowledge(FIXTURES / "kb")
    return Brain(kb, FuzzyMatcher(kb))


def make_message(**overrides: Any) -> IncomingMessage:
    values: dict[str, Any] = {"text": "hello"}
    values.update(overrides)
    return IncomingMessage(**values)


class Conversation:
    """Drives a Dialogue turn by turn, folding events into the state like the store would."""

    def __init__(self, brain: Brain, dialogue: Dialogue | None = None) -> None:
        self.brain = brain
        self.dialogue = dialogue or Dialogue(InProcessActionRunner(TEST_ACTIONS))
        self.state = ConversationState("test")
        self.seq = 0

    async def say(self, text: str = "", **overrides: Any) -> Outcome:
        message = make_message(text=text, **overrides)
        outcome = await self.dialogue.respond(
            self.brain, self.state, message, sender="tester", now=1000.0 + self.seq
        )
        for event in outcome.events:
            self.seq += 1
            self.state = self.state.apply(event.with_seq(self.seq))
        return outcome


async def test_a_known_question_is_answered_from_its_entry(brain: Brain) -> None:
    outcome = await Conversation(brain).say("how long does delivery take")
    assert [r.text for r in outcome.replies] == [
        "Orders arrive in 2-4 working days in Portugal and 3-6 in Spain."
    ]
    assert outcome.replies[0].entry == "delivery-times"
    kinds = [e.kind for e in outcome.events]
    assert kinds == [ev.LANGUAGE, ev.USER, ev.BOT]
    assert outcome.events[1].data["entry"] == "delivery-times"
    assert outcome.events[1].data["decision"] == "answer"


async def test_the_answer_comes_in_the_conversations_language(brain: Brain) -> None:
    chat = Conversation(brain)
    await chat.say("quando chega a minha encomenda")
    assert chat.state.language == "pt"
    outcome = await chat.say("/returns", payload="/returns")
    assert outcome.replies[0].text == "Pode devolver qualquer artigo até 30 dias após a entrega."


async def test_language_asked_by_the_client_is_kept(brain: Brain) -> None:
    chat = Conversation(brain)
    await chat.say("hi", language="pt")
    assert chat.state.language == "pt"


async def test_an_entry_missing_in_the_language_falls_back_to_english(brain: Brain) -> None:
    chat = Conversation(brain)
    outcome = await chat.say("hello", language="pt")
    assert outcome.replies[0].text == "Hello! How can I help you today?"


async def test_unknown_offers_the_closest_entries_then_a_person(brain: Brain) -> None:
    chat = Conversation(brain)
    first = await chat.say("what is the airspeed velocity of an unladen swallow")
    assert first.replies[0].text.startswith("I'm not sure")
    assert first.replies[0].buttons[-1].payload == "/handoff"
    assert len(first.replies[0].buttons) >= 2
    second = await chat.say("do you sell tickets to the moon")
    assert second.replies[0].text.startswith("I'm passing you to a person")
    assert [e.data for e in second.events if e.kind == ev.HANDOFF] == [
        {"status": "requested", "reason": "fallback"}
    ]


async def test_unknown_with_one_close_topic_names_it_in_the_singular(brain: Brain) -> None:
    class FarOff:
        def match(self, text: str, language: str | None = None) -> Match:
            return Match("unknown", (Candidate("returns", 0.2), Candidate("delivery-times", 0.01)))

    chat = Conversation(Brain(brain.kb, FarOff()))
    reply = (await chat.say("something odd")).replies[0]
    assert reply.text == "I'm not sure I can answer that. This is the closest topic I know:"
    assert [b.payload for b in reply.buttons] == ["/returns", "/handoff"]
    spanish = await Conversation(Brain(brain.kb, FarOff())).say("algo raro", language="es")
    assert spanish.replies[0].text.endswith("Este es el tema más cercano:")


async def test_without_fallback_escalation_the_second_miss_only_offers_a_person(
    brain: Brain,
) -> None:
    dialogue = Dialogue(InProcessActionRunner(TEST_ACTIONS), escalate_on_fallback=False)
    chat = Conversation(brain, dialogue)
    await chat.say("what is the airspeed velocity of an unladen swallow")
    second = await chat.say("do you sell tickets to the moon")
    assert second.replies[0].text == (
        "I still can't find an answer. Would you like a person to help you?"
    )
    assert [b.payload for b in second.replies[0].buttons] == ["/handoff"]
    assert chat.state.handoff is None


async def test_a_good_answer_resets_the_miss_count(brain: Brain) -> None:
    chat = Conversation(brain)
    await chat.say("what is the airspeed velocity of an unladen swallow")
    await chat.say("return policy")
    assert chat.state.misses == 0


async def test_asking_for_a_person_records_a_handoff(brain: Brain) -> None:
    chat = Conversation(brain)
    outcome = await chat.say("I want to speak to a human")
    handoffs = [e for e in outcome.events if e.kind == ev.HANDOFF]
    assert [h.data for h in handoffs] == [{"status": "requested", "reason": "asked_for_person"}]
    assert outcome.replies[-1].text.startswith("I'm passing you to a person")
    assert chat.state.handoff == "requested"


async def test_the_handoff_button_hands_over(brain: Brain) -> None:
    chat = Conversation(brain)
    outcome = await chat.say("Talk to a person", payload="/handoff")
    assert chat.state.handoff == "requested"
    assert outcome.replies[-1].text.startswith("I'm passing you to a person")


async def test_close_scores_ask_the_customer_to_choose(brain: Brain) -> None:
    class Unsure:
        def match(self, text: str, language: str | None = None) -> Match:
            return Match("choose", (Candidate("returns", 0.6), Candidate("delivery-times", 0.58)))

    chat = Conversation(Brain(brain.kb, Unsure()))
    outcome = await chat.say("something vague")
    reply = outcome.replies[0]
    assert reply.text == "I'm not completely sure what you mean. Is it one of these?"
    assert [b.payload for b in reply.buttons] == ["/returns", "/delivery-times"]
    assert [b.title for b in reply.buttons] == [
        "How do I return an item?",
        "How long does delivery take?",
    ]


async def test_one_real_candidate_is_asked_about_alone(brain: Brain) -> None:
    """A runner-up with a sliver of the best one's score is no choice: the customer is
    asked about the best candidate, with a person as the other way out."""

    class AlmostSure:
        def match(self, text: str, language: str | None = None) -> Match:
            return Match("choose", (Candidate("returns", 0.7), Candidate("delivery-times", 0.01)))

    chat = Conversation(Brain(brain.kb, AlmostSure()))
    outcome = await chat.say("something vague")
    reply = outcome.replies[0]
    assert reply.text == "I'm not completely sure what you mean. Is it this?"
    assert [b.payload for b in reply.buttons] == ["/returns", "/handoff"]
    assert [b.title for b in reply.buttons] == ["How do I return an item?", "Talk to a person"]
    answer = await chat.say("How do I return an item?", payload="/returns")
    assert answer.replies[0].entry == "returns"


async def test_a_resent_message_id_produces_no_new_events(brain: Brain) -> None:
    chat = Conversation(brain)
    first = await chat.say("return policy", message_id="abc")
    again = await chat.say("return policy", message_id="abc")
    assert again.duplicate is True
    assert again.events == ()
    assert again.replies == first.replies


async def test_an_action_entry_runs_the_registered_rasa_sdk_action(brain: Brain) -> None:
    chat = Conversation(brain)
    outcome = await chat.say("are you open now")
    assert outcome.replies[0].text == "echo intent=open-now language=en runs=1"
    assert chat.state.slots["runs"] == 1
    assert any(
        e.kind == ev.ACTION and e.data == {"name": "action_echo_slots"} for e in outcome.events
    )


async def test_an_action_can_hold_the_conversation_like_a_form(brain: Brain) -> None:
    chat = Conversation(brain)
    asked = await chat.say("do you want to know my name")
    assert asked.replies[0].text == "What is your name?"
    assert chat.state.loop == "action_ask_name"
    answered = await chat.say("Maria")
    assert answered.replies[0].text == "Nice to meet you, Maria."
    assert chat.state.slots["name"] == "Maria"
    assert chat.state.loop is None


async def test_asking_for_a_person_breaks_out_of_a_form(brain: Brain) -> None:
    chat = Conversation(brain)
    await chat.say("do you want to know my name")
    await chat.say("I want to talk to a person")
    assert chat.state.handoff == "requested"


async def test_a_crashing_action_gets_a_polite_reply(brain: Brain) -> None:
    outcome = await Conversation(brain).say("Break the shop please")
    assert outcome.replies[0].text.startswith("Sorry, I couldn't do that just now.")


async def test_an_unreachable_action_runner_gets_a_polite_reply(brain: Brain) -> None:
    class Down:
        async def run(self, call: ActionCall) -> ActionResult:
            raise ActionError(call.action, "connection refused")

        def names(self) -> frozenset[str]:
            return frozenset()

    outcome = await Conversation(brain, Dialogue(Down())).say("are you open now")
    assert outcome.replies[0].text.startswith("Sorry, I couldn't do that just now.")


def test_state_is_rebuilt_from_events_alone(tmp_path: Path) -> None:
    log = [
        ev.Event(ev.LANGUAGE, {"language": "es"}, 1.0, 1),
        ev.Event(ev.USER, {"text": "hola", "message_id": "m1", "decision": "unknown"}, 1.0, 2),
        ev.Event(ev.SLOT, {"name": "customer_id", "value": "C1"}, 1.0, 3),
        ev.Event(ev.LOOP, {"name": "action_x"}, 1.0, 4),
        ev.Event(ev.HANDOFF, {"status": "requested", "reason": "r"}, 1.0, 5),
    ]
    state = ConversationState.from_events("c", log)
    assert state.language == "es"
    assert state.seen_message_ids == {"m1": 2}
    assert state.misses == 1
    assert state.slots == {"customer_id": "C1"}
    assert state.loop == "action_x"
    assert state.handoff == "requested"
    assert state.last_seq == 5


async def test_while_a_person_has_the_conversation_the_bot_stays_quiet(brain: Brain) -> None:
    chat = Conversation(brain)
    await chat.say("I want to speak to a human")
    outcome = await chat.say("hello? my order is late")
    assert outcome.replies == ()
    assert [e.kind for e in outcome.events] == [ev.USER]


async def test_offline_queue_takes_the_customers_email(brain: Brain) -> None:
    chat = Conversation(brain)
    await chat.say("I want to speak to a human")
    chat.state = chat.state.apply(
        ev.Event(ev.HANDOFF, {"status": "queued", "handoff_id": 1, "offline": True}, 1.0, 99)
    )
    outcome = await chat.say("you can write to ana.silva@example.pt please")
    assert outcome.replies[0].text == (
        "Thank you: we will reply to ana.silva@example.pt as soon as we are back."
    )
    assert chat.state.slots["contact_email"] == "ana.silva@example.pt"


async def test_a_complaint_goes_to_a_person_as_a_relationship_at_risk(tmp_path: Path) -> None:
    from bot.knowledge.entries import parse_entry

    entry = parse_entry(
        "---\nid: complaint\nquestion: I want to complain\ntags: [complaint]\nhandoff: true\n---\nSorry.\n",
        "x.md",
        "en",
    )
    from bot.knowledge.entries import KnowledgeBase

    kb = KnowledgeBase.of([entry])
    chat = Conversation(Brain(kb, FuzzyMatcher(kb)))
    outcome = await chat.say("I want to complain")
    assert [e.data["reason"] for e in outcome.events if e.kind == ev.HANDOFF] == ["complaint"]


async def test_rating_the_conversation_records_it_and_asks_for_a_comment(brain: Brain) -> None:
    chat = Conversation(brain)
    outcome = await chat.say("★★★★", payload='/rate{"rating": 4}')
    assert [e.data for e in outcome.events if e.kind == ev.FEEDBACK] == [{"rating": 4}]
    assert outcome.replies[0].text.startswith("Thank you for your rating!")
    comment = await chat.say("the agent was quick")
    assert [e.data for e in comment.events if e.kind == ev.FEEDBACK] == [
        {"comment": "the agent was quick"}
    ]
    after = await chat.say("return policy")
    assert after.replies[0].text == "You can return any item within 30 days of delivery."


async def test_a_bad_rating_payload_is_not_recorded(brain: Brain) -> None:
    outcome = await Conversation(brain).say("x", payload='/rate{"rating": 9}')
    assert not [e for e in outcome.events if e.kind == ev.FEEDBACK]


async def test_two_unhelpful_answers_go_to_a_person(brain: Brain) -> None:
    chat = Conversation(brain)
    await chat.say("return policy")
    await chat.say("what is the return policy")
    first_seq, second_seq = [
        e.seq for e in chat.state.events if e.kind == ev.BOT and e.data.get("entry") == "returns"
    ]
    dialogue = chat.dialogue
    first = dialogue.rate_answer(chat.state, "returns", helpful=False, seq=first_seq, now=5.0)
    for event in first.events:
        chat.seq += 1
        chat.state = chat.state.apply(event.with_seq(chat.seq))
    assert first.replies[0].text.startswith("Sorry that didn't help.")
    second = dialogue.rate_answer(chat.state, "returns", helpful=False, seq=second_seq, now=6.0)
    assert [e.data for e in second.events if e.kind == ev.HANDOFF] == [
        {"status": "requested", "reason": "unhelpful"}
    ]


async def test_an_answer_is_rated_once_and_only_an_answer_is_rated(brain: Brain) -> None:
    chat = Conversation(brain)
    await chat.say("return policy")
    [seq] = [e.seq for e in chat.state.events if e.kind == ev.BOT and e.data.get("entry")]
    rated = chat.dialogue.rate_answer(chat.state, "returns", helpful=False, seq=seq, now=5.0)
    for event in rated.events:
        chat.seq += 1
        chat.state = chat.state.apply(event.with_seq(chat.seq))
    with pytest.raises(InputError) as again:
        chat.dialogue.rate_answer(chat.state, "returns", helpful=False, seq=seq, now=6.0)
    assert again.value.code == "already_rated"
    user_seq = chat.state.last_user_seq
    for wrong_seq, entry in ((user_seq, "returns"), (seq, "delivery-times"), (10_000, "returns")):
        with pytest.raises(InputError) as wrong:
            chat.dialogue.rate_answer(chat.state, entry, helpful=False, seq=wrong_seq, now=7.0)
        assert wrong.value.code == "unknown_answer"


def test_a_long_conversations_state_stays_bounded() -> None:
    from bot.core.conversation import KEPT_EVENTS, KEPT_MESSAGE_IDS

    log = [
        ev.Event(
            ev.USER, {"text": f"m{i}", "message_id": f"id{i}", "decision": "answer"}, 1.0, i + 1
        )
        for i in range(3000)
    ]
    state = ConversationState.from_events("long", log)
    assert len(state.events) == KEPT_EVENTS
    assert state.events[-1].seq == 3000 and state.last_seq == 3000
    assert len(state.seen_message_ids) == KEPT_MESSAGE_IDS
    assert "id2999" in state.seen_message_ids and "id0" not in state.seen_message_ids
    stepwise = ConversationState("long")
    for event in log[:50]:
        stepwise = stepwise.apply(event)
    assert stepwise == ConversationState.from_events("long", log[:50])


class _SlowMatcher:
    """The fuzzy matcher behind a blocking pause, as a transformer's milliseconds would be."""

    slow = True

    def __init__(self, inner: FuzzyMatcher, pause: float) -> None:
        self.inner, self.pause = inner, pause

    def match(self, text: str, language: str | None = None) -> Match:
        time.sleep(self.pause)  # blocks its thread, as numpy's matrix products do
        return self.inner.match(text, language)


async def test_a_slow_matcher_runs_off_the_event_loop(brain: Brain) -> None:
    """Two conversations' turns overlap, and the loop stays free, while a slow matcher works."""
    slow = Brain(brain.kb, _SlowMatcher(brain.matcher, 0.3))  # type: ignore[arg-type]
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    started = time.perf_counter()
    first, second = await asyncio.gather(
        Conversation(slow).say("return policy"), Conversation(slow).say("return policy")
    )
    elapsed = time.perf_counter() - started
    running.cancel()
    assert first.replies[0].text == second.replies[0].text
    assert elapsed < 0.55  # side by side, not 0.6 s one after the other
    assert ticks >= 10  # the loop kept turning meanwhile


@pytest.fixture(scope="module")
def shipped_kb() -> Any:
    return load_knowledge(Path(__file__).resolve().parents[2] / "knowledge")


async def test_choices_are_real_topics_never_small_talk_or_a_second_person(
    shipped_kb: Any,
) -> None:
    """#17: a choice never offers "Goodbye" or "Olá!", and never "I want to talk to a
    person" beside the "Talk to a person" button (nor two handoff entries)."""
    kb = shipped_kb

    def chat_with(match: Match) -> Conversation:
        class Fixed:
            def match(self, text: str, language: str | None = None) -> Match:
                return match

        return Conversation(Brain(kb, Fixed()))

    candidates = (
        Candidate("greeting", 0.5),
        Candidate("returns-policy", 0.45),
        Candidate("goodbye", 0.44),
    )
    outcome = await chat_with(Match("choose", candidates)).say("hello, returns?")
    assert [b.payload for b in outcome.replies[0].buttons] == ["/returns-policy", "/handoff"]
    assert "Is it this?" in outcome.replies[0].text

    two_people = (Candidate("complaint", 0.5), Candidate("talk-to-person", 0.45))
    outcome = await chat_with(Match("choose", two_people)).say("this is awful, a person")
    assert [b.payload for b in outcome.replies[0].buttons] == ["/complaint", "/handoff"]

    outcome = await chat_with(
        Match("unknown", (Candidate("talk-to-person", 0.3), Candidate("shipping", 0.2)))
    ).say("mmm")
    assert [b.payload for b in outcome.replies[0].buttons] == ["/shipping", "/handoff"]
    outcome = await chat_with(Match("unknown", (Candidate("goodbye", 0.3),))).say(
        "olá", language="pt"
    )
    assert [b.payload for b in outcome.replies[0].buttons] == ["/handoff"]
