"""Services over the in-memory fakes of bot.adapters.memory: no HTTP, no SQLite, no Rasa."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.adapters.broker import InProcessBroker
from bot.adapters.memory import MemoryAgentStore, MemoryConversationStore, MemoryHandoffStore
from bot.core.agents import Agent, new_agent
from bot.core.business_hours import BusinessHours
from bot.core.conversation import ConversationState
from bot.core.dialogue import Brain
from bot.core.events import Event, slot_set
from bot.knowledge.entries import load_knowledge
from bot.services.conversation_log import ConversationLog
from bot.services.desk import Desk
from bot.understanding.matching import FuzzyMatcher
from tests.conftest import FIXTURES

NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC).timestamp()  # a Wednesday morning


def clock() -> float:
    return NOW


@pytest.fixture(scope="session")
def brain() -> Brain:
    """The tests' small knowledge base (seven entries) and the lexical matcher."""
    kb = load_knowledge(FIXTURES / "kb")
    return Brain(kb, FuzzyMatcher(kb))


@pytest.fixture
def broker() -> InProcessBroker:
    return InProcessBroker()


@pytest.fixture
def store() -> MemoryConversationStore:
    return MemoryConversationStore()


@pytest.fixture
def log(store: MemoryConversationStore, broker: InProcessBroker) -> ConversationLog:
    return ConversationLog(store, broker)


@pytest.fixture
def agents() -> MemoryAgentStore:
    return MemoryAgentStore()


@pytest.fixture
def handoffs() -> MemoryHandoffStore:
    return MemoryHandoffStore()


MakeDesk = Callable[..., Desk]


@pytest.fixture
def make_desk(
    handoffs: MemoryHandoffStore,
    agents: MemoryAgentStore,
    log: ConversationLog,
    broker: InProcessBroker,
) -> MakeDesk:
    """A Desk over the fakes, open always, on the fixed clock; keywords override."""

    def make(**overrides: Any) -> Desk:
        values: dict[str, Any] = {"hours": BusinessHours.parse("always"), "clock": clock}
        values.update(overrides)
        return Desk(handoffs, agents, log, broker, **values)

    return make


@pytest.fixture
def desk(make_desk: MakeDesk) -> Desk:
    return make_desk()


AddAgent = Callable[..., Awaitable[Agent]]


@pytest.fixture
def add_agent(agents: MemoryAgentStore) -> AddAgent:
    """Save an agent (online unless told otherwise); returns it as the store has it."""

    async def add(
        email: str, *, online: bool = True, max_chats: int = 3, role: str = "agent"
    ) -> Agent:
        name = email.split("@")[0].title()
        await agents.save(new_agent(email, name, role, max_chats=max_chats), "hash", NOW)
        if online:
            await agents.set_status(email, "online")
        agent = await agents.get(email)
        assert agent is not None
        return agent

    return add


async def verified(
    log: ConversationLog, conversation_id: str, customer_id: str
) -> ConversationState:
    """Mark the conversation's customer as verified (the slots the verification sets)."""
    events: list[Event] = [
        slot_set("customer_id", customer_id, NOW),
        slot_set("verified", True, NOW),
    ]
    await log.append(conversation_id, events, sender="customer", channel="rest")
    return await log.state(conversation_id)
