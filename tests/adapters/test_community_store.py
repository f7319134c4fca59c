"""The CommunityStore port, one test set on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.sqlite.community import SqliteCommunityStore
from bot.adapters.sqlite.community import migrations as community_migrations
from bot.adapters.sqlite.database import SqliteDatabase
from bot.core.community import Author
from bot.ports import CommunityStore

ANA = Author("customer:1", "Ana")
RUI = Author("customer:2", "Rui")
AGENT = Author("agent:eva@shop.example", "Eva", staff=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str | None:
    """None for SQLite, else a new PostgreSQL database's URL (made outside the event loop)."""
    return None if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def store(backend: str | None, tmp_path: Path) -> AsyncIterator[CommunityStore]:
    if backend is None:
        database = await SqliteDatabase(tmp_path / "c.sqlite3", (community_migrations,)).open()
        yield SqliteCommunityStore(database)
        await database.close()
        return
    from bot.adapters.postgres.community import PostgresCommunityStore
    from bot.adapters.postgres.database import PostgresDatabase

    postgres = await PostgresDatabase(backend, max_size=2).open()
    yield PostgresCommunityStore(postgres)
    await postgres.close()


async def test_questions_and_answers_keep_every_field(store: CommunityStore) -> None:
    qid = await store.add_question("pt", "Como troco o tamanho?", "Comprei um M.", ANA, 100.0)
    aid = await store.add_answer(qid, "Pela página de trocas.", RUI, 200.0)
    staff = await store.add_answer(qid, "Em Devoluções > Trocar.", AGENT, 300.0)
    question = await store.question(qid)
    assert question is not None
    assert (question.language, question.title, question.author_name, question.answers) == (
        "pt", "Como troco o tamanho?", "Ana", 2,
    )  # fmt: skip
    answers = await store.answers(qid)
    assert [(a.id, a.author_name, a.staff) for a in answers] == [
        (aid, "Rui", False),
        (staff, "Eva", True),
    ]
    assert await store.question(qid + 999) is None


async def test_accepted_first_then_votes_one_vote_per_person(store: CommunityStore) -> None:
    qid = await store.add_question("en", "Sizes?", "Which size?", ANA, 1.0)
    first = await store.add_answer(qid, "first", RUI, 2.0)
    second = await store.add_answer(qid, "second", AGENT, 3.0)
    assert await store.vote(second, "customer:1")
    assert not await store.vote(second, "customer:1")
    assert [a.id for a in await store.answers(qid)] == [second, first]
    await store.accept(qid, first)
    assert [a.id for a in await store.answers(qid)] == [first, second]
    assert (await store.answer(second)).votes == 1  # type: ignore[union-attr]
    assert (await store.question(qid)).accepted_answer == first  # type: ignore[union-attr]


async def test_search_uses_full_text_per_language_and_skips_hidden(store: CommunityStore) -> None:
    teapot = await store.add_question("en", "Teapot lid cracked", "The lid broke", ANA, 1.0)
    await store.add_question("en", "Delivery to Madeira", "Do you ship there?", ANA, 2.0)
    await store.add_question("pt", "Tampa do bule partida", "A tampa partiu", ANA, 3.0)
    assert [q.id for q in await store.search("en", "cracked teapot")] == [teapot]
    assert [q.title for q in await store.search("pt", "bule")] == ["Tampa do bule partida"]
    assert await store.search("en", "\"' OR * NEAR( -- ") == []  # syntax is only words
    assert await store.search("en", "teapot", accepted=True) == []
    await store.set_hidden("question", teapot, True)
    assert await store.search("en", "teapot") == []
    assert [q.id for q in await store.questions("en")] != [] and teapot not in [
        q.id for q in await store.questions("en")
    ]
    assert teapot in [q.id for q in await store.questions("en", hidden=True)]


async def test_reports_lock_hide_views_and_promotion(store: CommunityStore) -> None:
    qid = await store.add_question("en", "Q", "body", ANA, 1.0)
    aid = await store.add_answer(qid, "spam", RUI, 2.0)
    assert await store.report("answer", aid, "customer:1", 3.0)
    assert not await store.report("answer", aid, "customer:1", 4.0)
    assert await store.report("question", qid, "customer:2", 3.0)
    await store.set_hidden("answer", aid, True)
    assert await store.answers(qid) == []
    assert [a.id for a in await store.answers(qid, hidden=True)] == [aid]
    await store.set_locked(qid, True)
    await asyncio.gather(*(store.count_view(qid) for _ in range(5)))
    await store.mark_promoted(qid)
    question = await store.question(qid)
    assert question is not None
    assert (question.locked, question.views, question.reports, question.promoted) == (
        True, 5, 1, True,
    )  # fmt: skip


async def test_unanswered_and_most_viewed_for_the_dashboard(store: CommunityStore) -> None:
    old = await store.add_question("en", "Old", "no answer", ANA, 1.0)
    answered = await store.add_question("en", "Answered", "yes", ANA, 1.0)
    await store.add_answer(answered, "here", RUI, 2.0)
    await store.add_question("en", "New", "too recent", ANA, 100.0)
    assert [q.id for q in await store.unanswered(50.0)] == [old]
    for _ in range(3):
        await store.count_view(answered)
    assert (await store.most_viewed(limit=1))[0].id == answered
