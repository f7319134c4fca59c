"""The PostgreSQL adapters: migrations, seq numbers under concurrent writers, exclusive claims."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.adapters.postgres import (
    PostgresAgentStore,
    PostgresConversationStore,
    PostgresCustomerStore,
    PostgresDatabase,
    PostgresHandoffStore,
)
from bot.adapters.postgres.migrations import MIGRATIONS, apply_migrations
from bot.core.agents import hash_password, new_agent
from bot.core.customers import Transaction
from bot.core.events import BOT, LANGUAGE, USER, Event
from bot.core.handoff import Handoff

pytestmark = pytest.mark.postgres


@pytest.fixture
async def two(pg_url: str) -> AsyncIterator[tuple[PostgresDatabase, PostgresDatabase]]:
    """Two pools on one database, as two server processes would have."""
    a, b = await asyncio.gather(
        PostgresDatabase(pg_url, max_size=8).open(), PostgresDatabase(pg_url, max_size=8).open()
    )
    yield a, b
    await a.close()
    await b.close()


async def test_migrations_are_recorded_once_even_when_processes_start_together(
    two: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    a, _ = two
    async with a.connection() as conn:
        rows = await conn.fetch("SELECT version, name FROM balcao_migrations ORDER BY version")
        assert [r["version"] for r in rows] == [m.version for m in MIGRATIONS]
        assert await apply_migrations(conn) == []


async def test_seq_numbers_stay_unique_under_concurrent_appends_from_two_processes(
    two: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    stores = [PostgresConversationStore(db) for db in two]

    async def write(i: int) -> list[Event]:
        events = [Event(USER, {"text": f"m{i}"}, time.time()), Event(BOT, {"text": "ok"}, 0.0)]
        return await stores[i % 2].append("web:x", events, sender="x", channel="web")

    results = await asyncio.gather(*(write(i) for i in range(40)))
    seqs = sorted(e.seq for batch in results for e in batch)
    assert seqs == list(range(1, 81))
    for batch in results:  # each append's events are consecutive
        assert batch[1].seq == batch[0].seq + 1
    loaded = await stores[1].load("web:x")
    assert [e.seq for e in loaded] == list(range(1, 81))
    await stores[0].append(
        "web:x", [Event(LANGUAGE, {"language": "pt"}, 1.0)], sender="x", channel="web"
    )
    info = await stores[1].info("web:x")
    assert info is not None and info.language == "pt" and info.sender == "x"
    assert [c.conversation_id for c in await stores[0].list_conversations()] == ["web:x"]


def _handoff(conversation: str) -> Handoff:
    return Handoff(
        id=0, conversation_id=conversation, sender="s", channel="web", reason="asked",
        language="en", priority=1, created_at=time.time(),
    )  # fmt: skip


async def test_handoff_claim_is_exclusive_across_processes(
    two: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    stores = [PostgresHandoffStore(db) for db in two]
    created = await asyncio.gather(*(stores[i % 2].create(_handoff("web:c")) for i in range(6)))
    assert len({h.id for h in created}) == 1  # one open handoff per conversation
    handoff_id = created[0].id
    wins = await asyncio.gather(
        *(stores[i % 2].claim(handoff_id, f"agent{i}@x", time.time()) for i in range(10))
    )
    assert wins.count(True) == 1
    winner = (await stores[1].get(handoff_id)).agent  # type: ignore[union-attr]
    assert await stores[0].loads() == {winner: 1}
    assert await stores[0].resolve(handoff_id, "someone-else@x", time.time()) is False
    assert await stores[0].resolve(handoff_id, winner, time.time()) is True
    assert await stores[1].open_for("web:c") is None
    again = await stores[1].create(_handoff("web:c"))
    assert again.id != handoff_id and again.status == "waiting"


async def test_agents_and_sessions_are_shared(
    two: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    a, b = PostgresAgentStore(two[0]), PostgresAgentStore(two[1])
    agent = new_agent("Ana@Shop.example", "Ana", "agent", ("en", "pt"), ("returns",), 2)
    await a.save(agent, hash_password("pw-long-enough"), time.time())
    await a.save(agent, None, time.time())  # keeps the password
    assert await b.password_hash("ana@shop.example")
    await b.create_session("tok", agent.email, time.time(), 60)
    assert await a.session_agent("tok", time.time()) == await b.get(agent.email)
    await b.set_status(agent.email, "online")
    assert [x.status for x in await a.all()] == ["online"]
    await a.end_session("tok")
    assert await b.session_agent("tok", time.time()) is None
    await b.create_session("tok2", agent.email, time.time(), 60)
    await a.save(agent, hash_password("another long passphrase"), time.time())
    assert await b.session_agent("tok2", time.time()) is None  # a new password ends sessions
    await b.create_session("tok3", agent.email, time.time(), 60)
    assert await a.disable(agent.email, time.time())
    assert await b.session_agent("tok3", time.time()) is None
    assert await b.password_hash(agent.email) is None  # a disabled agent cannot log in
    await b.set_status(agent.email, "online")
    [disabled] = await b.all()
    assert disabled.disabled and disabled.status == "offline"
    assert await b.remove(agent.email) and not await a.remove(agent.email)
    assert await a.all() == []


async def test_login_attempts_are_counted_once_across_processes_under_concurrency(
    two: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    a, b = PostgresAgentStore(two[0]), PostgresAgentStore(two[1])
    limits = [("email:ana@shop.example", 5), ("ip:1", 20)]
    now = time.time()

    reserved = await asyncio.gather(
        *((a if n % 2 else b).reserve_login_attempt(limits, now, 900.0) for n in range(40))
    )

    kept = [r for r in reserved if r is not None]
    assert len(kept) == 5
    await a.release_login_attempt(kept[0])  # a success takes its attempt back
    assert await b.reserve_login_attempt(limits, now, 900.0) is not None
    assert await a.reserve_login_attempt(limits, now, 900.0) is None
    assert await a.reserve_login_attempt([("ip:1", 20)], now + 901, 900.0) is not None


async def test_an_empty_customer_store_answers_like_sqlite(
    two: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    store = PostgresCustomerStore(two[0])
    assert await store.customer("C1") is None
    assert await store.products() == [] and await store.products([]) == []
    assert await store.purchase_summaries() == []
    assert await store.bought_together(["X"]) == {}


async def test_goodwill_grants_from_two_processes_cannot_pass_the_limit(
    two: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    """Ten concurrent €20 grants, half from each process, against a €50 limit: two pass."""
    stores = [PostgresCustomerStore(db) for db in two]
    now = datetime.now(UTC)

    def grant(n: int) -> Transaction:
        return Transaction(f"GW-{n}", "C1", "", now, "refund", Decimal(20), "EUR", "pending",
                           "goodwill")  # fmt: skip

    totals = await asyncio.gather(
        *(
            stores[n % 2].record_goodwill(grant(n), limit=Decimal(50), since=now - timedelta(1))
            for n in range(10)
        )
    )
    assert sorted(t for t in totals if t is not None) == [Decimal(20), Decimal(40)]
    assert sum(t.amount for t in await stores[0].transactions_of("C1")) == Decimal(40)


async def test_identity_checks_from_two_processes_stop_at_the_order_limit(
    two: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    stores = [PostgresCustomerStore(db) for db in two]
    now = datetime.now(UTC)
    reserved = await asyncio.gather(
        *(
            stores[n % 2].reserve_attempt(f"conv-{n}", "100001", now, now - timedelta(1), (3, 5))
            for n in range(40)
        )
    )
    assert sum(1 for _, attempt in reserved if attempt is not None) == 5
    counts = await stores[0].attempt_counts("conv-0", "100001", now - timedelta(1))
    assert counts.order_failures == 5
