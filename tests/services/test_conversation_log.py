"""ConversationLog over the fakes: seq numbers, the `pushed` flag, publishing, ordering."""

from __future__ import annotations

import asyncio

from bot.adapters.broker import InProcessBroker
from bot.adapters.memory import MemoryConversationStore
from bot.core import events as ev
from bot.core.events import Event
from bot.ports import ORIGIN, Turn, conversation_topic
from bot.services.conversation_log import PUSHED, ConversationLog
from tests.services.conftest import NOW


def bot(text: str) -> Event:
    return ev.bot_said(text, NOW)


async def test_append_numbers_events_from_one_on(log: ConversationLog) -> None:
    first = await log.append("c1", [bot("a"), bot("b")], sender="s", channel="rest")
    second = await log.append("c1", [bot("c")], sender="s", channel="rest")
    other = await log.append("c2", [bot("x")], sender="s", channel="rest")
    assert [e.seq for e in first + second] == [1, 2, 3]
    assert [e.seq for e in other] == [1]
    assert (await log.state("c1")).last_seq == 3


async def test_messages_appended_outside_a_turn_are_flagged_pushed(
    log: ConversationLog, store: MemoryConversationStore
) -> None:
    agent = Event(ev.AGENT, {"text": "hi", "agent": "ana@shop.example", "name": "Ana"}, NOW)
    note = Event(ev.NOTE, {"text": "internal", "agent": "ana@shop.example"}, NOW)
    await log.append("c1", [bot("a"), agent, note], sender="s", channel="rest")
    assert [e.data.get(PUSHED) for e in await store.load("c1")] == [True, True, None]


async def test_messages_appended_inside_a_turn_are_not_flagged_pushed(
    log: ConversationLog, store: MemoryConversationStore
) -> None:
    await log.append("c1", [bot("a")], sender="s", channel="rest", turn=Turn("ws-1"))
    [stored] = await store.load("c1")
    assert PUSHED not in stored.data


async def test_events_are_published_with_the_turns_origin(
    log: ConversationLog, broker: InProcessBroker
) -> None:
    topic = conversation_topic("c1")
    others, own = broker.join(topic), broker.join(topic, origin="ws-1")
    await log.append("c1", [bot("in the turn")], sender="s", channel="rest", turn=Turn("ws-1"))
    await log.append("c1", [bot("pushed")], sender="s", channel="rest")
    first, second = others.get_nowait(), others.get_nowait()
    assert first[ORIGIN] == "ws-1"
    assert [f["data"]["text"] for f in first["events"]] == ["in the turn"]
    assert ORIGIN not in second
    # the turn's own channel delivers its events itself: it only gets the pushed one
    assert [m["events"][0]["data"]["text"] for m in [own.get_nowait()]] == ["pushed"]
    assert own.empty()


async def test_concurrent_appends_to_one_conversation_keep_seq_order(
    log: ConversationLog, store: MemoryConversationStore
) -> None:
    batches = [[bot(f"{i}a"), bot(f"{i}b")] for i in range(20)]
    results = await asyncio.gather(
        *(log.append("c1", batch, sender="s", channel="rest") for batch in batches)
    )
    stored = await store.load("c1")
    assert [e.seq for e in stored] == list(range(1, 41))
    for result in results:  # each batch got consecutive numbers
        assert result[1].seq == result[0].seq + 1
    # the cached state saw every append, in the store's order
    state = await log.state("c1")
    assert [e.seq for e in state.events] == [e.seq for e in stored]
    assert state.last_seq == 40
