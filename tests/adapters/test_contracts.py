"""Contracts of the HandoffStore and AgentStore ports, run on the in-memory fakes and on the
SQLite adapters alike (the HandoffStore also on PostgreSQL): the fakes the service tests
use cannot drift from the real thing, nor one store from the other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.memory import MemoryAgentStore, MemoryHandoffStore
from bot.adapters.postgres.database import PostgresDatabase
from bot.adapters.postgres.handoffs import PostgresHandoffStore
from bot.adapters.sqlite.agents import SqliteAgentStore
from bot.adapters.sqlite.database import SqliteDatabase
from bot.adapters.sqlite.handoffs import SqliteHandoffStore
from bot.app import MIGRATIONS
from bot.core.agents import Agent, new_agent
from bot.core.handoff import Handoff, queue_order
from bot.errors import StorageError
from bot.ports import AgentStore, HandoffStore

NOW = 1_000_000.0


@pytest.fixture(params=["memory", "sqlite"])
async def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[SqliteDatabase | None]:
    """None for the fakes; a migrated temporary SQLite file for the real adapters."""
    if request.param == "memory":
        yield None
        return
    db = await SqliteDatabase(tmp_path / "contracts.sqlite3", MIGRATIONS).open()
    yield db
    await db.close()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def handoff_kind(request: pytest.FixtureRequest) -> str:
    """Which store: memory, sqlite, or a fresh PostgreSQL database's URL."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return str(request.param)


@pytest.fixture
async def handoffs(handoff_kind: str, tmp_path: Path) -> AsyncIterator[HandoffStore]:
    """A HandoffStore on each of the three: claims, the queue's order and the rows' mapping
    are decided in each store's SQL."""
    if handoff_kind == "memory":
        yield MemoryHandoffStore()
    elif handoff_kind == "sqlite":
        db = await SqliteDatabase(tmp_path / "handoffs.sqlite3", MIGRATIONS).open()
        yield SqliteHandoffStore(db)
        await db.close()
    else:
        pg = await PostgresDatabase(handoff_kind).open()
        yield PostgresHandoffStore(pg)
        await pg.close()


@pytest.fixture
def agents(database: SqliteDatabase | None) -> AgentStore:
    return MemoryAgentStore() if database is None else SqliteAgentStore(database)


def handoff(conversation_id: str, **overrides: object) -> Handoff:
    values: dict[str, object] = {
        "id": 0,
        "conversation_id": conversation_id,
        "sender": "customer",
        "channel": "rest",
        "reason": "complaint",
        "language": "pt",
        "priority": 130,
        "created_at": NOW,
    }
    values.update(overrides)
    return Handoff(**values)  # type: ignore[arg-type]


# -- HandoffStore ---------------------------------------------------------------------


async def test_create_assigns_ids_and_keeps_every_field(handoffs: HandoffStore) -> None:
    full = handoff(
        "c1",
        tier="top",
        customer_id="C1",
        account_manager="mgr@shop.example",
        skills=("returns", "pt"),
        offline=True,
        flags=("account_manager_away",),
    )
    first = await handoffs.create(full)
    second = await handoffs.create(handoff("c2"))
    assert (first.id, second.id) == (1, 2)
    assert first == Handoff(**{**full.__dict__, "id": 1})
    assert await handoffs.get(1) == first
    assert await handoffs.get(99) is None


async def test_create_returns_the_open_handoff_of_the_conversation(handoffs: HandoffStore) -> None:
    first = await handoffs.create(handoff("c1"))
    assert await handoffs.create(handoff("c1", reason="fallback")) == first
    assert await handoffs.claim(first.id, "ana@shop.example", NOW)
    assert (await handoffs.create(handoff("c1"))).id == first.id  # assigned is open too
    assert await handoffs.resolve(first.id, "ana@shop.example", NOW)
    again = await handoffs.create(handoff("c1"))  # a new one (PostgreSQL's ids may skip)
    assert again.id > first.id and again.status == "waiting"


async def test_claim_succeeds_only_on_a_waiting_handoff(handoffs: HandoffStore) -> None:
    created = await handoffs.create(handoff("c1"))
    assert await handoffs.claim(created.id, "ana@shop.example", NOW + 5)
    assert not await handoffs.claim(created.id, "rui@shop.example", NOW + 6)
    assert not await handoffs.claim(99, "rui@shop.example", NOW + 6)
    claimed = await handoffs.get(created.id)
    assert claimed is not None
    assert (claimed.status, claimed.agent, claimed.claimed_at) == (
        "assigned",
        "ana@shop.example",
        NOW + 5,
    )


