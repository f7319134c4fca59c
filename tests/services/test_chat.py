"""ChatService over the fakes: a turn through the dialogue, into the log, and to the desk."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from bot.adapters.broker import InProcessBroker
from bot.adapters.memory import MemoryConversationStore
from bot.core import events as ev
from bot.core.conversation import ConversationState, IncomingMessage, Reply
from bot.core.dialogue import Brain, Dialogue
from bot.core.events import Event, slot_set
from bot.ports import ORIGIN, ActionCall, ActionResult, conversation_topic
from bot.services.chat import ChatService
from bot.services.conversation_log import PUSHED, ConversationLog
from bot.services.desk import Desk
from tests.services.conftest import AddAgent, clock


class EchoRunner:
    """The ActionRunner port without rasa-sdk (whose import costs seconds): counts its runs
    in a slot like tests/support/echo_actions' action_echo_slots, and may ask for a person."""

    def __init__(self, wants_person: bool = False) -> None:
        self.wants_person = wants_person
        self.calls: list[ActionCall] = []

    async def run(self, call: ActionCall) -> ActionResult:
        self.calls.append(call)
        runs = int(call.state.slots.get("runs") or 0) + 1
        return ActionResult(
            events=(slot_set("runs", runs, call.now),),
            replies=(Reply(f"echo runs={runs}"),),
            wants_person=self.wants_person,
        )

    def names(self) -> frozenset[str]:
        return frozenset({"action_echo_slots"})


@pytest.fixture
def runner() -> EchoRunner:
    return EchoRunner()


@pytest.fixture
def chat(log: ConversationLog, brain: Brain, runner: EchoRunner, desk: Desk) -> ChatService:
    return ChatService(log, Dialogue(runner), lambda: brain, desk.open, clock=clock)


async def say(chat: ChatService, text: str, conversation_id: str = "c1") -> tuple[Event, ...]:
    handled = await chat.handle(
        conversation_id, IncomingMessage(text), sender="customer", channel="rest", origin="ws-1"
    )
    return handled.events


async def test_a_known_question_is_answered_and_its_events_appended(
    chat: ChatService, store: MemoryConversationStore
) -> None:
    handled = await chat.handle(
        "c1", IncomingMessage("how long does delivery take"), sender="customer", channel="rest"
    )
    assert [r.text for r in handled.replies] == [
        "Orders arrive in 2-4 working days in Portugal and 3-6 in Spain."
    ]
    assert [(e.seq, e.kind) for e in handled.events] == [
        (1, ev.LANGUAGE),
        (2, ev.USER),
        (3, ev.BOT),
    ]
    assert list(handled.events) == await store.load("c1")
    assert handled.state.last_seq == 3


async def test_an_actions_events_and_replies_are_appended_in_the_turn(
    chat: ChatService, runner: EchoRunner, store: MemoryConversationStore
) -> None:
    await say(chat, "is the shop open right now")
    events = await say(chat, "is the shop open right now")
    assert [c.action for c in runner.calls] == ["action_echo_slots"] * 2
    assert [e.kind for e in events] == [ev.USER, ev.ACTION, ev.SLOT, ev.BOT]
    assert events[-1].data["text"] == "echo runs=2"
    assert (await chat.state("c1")).slots["runs"] == 2
    assert list(events) == (await store.load("c1"))[-4:]


async def test_asking_for_a_person_brings_the_desks_events_into_the_same_handled(
    chat: ChatService, add_agent: AddAgent, broker: InProcessBroker
) -> None:
    await add_agent("ana@shop.example")
    published = broker.join(conversation_topic("c1"))
    handled = await chat.handle(
        "c1",
        IncomingMessage("I want to speak to a human"),
        sender="customer",
        channel="rest",
        origin="ws-1",
    )
    handoffs = [e.data["status"] for e in handled.events if e.kind == ev.HANDOFF]
    assert handoffs == ["requested", "queued", "claimed"]
    assert [e.seq for e in handled.events] == list(range(1, len(handled.events) + 1))
    replies = [r.text for r in handled.replies]
    assert replies[0].startswith("I'm passing you to a person")
    assert replies[-1] == "Ana from our team has joined the conversation."
    # part of the answer: not pushed, and published with the turn's origin
    assert not any(e.data.get(PUSHED) for e in handled.events)
    messages = [published.get_nowait() for _ in range(published.qsize())]
    events = [m for m in messages if m["type"] == "events"]
    assert len(events) >= 2 and all(m[ORIGIN] == "ws-1" for m in events)
    assert handled.state.handoff == "claimed"


async def test_an_action_asking_for_a_person_queues_the_conversation_in_the_turn(
    chat: ChatService, runner: EchoRunner, desk: Desk
) -> None:
    runner.wants_person = True
    events = await say(chat, "is the shop open right now")
    requested = [e.data for e in events if e.kind == ev.HANDOFF]
    assert requested[0] == {"status": "requested", "reason": "action_echo_slots_needs_person"}
    assert requested[1]["status"] == "queued"
    [handoff] = await desk.queue()
    assert (handoff.conversation_id, handoff.reason) == ("c1", "action_echo_slots_needs_person")


async def test_a_turn_folds_the_conversations_state_once(
    chat: ChatService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#16: the state was folded twice per turn (the dialogue folded the turn's events to
    look for a host identity the message did not carry, then the log folded the stored
    ones). A message with no identity is folded once, after the append."""
    await say(chat, "how long does delivery take")  # the state is cached from here on
    folds: list[int] = []
    apply_all = ConversationState.apply_all

    def counted(self: ConversationState, events: Iterable[Event]) -> ConversationState:
        folds.append(1)
        return apply_all(self, events)

    monkeypatch.setattr(ConversationState, "apply_all", counted)
    events = await say(chat, "how long does delivery take")
    assert [e.kind for e in events] == [ev.USER, ev.BOT]
    assert len(folds) == 1
