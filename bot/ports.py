"""Ports: every protocol the core and the services need from the outside world, in one place.

    ConversationStore, ConversationWriter   a conversation's event log
    AgentStore, AgentDirectory              agent accounts, status, sessions, login attempts
    PasswordHasher                          slow password hashing, off the event loop
    HandoffStore, ProfileLookup             the desk's queue; who a customer is
    CustomerStore                           the shop's customers, orders and money
    ActionRunner                            rasa-sdk actions
    Matcher, MatcherFactory                 the understanding engine, seen by the dialogue
    Broker, RateLimiter                     fan-out and limits, in process or across processes
    WarehouseSource, Warehouse              the analysis export: what it reads, where it writes
    CommunityStore                          community questions, answers, votes and reports
    NoticeStore, Mailer                     notices owed and sent, consent; outbound email

Adapters live in `bot.adapters`; fakes for unit tests in `bot.adapters.memory`.

This module is the lowest layer of `bot` after `bot.errors`: it imports the value types of
`bot.core`, `bot.knowledge` and `bot.understanding` for annotations only (under
TYPE_CHECKING), so every layer may depend on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import datetime, timedelta
    from decimal import Decimal
    from email.message import Message

    from bot.core.agents import Agent, Status
    from bot.core.analytics import ConversationLog, Suggestion
    from bot.core.attachments import Attachment
    from bot.core.community import Answer, Author, Flagged, Question
    from bot.core.conversation import ConversationState, IncomingMessage, Reply
    from bot.core.customers import (
        AttemptCounts,
        Customer,
        CustomerProfile,
        Order,
        OrderItem,
        Product,
        PurchaseSummary,
        ServiceRequest,
        Transaction,
    )
    from bot.core.events import Event
    from bot.core.handoff import Handoff
    from bot.core.notices import (
        Addressee,
        ClaimedNotice,
        ConsentState,
        Due,
        NoticeCounts,
        Occasion,
        Repurchase,
    )
    from bot.core.warehouse import StoredConversation
    from bot.knowledge.entries import KnowledgeBase
    from bot.knowledge.notices import Templates
    from bot.understanding.matching import Match


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
class Turn:
    """A customer's turn in progress. What is appended in it is part of the answer (not
    `pushed`), and is published with `origin`: the channel that handles the turn delivers
    those events itself, so its own subscription skips them."""

    origin: str | None = None
    address: str | None = None  # the customer's client address, for per-address limits


@dataclass(frozen=True)
class ActionCall:
    """What the dialogue asks of an action: run `action` on this conversation as it stands."""

    action: str
    state: ConversationState
    sender: str
    message: IncomingMessage
    match: Match | None
    intent: str
    domain: Mapping[str, Any]
    now: float


@dataclass(frozen=True)
class ActionResult:
    """What an action did, in our own values: events to append, replies to send, and
    whether it asked for a person (Rasa's `followup` of `action_handoff`)."""

    events: tuple[Event, ...] = ()
    replies: tuple[Reply, ...] = ()
    wants_person: bool = False


class ActionRunner(Protocol):
    async def run(self, call: ActionCall) -> ActionResult:
        """Run `call.action`. Raises ActionError on failure."""
        ...

    def names(self) -> frozenset[str]:
        """Actions this runner knows, if it can tell (empty for a remote server)."""
        ...


ORIGIN = "origin"  # a broker message's key naming who published it
QUEUE_TOPIC = "queue"  # the desk's queue changes


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


def customer_topic(customer_id: str) -> str:
    """Where a notice sent to a customer is announced: their open widgets show it."""
    return f"customer:{customer_id}"


def agent_topic(email: str) -> str:
    """Where an agent's sessions changing is announced (logout): their sockets recheck."""
    return f"agent:{email}"


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
    """Agent accounts, their status, login sessions and login attempts.

    Saving a new password hash, disabling or removing an agent ends all their sessions.
    A disabled agent has no live session (`session_agent` is None) and cannot log in.
    """

    async def save(self, agent: Agent, password_hash: str | None, now: float) -> None: ...
    async def get(self, email: str) -> Agent | None: ...
    async def password_hash(self, email: str) -> str | None: ...
    async def all(self) -> list[Agent]: ...
    async def set_status(self, email: str, status: Status) -> None: ...
    async def create_session(self, token: str, email: str, now: float, ttl: float) -> None: ...
    async def session_agent(self, token: str, now: float) -> Agent | None: ...
    async def end_session(self, token: str) -> None: ...
    async def disable(self, email: str, now: float) -> bool:
        """Mark the agent disabled, offline, and end their sessions; False if unknown."""
        ...

    async def remove(self, email: str) -> bool:
        """Delete the agent and their sessions; False if unknown."""
        ...

    async def reserve_login_attempt(
        self, limits: Sequence[tuple[str, int]], now: float, window_s: float
    ) -> str | None:
        """Atomically (across processes that share the store): if every key has fewer than
        its limit of attempts in the last `window_s` seconds, count one attempt on each and
        return its id; else count nothing and return None."""
        ...

    async def release_login_attempt(self, attempt: str) -> None:
        """Forget a reserved attempt (the login succeeded)."""
        ...


ProfileLookup: TypeAlias = "Callable[[str], Awaitable[CustomerProfile | None]]"


class HandoffStore(Protocol):
    async def create(self, handoff: Handoff) -> Handoff:
        """Queue `handoff` (its id is assigned here) unless its conversation already has one
        open (waiting or assigned): then that one is returned."""
        ...

    async def get(self, handoff_id: int) -> Handoff | None: ...
    async def queue_head(self, limit: int) -> tuple[list[Handoff], int]:
        """The first `limit` waiting handoffs in queue order (core.handoff.queue_order), and
        how many wait in all: one bounded read however long the queue is."""
        ...

    async def position(self, handoff_id: int) -> int | None:
        """Where a waiting handoff stands in queue order (1 = served next); None when it
        is not waiting. Counted in the store, not by reading the queue."""
        ...

    async def list(self, statuses: tuple[str, ...] = ...) -> list[Handoff]: ...
    async def loads(self) -> dict[str, int]:
        """Open conversations per agent (the handoffs assigned to them)."""
        ...

    async def claim(self, handoff_id: int, agent: str, now: float) -> bool:
        """Give a waiting handoff to `agent`; False if it is not waiting. Exactly one of
        concurrent claims wins."""
        ...

    async def claim_if_room(self, handoff_id: int, agent: str, max_chats: int, now: float) -> bool:
        """Give a waiting handoff to `agent` only while they hold fewer than `max_chats`:
        decided atomically in the store, so processes sharing it never overfill an agent."""
        ...

    async def transfer(self, handoff_id: int, from_agent: str, to_agent: str) -> bool: ...
    async def resolve(self, handoff_id: int, agent: str | None, now: float) -> bool:
        """Close a handoff held by `agent` (any holder when `agent` is None, for admins)."""
        ...

    async def set_contact(self, handoff_id: int, email: str) -> None: ...


class AgentDirectory(Protocol):
    async def get(self, email: str) -> Agent | None: ...
    async def all(self) -> list[Agent]: ...
    async def set_status(self, email: str, status: Status) -> None: ...


class ConversationWriter(Protocol):
    """Appends to a conversation's log (`bot.services.conversation_log.ConversationLog`)."""

    async def state(self, conversation_id: str) -> ConversationState: ...

    async def append(
        self,
        conversation_id: str,
        events: list[Event],
        *,
        sender: str,
        channel: str,
        turn: Turn | None = None,
    ) -> list[Event]: ...


class CustomerStore(Protocol):
    async def customer(self, customer_id: str) -> Customer | None: ...
    async def customer_by_email(self, email: str) -> Customer | None:
        """The one customer with this email (case folded); None if none, or several."""
        ...

    async def order(self, order_id: str) -> Order | None: ...

    async def orders_of(self, customer_id: str, limit: int = 5) -> list[Order]:
        """The customer's orders, newest first."""
        ...

    async def items_of(self, order_ids: Sequence[str]) -> list[OrderItem]: ...

    async def products(self, skus: Sequence[str] | None = None) -> list[Product]:
        """The named products, or the whole catalogue."""
        ...

    async def transactions_of(
        self, customer_id: str, order_id: str | None = None
    ) -> list[Transaction]:
        """The customer's money movements (of one order if given), newest first."""
        ...

    async def purchase_summary(self, customer_id: str) -> PurchaseSummary | None:
        """One customer's summary; None if there is no such customer."""
        ...

    async def purchase_summaries(self) -> list[PurchaseSummary]:
        """Every customer's summary (for RFM quintiles over the whole base)."""
        ...

    async def best_sellers(self, limit: int = 20) -> list[str]:
        """Skus by units sold, most first."""
        ...

    async def bought_together(self, skus: Sequence[str]) -> dict[str, dict[str, int]]:
        """For each of `skus`, the other skus found in the same orders, with counts."""
        ...

    async def record_request(self, request: ServiceRequest) -> ServiceRequest:
        """Record a return or cancellation; an open one for the same order is returned instead."""
        ...

    async def record_attempt(
        self, conversation: str, order_id: str, ok: bool, at: datetime
    ) -> None: ...

    async def attempt_counts(
        self, conversation: str, order_id: str | None, since: datetime
    ) -> AttemptCounts: ...

    async def reserve_attempt(
        self,
        conversation: str,
        order_id: str,
        at: datetime,
        since: datetime,
        limits: tuple[int, int],
    ) -> tuple[AttemptCounts, int | None]:
        """Atomically count the failed checks (of this conversation; of this order since
        `since`) and, while both are under `limits` (per conversation, per order), record a
        new attempt as failed until it is settled. The counts before it, and the attempt's
        id (None when a limit is reached: nothing recorded). Concurrent guesses from many
        conversations, or processes, cannot all slip under the order's limit."""
        ...

    async def settle_attempt(self, attempt_id: int, ok: bool) -> None:
        """Record the outcome of a reserved attempt."""
        ...

    async def record_goodwill(
        self, transaction: Transaction, *, limit: Decimal | None, since: datetime
    ) -> Decimal | None:
        """Record a goodwill refund or credit unless it would take the customer's goodwill
        since `since` above `limit` (None: no limit), atomically, even against concurrent
        grants from other processes. The period's total with it, or None (nothing written)."""
        ...


class PasswordHasher(Protocol):
    """Password hashing (deliberately slow) away from the event loop, with a bounded queue:
    raises BusyError at once when the queue is full."""

    async def verify(self, password: str, stored: str) -> bool: ...
    async def hash(self, password: str) -> str: ...


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_s: float) -> bool:
        """Count a hit on `key`; True if it is within `limit` hits per `window_s` seconds."""
        ...

    async def hit_all(self, limits: Sequence[tuple[str, int]], window_s: float) -> bool:
        """Count a hit on each `(key, limit)` in order, in one step; False at the first key
        over its limit, which is not counted, nor are the keys after it."""
        ...


