"""The in-memory fakes are their ports: checked by mypy (the annotated assignments, run
`mypy tests/services`) and at run time (same methods, same parameters, async alike).
The behaviour they share with the SQLite adapters is in tests/adapters/test_contracts.py."""

from __future__ import annotations

import inspect
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.adapters.memory import (
    MemoryAgentStore,
    MemoryAuditLog,
    MemoryConversationStore,
    MemoryCustomerStore,
    MemoryHandoffStore,
)
from bot.core.customers import (
    AttemptCounts,
    Customer,
    Order,
    OrderItem,
    Product,
    PurchaseSummary,
    ServiceRequest,
    Transaction,
)
from bot.errors import StorageError
from bot.ports import (
    AgentDirectory,
    AgentStore,
    AuditLog,
    ConversationStore,
    CustomerStore,
    HandoffStore,
)

FAKES: list[tuple[type, type]] = [
    (ConversationStore, MemoryConversationStore),
    (AgentStore, MemoryAgentStore),
    (AgentDirectory, MemoryAgentStore),
    (HandoffStore, MemoryHandoffStore),
    (CustomerStore, MemoryCustomerStore),
    (AuditLog, MemoryAuditLog),
]


def test_each_fake_is_its_port_for_mypy() -> None:
    conversations: ConversationStore = MemoryConversationStore()
    agents: AgentStore = MemoryAgentStore()
    directory: AgentDirectory = MemoryAgentStore()
    handoffs: HandoffStore = MemoryHandoffStore()
    customers: CustomerStore = MemoryCustomerStore()
    audit: AuditLog = MemoryAuditLog()
    assert all((conversations, agents, directory, handoffs, customers, audit))


@pytest.mark.parametrize(
    ("port", "fake"), FAKES, ids=[f.__name__ + "-" + p.__name__ for p, f in FAKES]
)
def test_each_fake_has_its_ports_methods_and_parameters(port: type, fake: type) -> None:
    methods = [n for n, v in vars(port).items() if inspect.isfunction(v) and not n.startswith("_")]
    assert methods
    for name in methods:
        wanted, given = getattr(port, name), getattr(fake, name, None)
        assert given is not None, f"{fake.__name__} has no {name}"
        assert inspect.iscoroutinefunction(given) == inspect.iscoroutinefunction(wanted), name
        shape = [(p.name, p.kind) for p in inspect.signature(wanted).parameters.values()]
        assert [(p.name, p.kind) for p in inspect.signature(given).parameters.values()] == shape


NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)


def day(n: int) -> datetime:
    return NOW - timedelta(days=n)


@pytest.fixture
def shop() -> MemoryCustomerStore:
    """Two customers; Ana's three orders (one cancelled), Bea's one; socks sell most."""
    return MemoryCustomerStore(
        customers=[Customer("ANA", "Ana", "ana@x.pt"), Customer("BEA", "Bea", "bea@x.pt")],
        orders=[
            Order("O1", "ANA", day(30), "delivered", Decimal("10")),
            Order("O2", "ANA", day(10), "delivered", Decimal("20.5")),
            Order("O3", "ANA", day(1), "cancelled", Decimal("99")),
            Order("O4", "BEA", day(5), "shipped", Decimal("7")),
        ],
        items=[
            OrderItem("O1", "SOCK", 2, Decimal("5")),
            OrderItem("O2", "SOCK", 1, Decimal("5")),
            OrderItem("O2", "HAT", 1, Decimal("15.5")),
            OrderItem("O4", "SOCK", 1, Decimal("5")),
            OrderItem("O4", "SCARF", 1, Decimal("2")),
        ],
        products=[
            Product("SOCK", "Socks", "wear", Decimal("5")),
            Product("HAT", "Hat", "wear", Decimal("15.5")),
            Product("SCARF", "Scarf", "wear", Decimal("2")),
        ],
        transactions=[
            Transaction("T1", "ANA", "O1", day(30), "payment", Decimal("10"), "EUR", "settled"),
            Transaction("T2", "ANA", "O2", day(10), "payment", Decimal("20.5"), "EUR", "settled"),
        ],
    )


