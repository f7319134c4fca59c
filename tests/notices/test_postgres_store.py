"""The PostgreSQL notice store keeps the SQLite one's promises."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.adapters.postgres import PostgresDatabase
from bot.adapters.postgres.notices import PostgresNoticeStore
from bot.core.notices import Due

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)


async def test_postgres_notices_are_unique_claimed_once_and_measured(pg_url: str) -> None:
    database = await PostgresDatabase(pg_url).open()
    try:
        store = PostgresNoticeStore(database)
        due = [Due("order.shipped", "C1", "O1", NOW, {"order_id": "O1"})]
        assert await store.enqueue(due, NOW) == 1
        assert await store.enqueue(due, NOW) == 0
        [claimed] = await store.claim(NOW, 10, timedelta(minutes=2))
        assert await store.claim(NOW, 10, timedelta(minutes=2)) == []
        await store.finish(claimed.notice_id, "sent", NOW, title="t", body="b", channel="email")
        # shown by one widget only: the second taker gets nothing
        assert await store.take_unshown("C1", NOW, claimed.notice_id + 1) == []
        taken = await asyncio.gather(*(store.take_unshown("C1", NOW) for _ in range(3)))
        assert sorted(taken, key=len) == [[], [], [(claimed.notice_id, "t", "b")]]
        assert await store.take_unshown("C1", NOW) == []
        [row] = await store.proactive()
        assert row["shown"] == 1
        assert await store.first_signature("sig", NOW)
        assert not await store.first_signature("sig", NOW)
        [row] = await store.proactive()
        assert row["trigger"] == "order.shipped" and row["sent"] == 1
    finally:
        await database.close()