class Matcher(Protocol):
    """Maps a message to knowledge-base entries. A matcher may also have `slow = True`
    (milliseconds per message): the dialogue then calls it from a worker thread."""

    def match(self, text: str, language: str | None = None) -> Match:
        """Match `text`; `language` is the conversation's language if known."""
        ...


MatcherFactory: TypeAlias = "Callable[[KnowledgeBase], Matcher]"


class AnalyticsStore(Protocol):
    """Conversations' events by the time they started, and customers' suggestions."""

    def stream_logs(self, start: float, end: float) -> AsyncIterator[ConversationLog]: ...
    async def logs(self, start: float, end: float) -> list[ConversationLog]: ...
    async def suggestions(self, limit: int = 100) -> list[Suggestion]: ...
    async def suggestion(self, event_id: int) -> Suggestion | None: ...


class AttachmentStore(Protocol):
    """Customers' files, stored under random names (`bot.adapters.files`)."""

    async def save(self, attachment: Attachment, data: bytes) -> None: ...
    async def load(self, attachment_id: str) -> tuple[Attachment, bytes] | None: ...
    async def delete(self, attachment_id: str) -> None: ...
    async def listing(self) -> list[Attachment]:
        """Every stored file's description (export, forget and retention pick from it)."""
        ...


class AuditLog(Protocol):
    """Who did what to which subject, kept for data protection and accountability."""

    async def record(
        self,
        *,
        at: float,
        actor: str,
        action: str,
        subject: str,
        details: dict[str, Any] | None = None,
    ) -> None: ...


