"""PostgresCommunityStore: the CommunityStore port on PostgreSQL, searched with a generated
`tsvector` column (the question's language picks the text-search configuration) under a GIN
index. Rows map to the same values as SQLite's."""

from __future__ import annotations

import re
from typing import Any

from bot.adapters.customer_rows import numbered
from bot.adapters.postgres.audit import record
from bot.adapters.postgres.database import PostgresDatabase
from bot.adapters.sqlite.community import (
    ADD_LINK,
    AWAITING_PROMOTION,
    FLAGGED,
    KINDS,
    OTHER_LINKS,
    PURGE_LINKS,
    USE_LINK,
    flagged_from_row,
    moderate_sql,
)
from bot.adapters.sqlite.community import _answer as answer_from_row
from bot.adapters.sqlite.community import _question as question_from_row
from bot.core.community import Answer, Author, Flagged, Question

CONFIGS = {"pt": "portuguese", "es": "spanish"}
_QUESTION = (
    "id, language, title, body, author_id, author_name, created_at, views, answers,"
    " accepted_answer, hidden, locked, reports, promoted"
)


def ts_query(text: str) -> str:
    """Any of the words, each a quoted lexeme: nothing of tsquery's syntax gets through."""
    words = [w for w in re.findall(r"\w+", text.lower()) if len(w) > 1][:20]
    return " | ".join(f"'{w}'" for w in words)