async def test_a_customer_is_found_by_email_case_folded_and_never_by_a_shared_one() -> None:
    shop = MemoryCustomerStore(
        customers=[
            Customer("ANA", "Ana", "Ana@X.pt"),
            Customer("B1", "Bea", "home@x.pt"),
            Customer("B2", "Rui", "HOME@x.pt"),
        ]
    )
    found = await shop.customer_by_email(" ana@x.PT ")
    assert found is not None and found.customer_id == "ANA"
    assert await shop.customer_by_email("home@x.pt") is None  # two share it: nobody
    assert await shop.customer_by_email("zed@x.pt") is None


async def test_purchase_summaries_leave_cancelled_orders_out(shop: MemoryCustomerStore) -> None:
    ana = PurchaseSummary("ANA", 2, Decimal("30.50"), day(30), day(10))
    assert await shop.purchase_summary("ANA") == ana
    assert await shop.purchase_summary("NOBODY") is None
    assert [s.customer_id for s in await shop.purchase_summaries()] == ["ANA", "BEA"]


async def test_orders_and_money_come_newest_first(shop: MemoryCustomerStore) -> None:
    assert [o.order_id for o in await shop.orders_of("ANA", limit=2)] == ["O3", "O2"]
    assert [t.transaction_id for t in await shop.transactions_of("ANA")] == ["T2", "T1"]
    assert [t.transaction_id for t in await shop.transactions_of("ANA", "O1")] == ["T1"]
    assert [(i.order_id, i.sku) for i in await shop.items_of(["O2", "O1"])] == [
        ("O1", "SOCK"),
        ("O2", "HAT"),
        ("O2", "SOCK"),
    ]
    assert [p.sku for p in await shop.products()] == ["HAT", "SCARF", "SOCK"]
    assert await shop.products([]) == []


async def test_best_sellers_and_what_is_bought_together(shop: MemoryCustomerStore) -> None:
    assert await shop.best_sellers() == ["SOCK", "HAT", "SCARF"]
    assert await shop.best_sellers(limit=1) == ["SOCK"]
    assert await shop.bought_together(["SOCK", "HAT", "NONE"]) == {
        "SOCK": {"HAT": 1, "SCARF": 1},
        "HAT": {"SOCK": 1},
    }


async def test_record_request_returns_the_open_one_for_the_same_order(
    shop: MemoryCustomerStore,
) -> None:
    first = await shop.record_request(ServiceRequest("", "return", "O2", "ANA", NOW))
    assert first.request_id.startswith("R-")
    again = await shop.record_request(ServiceRequest("", "cancellation", "O2", "ANA", NOW))
    assert again == first
    other = await shop.record_request(ServiceRequest("", "return", "O1", "ANA", NOW))
    assert other.request_id != first.request_id


async def test_attempts_count_failures_by_conversation_and_recent_ones_by_order(
    shop: MemoryCustomerStore,
) -> None:
    await shop.record_attempt("c1", "O1", False, day(3))
    await shop.record_attempt("c1", "O1", False, day(0))
    await shop.record_attempt("c2", "O1", True, day(0))
    await shop.record_attempt("c2", "O1", False, day(0))
    assert await shop.attempt_counts("c1", "O1", since=day(1)) == AttemptCounts(2, 2)
    assert await shop.attempt_counts("c2", None, since=day(1)) == AttemptCounts(1, 0)


async def test_record_goodwill_keeps_it_refuses_a_repeated_id_and_stops_at_the_limit(
    shop: MemoryCustomerStore,
) -> None:
    credit = Transaction(
        "GW-1", "BEA", "", NOW, "credit", Decimal("5"), "EUR", "settled", "goodwill"
    )
    since = NOW - timedelta(days=30)
    assert await shop.record_goodwill(credit, limit=Decimal(8), since=since) == Decimal("5.00")
    assert await shop.transactions_of("BEA") == [credit]
    with pytest.raises(StorageError):
        await shop.record_goodwill(credit, limit=None, since=since)
    more = replace(credit, transaction_id="GW-2")
    assert await shop.record_goodwill(more, limit=Decimal(8), since=since) is None
    assert await shop.transactions_of("BEA") == [credit]


async def test_audit_log_keeps_records_in_order_by_subject() -> None:
    audit = MemoryAuditLog()
    await audit.record(at=1.0, actor="admin", action="customer.export", subject="customer:ANA")
    await audit.record(
        at=2.0, actor="cli", action="retention", subject="all", details={"conversations": 3}
    )
    assert [r["id"] for r in audit.records()] == [1, 2]
    [only] = audit.records("customer:ANA")
    assert (only["actor"], only["action"], only["details"]) == ("admin", "customer.export", {})