@dataclass(frozen=True)
class CommunitySuggestion:
    """An accepted community answer the bot may offer: labelled as such, with its link."""

    title: str
    answer: str
    url: str
    language: str


# Accepted community answers like a message (text, language): the dialogue asks when the
# knowledge base has no confident answer (BALCAO_COMMUNITY_IN_CHAT).
CommunityLookup: TypeAlias = "Callable[[str, str], Awaitable[list[CommunitySuggestion]]]"


class CommunityStore(Protocol):
    """Community questions and answers, with full-text search on the engine's own machinery
    (SQLite FTS5, PostgreSQL tsvector). Texts arrive masked and checked (bot.core.community)."""

    async def add_question(
        self, language: str, title: str, body: str, author: Author, now: float
    ) -> int: ...
    async def add_answer(self, question_id: int, body: str, author: Author, now: float) -> int: ...
    async def question(self, question_id: int) -> Question | None: ...
    async def answer(self, answer_id: int) -> Answer | None: ...
    async def answers(self, question_id: int, *, hidden: bool = False) -> list[Answer]:
        """Accepted first, then by votes, then oldest first; hidden ones only if asked."""
        ...

    async def questions(
        self, language: str, *, limit: int = 30, offset: int = 0, hidden: bool = False
    ) -> list[Question]:
        """Newest first."""
        ...

    async def search(
        self, language: str, query: str, *, limit: int = 10, accepted: bool = False
    ) -> list[Question]:
        """Best match first; visible questions only; with an accepted answer if `accepted`."""
        ...

    async def vote(self, answer_id: int, voter: str) -> bool:
        """One vote per voter and answer: False if already counted."""
        ...

    async def accept(self, question_id: int, answer_id: int | None) -> None: ...
    async def moderate(
        self, kind: str, post_id: int, action: str, *, actor: str, now: float
    ) -> bool:
        """An agent's action (bot.core.community.MODERATION) on a post, and its audit record
        `community.<action>`, in one transaction; False (nothing written) if no such post."""
        ...

    async def add_sign_in_link(
        self, digest: str, customer_id: str, language: str, now: float, expires_at: float
    ) -> None:
        """Keep an emailed sign-in link by its token's digest (links past expiry are purged)."""
        ...

    async def use_sign_in_link(self, digest: str, now: float) -> tuple[str, str] | None:
        """Take the link (it cannot be used twice, even by two clicks at once) and the
        customer's other links: (customer_id, language), or None if unknown or expired."""
        ...

    async def flagged(self, *, limit: int = 50) -> list[Flagged]:
        """The review queue: visible posts with reports no agent has decided on, those with
        the most such reports first, then the oldest."""
        ...

    async def awaiting_promotion(self, *, limit: int = 50) -> list[Question]:
        """Visible questions with an accepted answer, not yet promoted, newest first."""
        ...

    async def report(self, kind: str, post_id: int, reporter: str, now: float) -> bool:
        """One report per reporter and post: False if already counted."""
        ...

    async def count_view(self, question_id: int) -> None: ...
    async def mark_promoted(self, question_id: int) -> None: ...
    async def unanswered(self, before: float, *, limit: int = 50) -> list[Question]:
        """Visible questions asked before `before` with no visible answer, oldest first."""
        ...

    async def most_viewed(self, *, limit: int = 50) -> list[Question]: ...