async def test_concurrent_claims_have_exactly_one_winner(handoffs: HandoffStore) -> None:
    created = await handoffs.create(handoff("c1"))
    wins = await asyncio.gather(
        *(handoffs.claim(created.id, f"agent{i}@shop.example", NOW) for i in range(5))
    )
    assert sorted(wins) == [False] * 4 + [True]


async def test_transfer_only_from_the_holder_of_an_assigned_handoff(
    handoffs: HandoffStore,
) -> None:
    created = await handoffs.create(handoff("c1"))
    assert not await handoffs.transfer(created.id, "ana@shop.example", "rui@shop.example")
    await handoffs.claim(created.id, "ana@shop.example", NOW)
    assert not await handoffs.transfer(created.id, "eva@shop.example", "rui@shop.example")
    assert await handoffs.transfer(created.id, "ana@shop.example", "rui@shop.example")
    moved = await handoffs.get(created.id)
    assert moved is not None and (moved.status, moved.agent) == ("assigned", "rui@shop.example")


async def test_resolve_by_the_holder_or_by_anyone_when_no_agent_is_named(
    handoffs: HandoffStore,
) -> None:
    held = await handoffs.create(handoff("c1"))
    waiting = await handoffs.create(handoff("c2"))
    await handoffs.claim(held.id, "ana@shop.example", NOW)
    assert not await handoffs.resolve(held.id, "rui@shop.example", NOW + 1)
    assert not await handoffs.resolve(waiting.id, "rui@shop.example", NOW + 1)
    assert await handoffs.resolve(held.id, "ana@shop.example", NOW + 2)
    assert await handoffs.resolve(waiting.id, None, NOW + 3)  # an admin
    assert not await handoffs.resolve(held.id, None, NOW + 4)  # already resolved
    resolved = await handoffs.get(held.id)
    assert resolved is not None and (resolved.status, resolved.resolved_at) == ("resolved", NOW + 2)


async def test_loads_count_assigned_handoffs_per_agent(handoffs: HandoffStore) -> None:
    for name in ("c1", "c2", "c3", "c4", "c5"):
        await handoffs.create(handoff(name))
    await handoffs.claim(1, "ana@shop.example", NOW)
    await handoffs.claim(2, "ana@shop.example", NOW)
    await handoffs.claim(3, "rui@shop.example", NOW)
    await handoffs.claim(4, "eva@shop.example", NOW)
    await handoffs.resolve(4, "eva@shop.example", NOW)
    assert await handoffs.loads() == {"ana@shop.example": 2, "rui@shop.example": 1}


async def test_list_filters_by_status_in_id_order(handoffs: HandoffStore) -> None:
    for name, priority in (("c1", 10), ("c2", 200), ("c3", 50)):
        await handoffs.create(handoff(name, priority=priority))
    await handoffs.claim(2, "ana@shop.example", NOW)
    await handoffs.resolve(3, None, NOW)
    assert [h.id for h in await handoffs.list()] == [1, 2]
    assert [h.id for h in await handoffs.list(("waiting",))] == [1]
    assert [h.id for h in await handoffs.list(("resolved", "waiting"))] == [1, 3]


async def test_queue_head_is_the_queue_order_bounded_with_the_whole_count(
    handoffs: HandoffStore,
) -> None:
    # priority first, then the oldest, then the lowest id (core.handoff.queue_order)
    specs = [("c1", 10, NOW + 5), ("c2", 200, NOW + 9), ("c3", 10, NOW + 1),
             ("c4", 50, NOW + 2), ("c5", 10, NOW + 1), ("c6", 200, NOW + 3)]  # fmt: skip
    for name, priority, at in specs:
        await handoffs.create(handoff(name, priority=priority, created_at=at))
    await handoffs.claim(4, "ana@shop.example", NOW)  # c4 leaves the queue
    expected = [6, 2, 3, 5, 1]  # c6, c2 (200); c3, c5 (10, same time, by id); c1
    whole = queue_order(await handoffs.list(("waiting",)))
    assert [h.id for h in whole] == expected
    head, total = await handoffs.queue_head(3)
    assert [h.id for h in head] == expected[:3]
    assert total == 5
    for place, handoff_id in enumerate(expected, start=1):
        assert await handoffs.position(handoff_id) == place
    assert await handoffs.position(4) is None  # assigned: not in the queue
    assert await handoffs.position(99) is None  # no such handoff


async def test_set_contact_keeps_the_customers_email(handoffs: HandoffStore) -> None:
    created = await handoffs.create(handoff("c1", offline=True))
    await handoffs.set_contact(created.id, "customer@example.com")
    stored = await handoffs.get(created.id)
    assert stored is not None and stored.contact_email == "customer@example.com"


# -- AgentStore ---------------------------------------------------------------------------


