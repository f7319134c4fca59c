"""Handoffs: requests for a person, their priority, and who should take them.

Pure rules. The queue orders by priority (the customer's value tier and the
reason; relationships at risk first), then by waiting time. Routing offers a
handoff to the customer's dedicated account manager when online, otherwise to
the least busy online agent who speaks the language and has the skills, never
above an agent's capacity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.core.agents import Agent

HandoffStatus = Literal["waiting", "assigned", "resolved"]
OPEN_STATUSES: tuple[HandoffStatus, ...] = ("waiting", "assigned")

# reason -> weight; a relationship at risk comes first
REASON_WEIGHTS: Mapping[str, int] = {
    "complaint": 100,
    "at_risk": 100,
    "needs_person": 60,
    "asked_for_person": 50,
    "unhelpful": 45,
    "fallback": 40,
}
TIER_WEIGHTS: Mapping[str, int] = {"top": 30, "high-potential": 15, "low-value": 0}
DEFAULT_HANDLE_SECONDS = 300.0


@dataclass(frozen=True)
class Handoff:
    id: int
    conversation_id: str
    sender: str
    channel: str
    reason: str
    language: str
    priority: int
    created_at: float
    status: HandoffStatus = "waiting"
    tier: str | None = None
    customer_id: str | None = None
    account_manager: str | None = None
    skills: tuple[str, ...] = ()
    offline: bool = False
    agent: str | None = None
    claimed_at: float | None = None
    resolved_at: float | None = None
    contact_email: str | None = None
    flags: tuple[str, ...] = field(default=())

    def waiting_seconds(self, now: float) -> float:
        end = self.claimed_at if self.claimed_at is not None else now
        return max(0.0, end - self.created_at)

    def summary(self, now: float) -> dict[str, object]:
        """The queue row the API and the console show."""
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "sender": self.sender,
            "channel": self.channel,
            "status": self.status,
            "priority": self.priority,
            "tier": self.tier,
            "language": self.language,
            "reason": self.reason,
            "waiting_s": round(self.waiting_seconds(now), 1),
            "agent": self.agent,
            "account_manager": self.account_manager,
            "offline": self.offline,
            "flags": list(self.flags),
            "created_at": self.created_at,
        }


def reason_weight(reason: str) -> int:
    if reason.endswith("_needs_person"):
        return REASON_WEIGHTS["needs_person"]
    return REASON_WEIGHTS.get(reason, REASON_WEIGHTS["asked_for_person"])


def priority(reason: str, tier: str | None) -> int:
    return reason_weight(reason) + TIER_WEIGHTS.get(tier or "", 5)


def queue_order(handoffs: Iterable[Handoff]) -> list[Handoff]:
    """Waiting handoffs, the one to serve first at the front."""
    waiting = [h for h in handoffs if h.status == "waiting"]
    return sorted(waiting, key=lambda h: (-h.priority, h.created_at, h.id))


def can_take(agent: Agent, handoff: Handoff, load: int) -> bool:
    return (
        agent.status == "online"
        and not agent.disabled
        and load < agent.max_chats
        and (handoff.language in agent.languages or not agent.languages)
        and all(skill in agent.skills for skill in handoff.skills)
    )


def choose_agent(
    handoff: Handoff, agents: Sequence[Agent], loads: Mapping[str, int]
) -> Agent | None:
    """Who should take `handoff` now, or None to leave it in the queue."""
    if handoff.account_manager:
        manager = next((a for a in agents if a.email == handoff.account_manager), None)
        if manager is not None and manager.status == "online" and not manager.disabled:
            if loads.get(manager.email, 0) < manager.max_chats:
                return manager
            return None  # dedicated assistance: wait for them while they are online
    able = [a for a in agents if can_take(a, handoff, loads.get(a.email, 0))]
    if not able:
        return None
    return min(
        able, key=lambda a: (loads.get(a.email, 0) / a.max_chats, loads.get(a.email, 0), a.email)
    )


def expected_wait(
    position: int, online_agents: int, handle_seconds: float = DEFAULT_HANDLE_SECONDS
) -> float | None:
    """Seconds until a person is likely free for the customer at `position` (1-based)."""
    if online_agents <= 0:
        return None
    return position * handle_seconds / online_agents


def position_in_queue(handoff_id: int, handoffs: Iterable[Handoff]) -> int | None:
    for index, item in enumerate(queue_order(handoffs), start=1):
        if item.id == handoff_id:
            return index
    return None