FORGOTTEN_TOPIC = "conversations:forgotten"  # broker topic: drop these conversations' caches


@dataclass(frozen=True)
class Erasure:
    """What `forget` or retention removed: rows (or events) per kind, and the conversations
    whose cached copies every process must drop."""

    counts: dict[str, int]
    conversations: tuple[str, ...] = ()


class PrivacyStore(Protocol):
    """Export, erasure and retention over the whole store (SQLite or PostgreSQL)."""

    async def search_terms(self, customer_id: str) -> tuple[str, ...]:
        """The customer's email, phone and order numbers, lower-cased, as found in free text."""
        ...

    async def export_customer(
        self, customer_id: str, *, actor: str, now: float
    ) -> dict[str, Any]: ...

    async def forget_customer(
        self,
        customer_id: str,
        *,
        terms: Sequence[str],
        also_redact: Sequence[str],
        actor: str,
        now: float,
        extra: dict[str, int] | None = None,
    ) -> Erasure:
        """Delete every row about the customer, every conversation that names them (slot) or
        mentions one of `terms`, and blank audit details mentioning `terms` or `also_redact`;
        one transaction, audited (with `extra` counts)."""
        ...

    async def warehouse_exports(self, before: float) -> list[tuple[str, float]]:
        """(target, latest time) of every warehouse export recorded before `before`."""
        ...

    async def apply_retention(self, days: int, *, actor: str, now: float) -> Erasure:
        """Blank the text of events and notices older than `days` days, drop old community
        votes and reports; one transaction, audited. The counts, and the conversations
        changed."""
        ...