ANA = Agent("ana@shop.example", "Ana", "agent", ("en", "pt"), ("returns",), 4, "online")


async def test_a_new_agent_starts_offline_and_keeps_its_password(agents: AgentStore) -> None:
    await agents.save(ANA, "hash-1", NOW)
    assert await agents.get("ana@shop.example") == Agent(**{**ANA.__dict__, "status": "offline"})
    assert await agents.password_hash("ana@shop.example") == "hash-1"
    await agents.save(Agent("eva@shop.example", "Eva"), None, NOW)
    assert await agents.password_hash("eva@shop.example") == ""
    assert await agents.get("nobody@shop.example") is None
    assert await agents.password_hash("nobody@shop.example") is None


async def test_saving_again_updates_the_profile_not_the_status_nor_a_kept_password(
    agents: AgentStore,
) -> None:
    await agents.save(ANA, "hash-1", NOW)
    await agents.set_status(ANA.email, "away")
    await agents.save(Agent(ANA.email, "Ana Sousa", "admin", max_chats=2), None, NOW + 1)
    assert await agents.get(ANA.email) == Agent(
        ANA.email, "Ana Sousa", "admin", ("en",), (), 2, "away"
    )
    assert await agents.password_hash(ANA.email) == "hash-1"
    await agents.save(ANA, "hash-2", NOW + 2)
    assert await agents.password_hash(ANA.email) == "hash-2"


async def test_lookups_ignore_case_and_all_come_by_email(agents: AgentStore) -> None:
    await agents.save(Agent("rui@shop.example", "Rui"), "h", NOW)
    await agents.save(ANA, "h", NOW)
    found = await agents.get("ANA@Shop.Example")
    assert found is not None and found.email == ANA.email
    assert await agents.password_hash("ANA@SHOP.EXAMPLE") == "h"
    assert [a.email for a in await agents.all()] == ["ana@shop.example", "rui@shop.example"]


async def test_a_session_lives_until_its_ttl_or_its_end(agents: AgentStore) -> None:
    await agents.save(ANA, "h", NOW)
    await agents.create_session("token-1", ANA.email, NOW, ttl=60)
    await agents.create_session("token-2", ANA.email, NOW, ttl=60)
    live = await agents.session_agent("token-1", NOW + 59)
    assert live is not None and live.email == ANA.email
    assert await agents.session_agent("token-1", NOW + 60) is None
    assert await agents.session_agent("unknown", NOW) is None
    await agents.end_session("token-2")
    assert await agents.session_agent("token-2", NOW + 1) is None


async def test_a_session_shows_the_agents_current_status(agents: AgentStore) -> None:
    await agents.save(ANA, "h", NOW)
    await agents.create_session("token", ANA.email, NOW, ttl=60)
    await agents.set_status(ANA.email, "online")
    live = await agents.session_agent("token", NOW + 1)
    assert live is not None and live.status == "online"


async def test_a_session_needs_an_existing_agent(agents: AgentStore) -> None:
    with pytest.raises(StorageError):
        await agents.create_session("token", "nobody@shop.example", NOW, ttl=60)


async def test_login_attempts_are_reserved_per_key_within_the_window(agents: AgentStore) -> None:
    limits = [("email:ana@shop.example", 2), ("ip:1.2.3.4", 3)]
    first = await agents.reserve_login_attempt(limits, NOW, 60)
    second = await agents.reserve_login_attempt(limits, NOW + 1, 60)
    assert first and second and first != second
    assert await agents.reserve_login_attempt(limits, NOW + 2, 60) is None  # email's 2 used
    await agents.release_login_attempt(second)  # a successful login takes its attempt back
    assert await agents.reserve_login_attempt(limits, NOW + 3, 60) is not None
    assert await agents.reserve_login_attempt([("ip:1.2.3.4", 2)], NOW + 4, 60) is None
    assert await agents.reserve_login_attempt(limits, NOW + 120, 60) is not None  # window past


async def test_disabling_ends_sessions_and_logins_and_removing_forgets(
    agents: AgentStore,
) -> None:
    await agents.save(new_agent("ana@shop.example", "Ana"), "hash", NOW)
    await agents.create_session("token", "ana@shop.example", NOW, ttl=60)
    assert await agents.disable("ana@shop.example", NOW)
    assert await agents.session_agent("token", NOW + 1) is None
    assert await agents.password_hash("ana@shop.example") is None
    await agents.set_status("ana@shop.example", "online")
    assert (await agents.get("ana@shop.example")).status == "offline"  # type: ignore[union-attr]
    assert await agents.remove("ana@shop.example")
    assert await agents.get("ana@shop.example") is None
    assert not await agents.disable("nobody@shop.example", NOW)
    assert not await agents.remove("nobody@shop.example")
