"""The CommunityStore port, one test set on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.sqlite.audit import audit_records
from bot.adapters.sqlite.community import SqliteCommunityStore
from bot.adapters.sqlite.database import SqliteDatabase
from bot.app import MIGRATIONS
from bot.core.community import Author
from bot.errors import StorageError
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
        database = await SqliteDatabase(tmp_path / "c.sqlite3", MIGRATIONS).open()
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
    assert await store.moderate("question", teapot, "hide", actor="agent:eva", now=4.0)
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
    assert await store.moderate("answer", aid, "hide", actor="agent:eva", now=5.0)
    assert await store.answers(qid) == []
    assert [a.id for a in await store.answers(qid, hidden=True)] == [aid]
    assert await store.moderate("question", qid, "lock", actor="agent:eva", now=6.0)
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


async def _audit(store: CommunityStore) -> list[tuple[str, str, str]]:
    if isinstance(store, SqliteCommunityStore):
        found = await store.database.run(audit_records)
    else:
        from bot.adapters.postgres.audit import audit_records as pg_audit_records

        found = await pg_audit_records(store.database)  # type: ignore[attr-defined]
    return [(r["actor"], r["action"], r["subject"]) for r in found]


async def _sql(store: CommunityStore, sql: str) -> None:
    if isinstance(store, SqliteCommunityStore):
        await store.database.run(lambda db: db.execute(sql))
        return
    async with store.database.connection() as conn:  # type: ignore[attr-defined]
        await conn.execute(sql)


async def test_a_moderation_action_and_its_audit_record_are_written_together(
    store: CommunityStore,
) -> None:
    qid = await store.add_question("en", "Cheap watches here", "buy", ANA, 1.0)
    assert await store.moderate("question", qid, "hide", actor="agent:eva", now=2.0)
    assert not await store.moderate("answer", 999, "hide", actor="agent:eva", now=3.0)
    assert await _audit(store) == [("agent:eva", "community.hide", f"question:{qid}")]

    # the audit cannot be written: the post stays as it was
    await _sql(store, "ALTER TABLE audit RENAME TO audit_away")
    try:
        with pytest.raises(StorageError):
            await store.moderate("question", qid, "unhide", actor="agent:eva", now=4.0)
    finally:
        await _sql(store, "ALTER TABLE audit_away RENAME TO audit")
    assert (await store.question(qid)).hidden  # type: ignore[union-attr]
    assert await _audit(store) == [("agent:eva", "community.hide", f"question:{qid}")]


async def test_the_review_queue_holds_reported_posts_until_an_agent_decides(
    store: CommunityStore,
) -> None:
    qid = await store.add_question("en", "Where is my parcel?", "late", ANA, 1.0)
    rude = await store.add_answer(qid, "rude words", RUI, 2.0)
    fine = await store.add_answer(qid, "ask the courier", AGENT, 3.0)
    assert await store.flagged() == []
    for reporter in ("customer:1", "customer:3"):
        await store.report("answer", rude, reporter, 4.0)
    await store.report("question", qid, "customer:3", 4.0)
    await store.report("answer", fine, "customer:3", 4.0)
    queue = await store.flagged()
    assert [(f.kind, f.id, f.reports) for f in queue] == [
        ("answer", rude, 2), ("question", qid, 1), ("answer", fine, 1),
    ]  # fmt: skip
    assert (queue[0].question_id, queue[0].title, queue[0].body, queue[0].author_name) == (
        qid, "Where is my parcel?", "rude words", "Rui",
    )  # fmt: skip

    assert await store.moderate("answer", fine, "approve", actor="agent:eva", now=5.0)
    assert await store.moderate("answer", rude, "hide", actor="agent:eva", now=5.0)
    assert [(f.kind, f.id) for f in await store.flagged()] == [("question", qid)]
    assert [a.id for a in await store.answers(qid)] == [fine]  # approved: still shown
    await store.report("answer", fine, "customer:4", 6.0)  # reported again: back in the queue
    assert [(f.kind, f.id, f.reports) for f in await store.flagged()] == [
        ("question", qid, 1), ("answer", fine, 2),
    ]  # fmt: skip
    assert await store.moderate("question", qid, "hide", actor="agent:eva", now=7.0)
    assert await store.flagged() == []  # a hidden question takes its answers along


async def test_accepted_answers_wait_for_promotion_until_promoted(store: CommunityStore) -> None:
    first = await store.add_question("en", "Gift wrap?", "for christmas", ANA, 1.0)
    second = await store.add_question("en", "Gift card?", "for a friend", ANA, 2.0)
    await store.add_question("en", "No answer yet", "x", ANA, 3.0)
    for qid in (first, second):
        await store.accept(qid, await store.add_answer(qid, "yes", RUI, 4.0))
    assert [q.id for q in await store.awaiting_promotion()] == [second, first]
    await store.mark_promoted(second)
    assert [q.id for q in await store.awaiting_promotion()] == [first]
