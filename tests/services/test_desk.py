"""Desk over the fakes: queue, routing, claims, transfer, resolve, offline hours."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.adapters.broker import InProcessBroker
from bot.adapters.memory import MemoryAgentStore, MemoryConversationStore, MemoryHandoffStore
from bot.core import events as ev
from bot.core.business_hours import BusinessHours
from bot.core.conversation import ConversationState
from bot.core.customers import CustomerProfile
from bot.core.events import Event
from bot.core.handoff import Handoff
from bot.errors import ConflictError
from bot.ports import QUEUE_TOPIC, ProfileLookup, conversation_topic
from bot.services.conversation_log import ConversationLog
from bot.services.desk import QUEUE_HEAD, Desk
from tests.services.conftest import NOW, AddAgent, MakeDesk, verified


async def ask(
    desk: Desk, conversation_id: str, state: ConversationState | None = None
) -> list[Event]:
    """The customer of `conversation_id` asks for a person; the events the desk appended."""
    return await desk.open(
        conversation_id,
        state or ConversationState(conversation_id),
        "asked_for_person",
        sender=f"customer-{conversation_id}",
        channel="rest",
    )


async def hold(handoffs: MemoryHandoffStore, conversation_id: str, agent: str) -> int:
    """A conversation `agent` already holds, put straight into the store."""
    handoff = await handoffs.create(
        Handoff(0, conversation_id, "someone", "rest", "asked_for_person", "en", 55, NOW)
    )
    assert await handoffs.claim(handoff.id, agent, NOW)
    return handoff.id


def texts(events: list[Event]) -> list[str]:
    return [e.data["text"] for e in events if e.kind == ev.BOT]


def statuses(events: list[Event]) -> list[str]:
    return [e.data["status"] for e in events if e.kind == ev.HANDOFF]


async def test_open_queues_the_customer_and_tells_their_position(
    make_desk: MakeDesk, add_agent: AddAgent, broker: InProcessBroker
) -> None:
    desk = make_desk(auto_assign=False)
    await add_agent("ana@shop.example")
    await ask(desk, "c1")
    updates = broker.join(conversation_topic("c2"))
    events = await ask(desk, "c2")
    assert statuses(events) == ["queued"]
    assert texts(events) == [
        "You are number 2 in the queue. Expected wait: about 10 min."
        " You can keep writing: the person who takes over will read it."
    ]
    published = [updates.get_nowait() for _ in range(updates.qsize())]
    assert {"type": "queue", "position": 2, "wait_s": 600.0} in published
    assert [h.conversation_id for h in await desk.queue("waiting")] == ["c1", "c2"]


async def test_open_assigns_the_least_loaded_online_agent(
    desk: Desk, add_agent: AddAgent, handoffs: MemoryHandoffStore
) -> None:
    await add_agent("away@shop.example", online=False)  # idle and first by email, but away
    await add_agent("busy@shop.example")  # before Free by email, but holds one already
    await add_agent("free@shop.example")
    await hold(handoffs, "earlier", "busy@shop.example")
    events = await ask(desk, "c1")
    assert statuses(events) == ["queued", "claimed"]
    assert texts(events) == ["Free from our team has joined the conversation."]
    handoff = await desk.get(2)
    assert (handoff.status, handoff.agent) == ("assigned", "free@shop.example")


async def test_open_never_assigns_above_an_agents_capacity(
    desk: Desk, add_agent: AddAgent, handoffs: MemoryHandoffStore
) -> None:
    await add_agent("ana@shop.example", max_chats=1)
    await hold(handoffs, "earlier", "ana@shop.example")
    events = await ask(desk, "c1")
    assert statuses(events) == ["queued"]
    assert (await desk.get(2)).status == "waiting"
    assert await handoffs.loads() == {"ana@shop.example": 1}


async def test_claim_is_exclusive_under_concurrency(
    make_desk: MakeDesk, add_agent: AddAgent, store: MemoryConversationStore
) -> None:
    desk = make_desk(auto_assign=False)
    ana = await add_agent("ana@shop.example")
    rui = await add_agent("rui@shop.example")
    await ask(desk, "c1")
    outcomes = await asyncio.gather(desk.claim(1, ana), desk.claim(1, rui), return_exceptions=True)
    claimed = [o for o in outcomes if isinstance(o, Handoff)]
    assert len(claimed) == 1, outcomes
    assert [type(o) for o in outcomes if o not in claimed] == [ConflictError]
    assert (await desk.get(1)).agent == claimed[0].agent
    assert statuses(await store.load("c1")) == ["queued", "claimed"]


async def test_resolve_frees_capacity_and_assigns_the_next_waiting(
    desk: Desk, add_agent: AddAgent, store: MemoryConversationStore
) -> None:
    ana = await add_agent("ana@shop.example", max_chats=1)
    await ask(desk, "c1")
    await ask(desk, "c2")
    assert [(await desk.get(i)).status for i in (1, 2)] == ["assigned", "waiting"]
    resolved = await desk.resolve(1, ana)
    assert resolved.status == "resolved"
    second = await desk.get(2)
    assert (second.status, second.agent) == ("assigned", "ana@shop.example")
    assert statuses(await store.load("c2")) == ["queued", "claimed"]


async def test_transfer_to_an_agent_without_room_is_refused(
    desk: Desk, add_agent: AddAgent, agents: MemoryAgentStore, handoffs: MemoryHandoffStore
) -> None:
    ana = await add_agent("ana@shop.example")
    await add_agent("rui@shop.example", online=False, max_chats=1)
    await ask(desk, "c1")  # to Ana, the only one online
    await hold(handoffs, "c2", "rui@shop.example")
    await agents.set_status("rui@shop.example", "online")
    with pytest.raises(ConflictError, match="no room"):
        await desk.transfer(1, ana, "rui@shop.example")
    assert (await desk.get(1)).agent == "ana@shop.example"


async def test_out_of_hours_the_customer_is_told_when_the_team_is_back(
    make_desk: MakeDesk, add_agent: AddAgent
) -> None:
    saturday = datetime(2025, 3, 15, 12, 0, tzinfo=UTC).timestamp()
    desk = make_desk(hours=BusinessHours.parse("mon-fri 09:00-18:00"), clock=lambda: saturday)
    await add_agent("ana@shop.example")  # online, but the desk is closed
    events = await ask(desk, "c1")
    assert statuses(events) == ["queued"]
    assert events[0].data["offline"] is True
    assert texts(events) == [
        "Our team is not available right now; we are back Monday at 09:00 (UTC)."
        " Leave your email here and we will reply to you there."
    ]
    handoff = await desk.get(1)
    assert (handoff.offline, handoff.status) == (True, "waiting")


def managed_by(manager: str) -> ProfileLookup:
    """Profiles of top customers whose account manager is `manager`."""

    async def profile(customer_id: str) -> CustomerProfile | None:
        return CustomerProfile(customer_id, tier="top", account_manager=manager)

    return profile


async def test_an_away_account_manager_is_flagged_and_someone_else_helps(
    make_desk: MakeDesk, add_agent: AddAgent, log: ConversationLog
) -> None:
    desk = make_desk(profiles=managed_by("mgr@shop.example"))
    await add_agent("mgr@shop.example", online=False)
    await add_agent("ana@shop.example")
    await ask(desk, "c1", await verified(log, "c1", "C1"))
    handoff = await desk.get(1)
    assert handoff.flags == ("account_manager_away",)
    assert (handoff.account_manager, handoff.tier) == ("mgr@shop.example", "top")
    assert handoff.agent == "ana@shop.example"


async def test_an_online_account_manager_takes_their_customer_unflagged(
    make_desk: MakeDesk, add_agent: AddAgent, log: ConversationLog
) -> None:
    desk = make_desk(profiles=managed_by("mgr@shop.example"))
    await add_agent("mgr@shop.example")
    await add_agent("ana@shop.example")  # as idle, and first by email
    await ask(desk, "c1", await verified(log, "c1", "C1"))
    handoff = await desk.get(1)
    assert handoff.flags == ()
    assert handoff.agent == "mgr@shop.example"


class CountingHandoffs(MemoryHandoffStore):
    """The fake handoff store, counting how often the whole queue is read."""

    def __init__(self) -> None:
        super().__init__()
        self.lists = 0

    async def list(self, statuses: tuple[str, ...] = ("waiting", "assigned")) -> list[Handoff]:
        self.lists += 1
        return await super().list(statuses)


@pytest.mark.parametrize("waiting", [10, 400])
async def test_queue_work_reads_the_queue_a_fixed_number_of_times(
    waiting: int, agents: MemoryAgentStore, log: ConversationLog, broker: InProcessBroker,
    add_agent: AddAgent,
) -> None:  # fmt: skip
    """Issue #15: with 1,000 waiting one claim took 22.6 s, as every waiting customer's
    position was computed from a fresh read and sort of the whole queue."""
    handoffs = CountingHandoffs()
    desk = Desk(handoffs, agents, log, broker, BusinessHours.parse("always"), auto_assign=False)
    for i in range(waiting):
        await handoffs.create(
            Handoff(0, f"c{i}", f"s{i}", "rest", "asked_for_person", "en", 1, NOW + i)
        )
    ana = await add_agent("ana@shop.example", max_chats=3)
    rui = await add_agent("rui@shop.example", max_chats=3, online=False)
    handoffs.lists = 0
    await desk.claim(1, ana)
    claim_reads = handoffs.lists
    desk.auto_assign = True
    handoffs.lists = 0
    await desk.set_status(rui, "online")
    online_reads = handoffs.lists
    assert claim_reads <= 4 and online_reads <= 4, (claim_reads, online_reads)
    assert len(await handoffs.list(("assigned",))) == 6  # ana's 3 and rui's 3


async def test_asking_again_while_an_agent_holds_the_conversation_adds_nothing(
    desk: Desk, add_agent: AddAgent, store: MemoryConversationStore
) -> None:
    await add_agent("ana@shop.example")
    await ask(desk, "c1")
    assert (await desk.get(1)).status == "assigned"
    before = await store.load("c1")
    assert await ask(desk, "c1") == []
    assert await store.load("c1") == before  # no second "queued", no "you are number 1"


async def test_the_queue_frame_shows_the_queues_head_and_counts_all_who_wait(
    make_desk: MakeDesk, handoffs: MemoryHandoffStore
) -> None:
    desk = make_desk(auto_assign=False)
    for i in range(QUEUE_HEAD + 50):  # older first; every tenth is a complaint (served first)
        reason, rank = ("complaint", 130) if i % 10 == 0 else ("asked_for_person", 55)
        await handoffs.create(Handoff(0, f"q{i}", f"q{i}", "rest", reason, "en", rank, NOW + i))
    frame = await desk.queue_frame()
    assert frame["waiting"] == QUEUE_HEAD + 50
    shown = [h["conversation_id"] for h in frame["handoffs"]]
    assert len(shown) == QUEUE_HEAD
    complaints = [f"q{i}" for i in range(0, QUEUE_HEAD + 50, 10)]
    assert shown[: len(complaints)] == complaints  # the ones to serve first, in order
    assert shown[len(complaints)] == "q1"


async def test_a_customer_far_back_in_a_long_queue_is_told_their_place(
    make_desk: MakeDesk, add_agent: AddAgent, handoffs: MemoryHandoffStore
) -> None:
    desk = make_desk(auto_assign=False)
    await add_agent("ana@shop.example")
    for i in range(QUEUE_HEAD + 50):
        await handoffs.create(
            Handoff(0, f"q{i}", f"q{i}", "rest", "asked_for_person", "en", 55, NOW)
        )
    events = await ask(desk, "late")
    assert f"number {QUEUE_HEAD + 51} in the queue" in texts(events)[0]


async def test_a_burst_of_handoffs_is_folded_into_a_few_queue_frames(
    make_desk: MakeDesk, broker: InProcessBroker
) -> None:
    """Each frame summarises the queue's head: one per handoff in a burst would make every
    customer who asks for a person pay for everyone who asked at the same moment."""
    desk = make_desk(auto_assign=False)
    frames = broker.join(QUEUE_TOPIC)
    await asyncio.gather(*(ask(desk, f"c{i}") for i in range(40)))
    published = [frames.get_nowait() for _ in range(frames.qsize())]
    assert 1 <= len(published) < 10
    assert published[-1]["waiting"] == 40  # the last frame has every one of them
    assert len(published[-1]["handoffs"]) == 40


async def test_a_claim_tells_the_queues_head_their_new_place_and_not_the_whole_queue(
    make_desk: MakeDesk, add_agent: AddAgent, handoffs: MemoryHandoffStore,
    broker: InProcessBroker,
) -> None:  # fmt: skip
    desk = make_desk(auto_assign=False)
    ana = await add_agent("ana@shop.example")
    for i in range(QUEUE_HEAD + 50):
        await handoffs.create(
            Handoff(0, f"q{i}", f"q{i}", "rest", "asked_for_person", "en", 55, NOW + i)
        )
    second = broker.join(conversation_topic("q1"))
    last_told = broker.join(conversation_topic(f"q{QUEUE_HEAD}"))  # 200th after the claim
    far_back = broker.join(conversation_topic(f"q{QUEUE_HEAD + 10}"))
    await desk.claim(1, ana)
    assert {"type": "queue", "position": 1, "wait_s": 300.0} in [
        second.get_nowait() for _ in range(second.qsize())
    ]
    assert [m["position"] for m in (last_told.get_nowait() for _ in range(last_told.qsize()))
            if m.get("type") == "queue"] == [QUEUE_HEAD]  # fmt: skip
    assert far_back.qsize() == 0  # keeps the place it was told until the head reaches it
