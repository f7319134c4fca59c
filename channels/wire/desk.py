"""What the agents' JSON API answers (channels/api.py, channels/auth.py, channels/mail.py):
the queue and its handoffs, a handoff with its transcript and customer panel, agents,
goodwill. The console's socket sends the same handoffs and agents (wire/console.py)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

from channels.wire.rest import RestButton

# --- agents ----------------------------------------------------------------------------


class Agent(TypedDict):
    email: str
    name: str
    role: Literal["agent", "admin"]
    languages: list[str]
    skills: list[str]
    max_chats: int
    status: Literal["online", "away", "offline"]
    disabled: bool


class AgentLoad(Agent):
    """An agent with the conversations they hold now."""

    load: int


class Session(TypedDict):
    """A login: the Bearer token for the API and the console's socket."""

    token: str
    expires_at: float
    agent: Agent


class LoggedOut(TypedDict):
    status: Literal["logged_out"]


class Canned(TypedDict):
    id: str
    language: str
    title: str
    text: str


# --- handoffs --------------------------------------------------------------------------


class Handoff(TypedDict):
    """A request for a person; `waiting_s` counts until it was claimed."""

    id: int
    conversation_id: str
    sender: str
    channel: str
    status: Literal["waiting", "assigned", "resolved"]
    priority: int
    tier: str | None
    language: str
    reason: str
    waiting_s: float
    agent: str | None
    account_manager: str | None
    offline: bool
    flags: list[str]
    created_at: float


class QueueItem(Handoff):
    """A handoff as the queue lists it: titled by the verified customer's name, else by
    the language and the customer's first words."""

    title: str


class FoundConversation(QueueItem):
    """A search hit, with the words around the first one asked for."""

    snippet: str


class AwaitingEmail(Handoff):
    """GET /api/handoffs?awaiting=email: the address the customer left for the answer."""

    contact_email: str


class TranscriptEvent(TypedDict):
    """A stored event the agent sees: what was said, and the handoff's steps."""

    seq: int
    kind: Literal["user", "bot", "agent", "note", "handoff"]
    timestamp: float
    text: NotRequired[str]
    buttons: NotRequired[list[RestButton]]
    entry: NotRequired[str]
    decision: NotRequired[str]
    agent: NotRequired[str]
    name: NotRequired[str]
    status: NotRequired[str]
    auto: NotRequired[bool]
    attachment: NotRequired[dict[str, Any]]


class Rfm(TypedDict):
    """Recency, frequency, monetary scores 1..5 (0: never bought), and as one code."""

    recency: int
    frequency: int
    monetary: int
    code: str


class RecentOrder(TypedDict):
    order_id: str
    created_at: str
    status: str
    total: str
    currency: str


class CustomerPanel(TypedDict):
    """A verified customer: identity, value, lifecycle stage, latest orders. Money is text
    (a decimal), never a float."""

    customer_id: str
    name: str
    email: str
    phone: str
    language: str
    account_manager: str | None
    tier: str | None
    stage: str | None
    rfm: Rfm | None
    lifetime_value: str | None
    days_since_last_order: int | None
    recent_orders: list[RecentOrder]


class HandoffDetail(TypedDict):
    """A handoff, the same customer's earlier ones, the transcript and, only once the
    customer is verified, their panel."""

    handoff: QueueItem
    earlier: list[QueueItem]
    transcript: list[TranscriptEvent]
    customer: CustomerPanel | None
    verified: bool
    contact_email: str | None


class AgentMessage(TypedDict):
    """What the agent wrote (a message, an email answer or a note), as stored."""

    seq: int
    text: str


class InboundMail(TypedDict):
    conversation_id: str
    duplicate: bool


# --- goodwill --------------------------------------------------------------------------


class Allowance(TypedDict):
    """What an agent may still grant the customer in the period; no `limit` for admins."""

    tier: str | None
    limit: str | None
    granted: str
    remaining: str | None
    currency: str
    period_days: int
    orders: list[str]


class Grant(TypedDict):
    transaction_id: str
    kind: Literal["refund", "credit"]
    amount: str
    currency: str
    order_id: str
    status: str
    tier: str | None
    allowance: Allowance