class PostgresCommunityStore:
    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def add_question(
        self, language: str, title: str, body: str, author: Author, now: float
    ) -> int:
        async with self.database.connection() as conn:
            value = await conn.fetchval(
                "INSERT INTO community_questions (language, title, body, author_id,"
                " author_name, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                language, title, body, author.id, author.name, now,
            )  # fmt: skip
        return int(value)

    async def add_answer(self, question_id: int, body: str, author: Author, now: float) -> int:
        async with self.database.transaction() as conn:
            value = await conn.fetchval(
                "INSERT INTO community_answers (question_id, body, author_id, author_name,"
                " staff, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                question_id, body, author.id, author.name, int(author.staff), now,
            )  # fmt: skip
            await conn.execute(
                "UPDATE community_questions SET answers = answers + 1 WHERE id = $1", question_id
            )
        return int(value)

    async def question(self, question_id: int) -> Question | None:
        rows = await self._fetch(
            f"SELECT {_QUESTION} FROM community_questions WHERE id = $1", question_id
        )
        return question_from_row(rows[0]) if rows else None

    async def answer(self, answer_id: int) -> Answer | None:
        rows = await self._fetch("SELECT * FROM community_answers WHERE id = $1", answer_id)
        return answer_from_row(rows[0]) if rows else None

    async def answers(self, question_id: int, *, hidden: bool = False) -> list[Answer]:
        rows = await self._fetch(
            "SELECT a.* FROM community_answers a JOIN community_questions q"
            " ON q.id = a.question_id WHERE a.question_id = $1 AND ($2 OR a.hidden = 0)"
            " ORDER BY (a.id = q.accepted_answer) IS TRUE DESC, a.votes DESC, a.id",
            question_id,
            hidden,
        )
        return [answer_from_row(r) for r in rows]

    async def questions(
        self, language: str, *, limit: int = 30, offset: int = 0, hidden: bool = False
    ) -> list[Question]:
        rows = await self._fetch(
            f"SELECT {_QUESTION} FROM community_questions"
            " WHERE language = $1 AND hidden IN (0, $2) ORDER BY id DESC LIMIT $3 OFFSET $4",
            language, int(hidden), limit, offset,
        )  # fmt: skip
        return [question_from_row(r) for r in rows]

    async def search(
        self, language: str, query: str, *, limit: int = 10, accepted: bool = False
    ) -> list[Question]:
        terms = ts_query(query)
        if not terms:
            return []
        config = CONFIGS.get(language, "english")
        rows = await self._fetch(
            f"SELECT {_QUESTION} FROM community_questions,"
            " to_tsquery($1::regconfig, $2) AS query"
            " WHERE search @@ query AND language = $3 AND hidden = 0"
            " AND (NOT $4 OR accepted_answer IS NOT NULL)"
            " ORDER BY ts_rank(search, query) DESC, id LIMIT $5",
            config, terms, language, accepted, limit,
        )  # fmt: skip
        return [question_from_row(r) for r in rows]

    async def vote(self, answer_id: int, voter: str) -> bool:
        async with self.database.transaction() as conn:
            added = await conn.fetchval(
                "INSERT INTO community_votes (answer_id, voter) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING 1",
                answer_id,
                voter,
            )
            if added is None:
                return False
            await conn.execute(
                "UPDATE community_answers SET votes = votes + 1 WHERE id = $1", answer_id
            )
        return True

    async def accept(self, question_id: int, answer_id: int | None) -> None:
        await self._execute(
            "UPDATE community_questions SET accepted_answer = $1 WHERE id = $2",
            answer_id,
            question_id,
        )

    async def moderate(
        self, kind: str, post_id: int, action: str, *, actor: str, now: float
    ) -> bool:
        sql = numbered(moderate_sql(kind, action))
        async with self.database.transaction() as conn:
            if await conn.execute(sql, post_id) != "UPDATE 1":
                return False
            await record(
                conn, at=now, actor=actor, action=f"community.{action}",
                subject=f"{kind}:{post_id}",
            )  # fmt: skip
        return True

    async def add_sign_in_link(
        self, digest: str, customer_id: str, language: str, now: float, expires_at: float
    ) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(numbered(PURGE_LINKS), now)
            await conn.execute(numbered(ADD_LINK), digest, customer_id, language, now, expires_at)

    async def use_sign_in_link(self, digest: str, now: float) -> tuple[str, str] | None:
        async with self.database.transaction() as conn:
            row = await conn.fetchrow(numbered(USE_LINK), digest)
            if row is None or row[2] <= now:
                return None
            await conn.execute(numbered(OTHER_LINKS), row[0])
        return str(row[0]), str(row[1])

    async def flagged(self, *, limit: int = 50) -> list[Flagged]:
        return [flagged_from_row(r) for r in await self._fetch(numbered(FLAGGED), limit)]

    async def awaiting_promotion(self, *, limit: int = 50) -> list[Question]:
        rows = await self._fetch(numbered(AWAITING_PROMOTION), limit)
        return [question_from_row(r) for r in rows]

    async def report(self, kind: str, post_id: int, reporter: str, now: float) -> bool:
        async with self.database.transaction() as conn:
            added = await conn.fetchval(
                "INSERT INTO community_reports (kind, post_id, reporter, at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
                kind, post_id, reporter, now,
            )  # fmt: skip
            if added is None:
                return False
            await conn.execute(
                f"UPDATE {KINDS[kind]} SET reports = reports + 1 WHERE id = $1", post_id
            )
        return True

    async def count_view(self, question_id: int) -> None:
        await self._execute(
            "UPDATE community_questions SET views = views + 1 WHERE id = $1", question_id
        )

    async def mark_promoted(self, question_id: int) -> None:
        await self._execute(
            "UPDATE community_questions SET promoted = 1 WHERE id = $1", question_id
        )

    async def unanswered(self, before: float, *, limit: int = 50) -> list[Question]:
        rows = await self._fetch(
            f"SELECT {_QUESTION} FROM community_questions WHERE answers = 0 AND hidden = 0"
            " AND created_at <= $1 ORDER BY created_at LIMIT $2",
            before,
            limit,
        )
        return [question_from_row(r) for r in rows]

    async def most_viewed(self, *, limit: int = 50) -> list[Question]:
        rows = await self._fetch(
            f"SELECT {_QUESTION} FROM community_questions WHERE hidden = 0 AND promoted = 0"
            " ORDER BY views DESC, id LIMIT $1",
            limit,
        )
        return [question_from_row(r) for r in rows]

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        async with self.database.connection() as conn:
            return list(await conn.fetch(sql, *args))

    async def _execute(self, sql: str, *args: Any) -> None:
        async with self.database.connection() as conn:
            await conn.execute(sql, *args)
