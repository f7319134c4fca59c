"""Ports: the small protocols the core needs from the outside world.

Adapters live in `bot.storage` (SQLite), `bot.broker` (in process) and
`bot.action_runner` (rasa-sdk in process, or a remote action server).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.agents import Agent, Status
from bot.events import Event


@dataclass(frozen=True)
class ConversationInfo:
    conversation_id: str
    sender: str
    channel: str
    created_at: float
    updated_at: float
    language: str | None = None


class ConversationStore(Protocol):
    async def append(
        self, conversation_id: str, events: Sequence[Event], *, sender: str, channel: str
    ) -> list[Event]:
        """Append `events` atomically; returns them with their `seq` numbers."""
        ...

    async def load(self, conversation_id: str) -> list[Event]:
        """Every event of the conversation in order; empty if it does not exist."""
        ...

    async def info(self, conversation_id: str) -> ConversationInfo | None: ...

    async def list_conversations(
        self, *, limit: int = 50, offset: int = 0
    ) -> list[ConversationInfo]: ...


@dataclass(frozen=True)
class ActionResult:
    """What an action returned, in Rasa's wire shapes."""

    events: tuple[dict[str, Any], ...] = ()
    responses: tuple[dict[str, Any], ...] = ()


class ActionRunner(Protocol):
    async def run(
        self, action_name: str, tracker: dict[str, Any], domain: dict[str, Any]
    ) -> ActionResult:
        """Run `action_name` on a Rasa-shaped tracker. Raises ActionError on failure."""
        ...

    def names(self) -> frozenset[str]:
        """Actions this runner knows, if it can tell (empty for a remote server)."""
        ...


ORIGIN = "origin"  # a broker message's key naming who published it


class Broker(Protocol):
    """Fan-out of things that happen in a conversation to whoever listens.

    A subscriber with an `origin` does not receive the messages published with that
    `origin` key (its publisher has delivered them itself).
    """

    async def publish(self, topic: str, message: dict[str, Any]) -> None: ...

    def subscribe(
        self, topic: str, *, origin: str | None = None
    ) -> AsyncIterator[dict[str, Any]]: ...


class AgentStore(Protocol):
    """Agent accounts, their status, login sessions and failed logins."""

    async def save(self, agent: Agent, password_hash: str | None, now: float) -> None: ...
    async def get(self, email: str) -> Agent | None: ...
    async def password_hash(self, email: str) -> str | None: ...
    async def all(self) -> list[Agent]: ...
    async def set_status(self, email: str, status: Status) -> None: ...
    async def create_session(self, token: str, email: str, now: float, ttl: float) -> None: ...
    async def session_agent(self, token: str, now: float) -> Agent | None: ...
    async def end_session(self, token: str) -> None: ...
    async def record_login_failure(self, key: str, now: float) -> None: ...
    async def login_failures_since(self, key: str, since: float) -> int: ...
