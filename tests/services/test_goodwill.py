"""GoodwillService over the fakes: limits by tier, verification, who holds the conversation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.adapters.memory import MemoryConversationStore, MemoryCustomerStore
from bot.core import events as ev
from bot.core.conversation import ConversationState
from bot.core.customers import Customer, Order
from bot.core.dialogue import Brain, Dialogue
from bot.errors import InputError, PermissionDeniedError
from bot.services.chat import ChatService
from bot.services.conversation_log import ConversationLog
from bot.services.desk import Desk
from bot.services.goodwill import GoodwillService
from bot.services.insights import CustomerInsights
from tests.services.conftest import NOW, AddAgent, clock, verified

TODAY = datetime.fromtimestamp(NOW, UTC)
LIMITS = {
    "top": Decimal(100),
    "high-potential": Decimal(50),
    "low-value": Decimal(20),
    "other": Decimal(10),
}


def orders(customer_id: str, count: int, total: str, days_ago: int) -> list[Order]:
    return [
        Order(
            f"{customer_id}-{n}",
            customer_id,
            TODAY - timedelta(days=days_ago + 30 * n),
            "delivered",
            Decimal(total),
        )
        for n in range(count)
    ]


@pytest.fixture
def customers() -> MemoryCustomerStore:
    """TOP buys often, a lot, lately; LOW bought once, little, long ago."""
    return MemoryCustomerStore(
        customers=[Customer("TOP", "Teresa", "t@example.com"), Customer("LOW", "Luís", "l@x.pt")],
        orders=orders("TOP", 6, "200", days_ago=3) + orders("LOW", 1, "10", days_ago=400),
    )


@pytest.fixture
def goodwill(
    desk: Desk, log: ConversationLog, brain: Brain, customers: MemoryCustomerStore
) -> GoodwillService:
    chat = ChatService(log, Dialogue(), lambda: brain, desk.open, clock=clock)
    return GoodwillService(desk, chat, CustomerInsights(customers, clock), customers, LIMITS)


async def handed_over(desk: Desk, conversation_id: str, state: ConversationState) -> int:
    """The conversation queued for a person (and so given to whoever is online)."""
    await desk.open(conversation_id, state, "complaint", sender="customer", channel="rest")
    [handoff] = [h for h in await desk.queue() if h.conversation_id == conversation_id]
    return handoff.id


async def test_an_agent_may_grant_up_to_the_limit_of_the_customers_tier(
    goodwill: GoodwillService, desk: Desk, log: ConversationLog, add_agent: AddAgent
) -> None:
    ana = await add_agent("ana@shop.example")
    top = await handed_over(desk, "c-top", await verified(log, "c-top", "TOP"))
    low = await handed_over(desk, "c-low", await verified(log, "c-low", "LOW"))
    granted = await goodwill.grant(top, ana, "credit", Decimal(80), "EUR")
    assert granted.tier == "top"
    with pytest.raises(PermissionDeniedError, match="above the 20"):
        await goodwill.grant(low, ana, "credit", Decimal(80), "EUR")
    assert (await goodwill.grant(low, ana, "credit", Decimal(20), "EUR")).tier == "low-value"


async def test_an_unverified_customer_is_refused(
    goodwill: GoodwillService,
    desk: Desk,
    log: ConversationLog,
    add_agent: AddAgent,
    customers: MemoryCustomerStore,
) -> None:
    ana = await add_agent("ana@shop.example")
    await log.append(
        "c1", [ev.slot_set("customer_id", "TOP", NOW)], sender="customer", channel="rest"
    )
    handoff = await handed_over(desk, "c1", await log.state("c1"))
    with pytest.raises(InputError) as refused:
        await goodwill.grant(handoff, ana, "credit", Decimal(5), "EUR")
    assert refused.value.code == "not_verified"
    assert await customers.transactions_of("TOP") == []


async def test_a_conversation_held_by_another_agent_is_refused(
    goodwill: GoodwillService,
    desk: Desk,
    log: ConversationLog,
    add_agent: AddAgent,
    customers: MemoryCustomerStore,
) -> None:
    await add_agent("ana@shop.example")
    handoff = await handed_over(desk, "c1", await verified(log, "c1", "TOP"))
    rui = await add_agent("rui@shop.example")  # online after Ana took it
    assert (await desk.get(handoff)).agent == "ana@shop.example"
    with pytest.raises(PermissionDeniedError, match="held by another agent"):
        await goodwill.grant(handoff, rui, "credit", Decimal(5), "EUR")
    assert await customers.transactions_of("TOP") == []


async def test_a_grant_is_recorded_in_the_customer_store_and_noted_for_the_team(
    goodwill: GoodwillService,
    desk: Desk,
    log: ConversationLog,
    add_agent: AddAgent,
    customers: MemoryCustomerStore,
    store: MemoryConversationStore,
) -> None:
    ana = await add_agent("ana@shop.example")
    handoff = await handed_over(desk, "c1", await verified(log, "c1", "TOP"))
    granted = await goodwill.grant(handoff, ana, "refund", Decimal("12.5"), "EUR", "TOP-0")
    [recorded] = await customers.transactions_of("TOP")
    assert recorded == granted.transaction
    assert (recorded.kind, recorded.amount, recorded.order_id) == (
        "refund",
        Decimal("12.50"),
        "TOP-0",
    )
    # the customer's payment list says "goodwill"; who granted it is in the team's note
    assert (recorded.status, recorded.method) == ("pending", "goodwill")
    [note] = [e for e in await store.load("c1") if e.kind == ev.NOTE]
    assert note.data["text"] == (f"Goodwill refund of 12.5 EUR granted ({recorded.transaction_id})")