class WarehouseSource(Protocol):
    """What the warehouse export reads from a store (SQLite or PostgreSQL), in batches."""

    name: str  # "sqlite" or "postgresql"

    async def last_event_id(self) -> int: ...

    async def count_events(self, after_event_id: int) -> int: ...

    def conversations(
        self, after_event_id: int, upto_event_id: int
    ) -> AsyncIterator[list[StoredConversation]]:
        """Batches of conversations with an event in (after, upto], every event up to `upto`;
        `new_from_seq` is the seq of the first event after `after_event_id`."""
        ...

    async def handoffs(self, conversation_ids: Sequence[str]) -> list[Handoff]: ...

    async def customers(self) -> list[Customer]: ...

    async def purchase_summaries(self) -> list[PurchaseSummary]: ...

    async def products(self) -> list[Product]: ...

    async def agents(self) -> list[Agent]: ...

    def orders(self, since: str) -> AsyncIterator[list[tuple[Order, list[OrderItem]]]]:
        """Batches of orders created at or after `since` (ISO 8601; "" for all), with items."""
        ...

    def transactions(self, since: str) -> AsyncIterator[list[Transaction]]: ...

    async def forgotten_since(self, at: float) -> list[str]:
        """Ids of customers erased (audit `customer.forget`) after `at`."""
        ...

    async def record_export(self, *, at: float, actor: str, target: str, details: Any) -> None:
        """An audit record of the export (action `warehouse.export`, subject `warehouse:TARGET`)."""
        ...


class Warehouse(Protocol):
    """Where the export writes: tables of bot/core/warehouse_schema.py (DuckDB or Parquet).
    Everything between `begin` and `commit` is one transaction."""

    target: str

    def begin(self, full: bool) -> None:
        """Start; `full` drops every table first. Creates missing tables."""
        ...

    def last_export(self) -> dict[str, Any] | None:
        """The newest warehouse_export row, or None for an empty warehouse."""
        ...

    def append(self, table: str, rows: Sequence[tuple[Any, ...]]) -> int: ...

    def replace(self, table: str, rows: Sequence[tuple[Any, ...]]) -> int: ...

    def delete(self, table: str, column: str, values: Sequence[Any]) -> int: ...

    def forget_customers(self, customer_keys: Sequence[str]) -> int:
        """Delete every row about these customers, their conversations' included."""
        ...

    def current_customers(self) -> dict[str, tuple[tuple[int, int, int, str, str], int]]:
        """customer_key -> (tracked values, version) of every current dim_customer row."""
        ...

    def next_customer_version(self) -> int: ...

    def close_customer_versions(self, closed: Sequence[tuple[int, float]]) -> None: ...

    def rebuild_dates(self) -> int: ...

    def counts(self) -> dict[str, int]: ...

    def commit(self) -> None: ...

    def close(self) -> None: ...


class ExportProgress(Protocol):
    """How a long export shows its progress (a bar on the terminal, or nothing)."""

    def stage(self, label: str, total: int | None) -> None: ...

    def advance(self, rows: int) -> None: ...


class NoticeStore(Protocol):
    """Notices owed and sent (one per trigger, customer and subject), consent, watches."""

    async def apply_records(
        self, file: str, records: list[dict[str, str]], now: datetime, templates: Templates
    ) -> int: ...
    async def enqueue(self, due: Sequence[Due], now: datetime) -> int: ...
    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[ClaimedNotice]: ...
    async def finish(
        self,
        notice_id: int,
        status: str,
        now: datetime,
        *,
        reason: str = "",
        title: str = "",
        body: str = "",
        channel: str = "",
        tier: str = "",
        stage: str = "",
    ) -> None: ...
    async def postpone(self, notice_id: int, until: datetime, reason: str) -> None: ...
    async def addressees(
        self, customer_ids: Sequence[str], since: datetime
    ) -> dict[str, Addressee]: ...
    async def consent(self, customer_id: str) -> ConsentState: ...
    async def set_consent(
        self, customer_id: str, scope: str, state: str, now: datetime, source: str, wording: str
    ) -> None: ...
    async def watch(self, customer_id: str, kind: str, subject: str, now: datetime) -> None: ...
    async def take_unshown(
        self, customer_id: str, now: datetime, notice_id: int | None = None
    ) -> list[tuple[int, str, str]]: ...
    async def first_signature(self, signature: str, now: datetime) -> bool: ...
    async def counts(self) -> list[NoticeCounts]: ...
    async def customer_of(self, notice_id: int) -> str | None: ...
    async def proactive(self) -> list[dict[str, Any]]: ...
    async def answer(self, customer_id: str, trigger: str, since: datetime, value: str) -> bool: ...
    async def time_inputs(
        self, now: datetime
    ) -> tuple[list[Order], list[Repurchase], list[Occasion]]: ...


class Mailer(Protocol):
    """Outbound email (SMTP)."""

    async def send(self, message: Message) -> None: ...
