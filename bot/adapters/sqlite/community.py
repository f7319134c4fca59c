"""SqliteCommunityStore: community questions and answers, searched with FTS5.

`community_fts` indexes each question's title and body (accents folded), keyed by the
question's id; the question's answer count is kept on its row, so listing a page of ten
thousand questions reads one index.
"""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.adapters.sqlite.audit import record
from bot.adapters.sqlite.database import DatabaseRunner
from bot.core.community import Answer, Author, Flagged, Question

migrations = Migrations("community")

CANDIDATES = 300  # full-text hits ranked before the language and visibility filters
KINDS = {"question": "community_questions", "answer": "community_answers"}


@migrations()
def m001_community(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE community_questions (
            id INTEGER PRIMARY KEY, language TEXT NOT NULL, title TEXT NOT NULL,
            body TEXT NOT NULL, author_id TEXT NOT NULL, author_name TEXT NOT NULL,
            created_at REAL NOT NULL, views INTEGER NOT NULL DEFAULT 0,
            answers INTEGER NOT NULL DEFAULT 0, accepted_answer INTEGER,
            hidden INTEGER NOT NULL DEFAULT 0, locked INTEGER NOT NULL DEFAULT 0,
            reports INTEGER NOT NULL DEFAULT 0, promoted INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX community_questions_list ON community_questions (language, hidden, id);
        CREATE INDEX community_questions_views ON community_questions (views);
        CREATE INDEX community_questions_created ON community_questions (answers, created_at);
        CREATE TABLE community_answers (
            id INTEGER PRIMARY KEY, question_id INTEGER NOT NULL REFERENCES community_questions,
            body TEXT NOT NULL, author_id TEXT NOT NULL, author_name TEXT NOT NULL,
            staff INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL,
            votes INTEGER NOT NULL DEFAULT 0, hidden INTEGER NOT NULL DEFAULT 0,
            reports INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX community_answers_question ON community_answers (question_id);
        CREATE TABLE community_votes (
            answer_id INTEGER NOT NULL, voter TEXT NOT NULL, PRIMARY KEY (answer_id, voter)
        );
        CREATE TABLE community_reports (
            kind TEXT NOT NULL, post_id INTEGER NOT NULL, reporter TEXT NOT NULL, at REAL,
            PRIMARY KEY (kind, post_id, reporter)
        );
        CREATE VIRTUAL TABLE community_fts USING fts5(
            title, body, tokenize = 'unicode61 remove_diacritics 2'
        );
        """
    )


@migrations()
def m002_review(db: sqlite_utils.Database) -> None:
    # `reviewed`: how many of the post's reports an agent has decided on; the review queue
    # is the visible posts with more reports than that (a partial index keeps it small)
    db.executescript(REVIEW_SCHEMA)


# PostgreSQL's migration 21 runs the same text: like a migration, never edit it once shipped
REVIEW_SCHEMA = """
    ALTER TABLE community_questions ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE community_answers ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX community_questions_flagged ON community_questions (id)
        WHERE reports > reviewed AND hidden = 0;
    CREATE INDEX community_answers_flagged ON community_answers (id)
        WHERE reports > reviewed AND hidden = 0;
"""


@migrations()
def m003_sign_in_links(db: sqlite_utils.Database) -> None:
    # emailed sign-in links: only the SHA-256 of each token is kept, for minutes; the column
    # is `customer_id` so that `forget` finds these rows as it finds every such table's
    db.executescript(
        """
        CREATE TABLE community_sign_in_links (
            digest TEXT PRIMARY KEY, customer_id TEXT NOT NULL, language TEXT NOT NULL,
            created_at REAL NOT NULL, expires_at REAL NOT NULL
        );
        CREATE INDEX community_sign_in_links_expires ON community_sign_in_links (expires_at);
        """
    )


# the statements below are shared with the PostgreSQL store (its placeholders numbered)
MODERATE = {
    "hide": "hidden = 1, reviewed = reports",
    "unhide": "hidden = 0, reviewed = reports",
    "lock": "locked = 1",
    "unlock": "locked = 0",
    "approve": "reviewed = reports",
}
FLAGGED = (
    "SELECT * FROM (SELECT 'question' AS kind, id, id AS question_id, language, title, body,"
    " author_name, reports, reports - reviewed AS fresh, created_at FROM community_questions"
    " WHERE reports > reviewed AND hidden = 0"
    " UNION ALL SELECT 'answer', a.id, a.question_id, q.language, q.title, a.body,"
    " a.author_name, a.reports, a.reports - a.reviewed, a.created_at FROM community_answers a"
    " JOIN community_questions q ON q.id = a.question_id"
    " WHERE a.reports > a.reviewed AND a.hidden = 0 AND q.hidden = 0) flagged"
    " ORDER BY fresh DESC, created_at LIMIT ?"
)
AWAITING_PROMOTION = (
    "SELECT id, language, title, body, author_id, author_name, created_at, views, answers,"
    " accepted_answer, hidden, locked, reports, promoted FROM community_questions"
    " WHERE accepted_answer IS NOT NULL AND promoted = 0 AND hidden = 0 ORDER BY id DESC LIMIT ?"
)


PURGE_LINKS = "DELETE FROM community_sign_in_links WHERE expires_at <= ?"
ADD_LINK = (
    "INSERT INTO community_sign_in_links (digest, customer_id, language, created_at, expires_at)"
    " VALUES (?, ?, ?, ?, ?)"
)
# taking the row is what makes a link single-use: of two concurrent clicks, one gets it
USE_LINK = (
    "DELETE FROM community_sign_in_links WHERE digest = ? RETURNING customer_id, language,"
    " expires_at"
)
OTHER_LINKS = "DELETE FROM community_sign_in_links WHERE customer_id = ?"


def moderate_sql(kind: str, action: str) -> str:
    """The one UPDATE an agent's action is; lock and unlock are for questions only."""
    if action in ("lock", "unlock") and kind != "question":
        raise ValueError("only questions are locked")
    return f"UPDATE {KINDS[kind]} SET {MODERATE[action]} WHERE id = ?"


def flagged_from_row(row: Any) -> Flagged:
    """A review-queue row (either store's): its columns are named as Flagged's fields."""
    return Flagged(**{f.name: row[f.name] for f in fields(Flagged)})


def _question(row: Any) -> Question:
    return Question(
        id=row["id"],
        language=row["language"],
        title=row["title"],
        body=row["body"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        created_at=row["created_at"],
        views=row["views"],
        answers=row["answers"],
        accepted_answer=row["accepted_answer"],
        hidden=bool(row["hidden"]),
        locked=bool(row["locked"]),
        reports=row["reports"],
        promoted=bool(row["promoted"]),
    )


def _answer(row: Any) -> Answer:
    return Answer(
        id=row["id"],
        question_id=row["question_id"],
        body=row["body"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        staff=bool(row["staff"]),
        created_at=row["created_at"],
        votes=row["votes"],
        hidden=bool(row["hidden"]),
    )


def fts_query(text: str) -> str:
    """Any of the words of `text`, each quoted: nothing of FTS5's syntax gets through."""
    words = [w for w in re.findall(r"\w+", text.lower()) if len(w) > 1][:20]
    return " OR ".join(f'"{w}"' for w in words)


def _rows(db: sqlite_utils.Database, sql: str, params: Any = ()) -> list[Any]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class SqliteCommunityStore:
    def __init__(self, database: DatabaseRunner) -> None:
        self.database = database

    async def add_question(
        self, language: str, title: str, body: str, author: Author, now: float
    ) -> int:
        def write(db: sqlite_utils.Database) -> int:
            with db.atomic():
                cursor = db.execute(
                    "INSERT INTO community_questions (language, title, body, author_id,"
                    " author_name, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (language, title, body, author.id, author.name, now),
                )
                question_id = int(cursor.lastrowid or 0)
                db.execute(
                    "INSERT INTO community_fts (rowid, title, body) VALUES (?, ?, ?)",
                    (question_id, title, body),
                )
            return question_id

        return await self.database.run(write)

    async def add_answer(self, question_id: int, body: str, author: Author, now: float) -> int:
        def write(db: sqlite_utils.Database) -> int:
            with db.atomic():
                cursor = db.execute(
                    "INSERT INTO community_answers (question_id, body, author_id, author_name,"
                    " staff, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (question_id, body, author.id, author.name, int(author.staff), now),
                )
                db.execute(
                    "UPDATE community_questions SET answers = answers + 1 WHERE id = ?",
                    (question_id,),
                )
            return int(cursor.lastrowid or 0)

        return await self.database.run(write)

    async def question(self, question_id: int) -> Question | None:
        def read(db: sqlite_utils.Database) -> Question | None:
            rows = _rows(db, "SELECT * FROM community_questions WHERE id = ?", (question_id,))
            return _question(rows[0]) if rows else None

        return await self.database.run(read)

    async def answer(self, answer_id: int) -> Answer | None:
        def read(db: sqlite_utils.Database) -> Answer | None:
            rows = _rows(db, "SELECT * FROM community_answers WHERE id = ?", (answer_id,))
            return _answer(rows[0]) if rows else None

        return await self.database.run(read)

    async def answers(self, question_id: int, *, hidden: bool = False) -> list[Answer]:
        def read(db: sqlite_utils.Database) -> list[Answer]:
            rows = _rows(
                db,
                "SELECT a.* FROM community_answers a JOIN community_questions q"
                " ON q.id = a.question_id WHERE a.question_id = ? AND (? OR a.hidden = 0)"
                " ORDER BY (a.id = q.accepted_answer) DESC, a.votes DESC, a.id",
                (question_id, int(hidden)),
            )
            return [_answer(r) for r in rows]

        return await self.database.run(read)

    async def questions(
        self, language: str, *, limit: int = 30, offset: int = 0, hidden: bool = False
    ) -> list[Question]:
        def read(db: sqlite_utils.Database) -> list[Question]:
            rows = _rows(
                db,
                "SELECT * FROM community_questions WHERE language = ? AND hidden IN (0, ?)"
                " ORDER BY id DESC LIMIT ? OFFSET ?",
                (language, int(hidden), limit, offset),
            )
            return [_question(r) for r in rows]

        return await self.database.run(read)

    async def search(
        self, language: str, query: str, *, limit: int = 10, accepted: bool = False
    ) -> list[Question]:
        match = fts_query(query)
        if not match:
            return []

        def read(db: sqlite_utils.Database) -> list[Question]:
            rows = _rows(
                db,
                # the best-ranked few hundred by FTS5's own rank, then filtered: ranking every
                # question that shares one common word is what would cost
                "SELECT q.* FROM (SELECT rowid, rank FROM community_fts"
                " WHERE community_fts MATCH ? ORDER BY rank LIMIT ?) f"
                " JOIN community_questions q ON q.id = f.rowid"
                " WHERE q.language = ? AND q.hidden = 0"
                " AND (? = 0 OR q.accepted_answer IS NOT NULL)"
                " ORDER BY f.rank LIMIT ?",
                (match, CANDIDATES, language, int(accepted), limit),
            )
            return [_question(r) for r in rows]

        return await self.database.run(read)

    async def vote(self, answer_id: int, voter: str) -> bool:
        def write(db: sqlite_utils.Database) -> bool:
            with db.atomic():
                cursor = db.execute(
                    "INSERT OR IGNORE INTO community_votes (answer_id, voter) VALUES (?, ?)",
                    (answer_id, voter),
                )
                if cursor.rowcount != 1:
                    return False
                db.execute(
                    "UPDATE community_answers SET votes = votes + 1 WHERE id = ?", (answer_id,)
                )
            return True

        return await self.database.run(write)

    async def accept(self, question_id: int, answer_id: int | None) -> None:
        await self._execute(
            "UPDATE community_questions SET accepted_answer = ? WHERE id = ?",
            (answer_id, question_id),
        )

    async def moderate(
        self, kind: str, post_id: int, action: str, *, actor: str, now: float
    ) -> bool:
        sql = moderate_sql(kind, action)

        def write(db: sqlite_utils.Database) -> bool:
            with db.atomic():
                if db.execute(sql, (post_id,)).rowcount != 1:
                    return False
                record(
                    db, at=now, actor=actor, action=f"community.{action}",
                    subject=f"{kind}:{post_id}",
                )  # fmt: skip
            return True

        return await self.database.run(write)

    async def add_sign_in_link(
        self, digest: str, customer_id: str, language: str, now: float, expires_at: float
    ) -> None:
        def write(db: sqlite_utils.Database) -> None:
            with db.atomic():
                db.execute(PURGE_LINKS, (now,))
                db.execute(ADD_LINK, (digest, customer_id, language, now, expires_at))

        await self.database.run(write)

    async def use_sign_in_link(self, digest: str, now: float) -> tuple[str, str] | None:
        def write(db: sqlite_utils.Database) -> tuple[str, str] | None:
            with db.atomic():
                row = db.execute(USE_LINK, (digest,)).fetchone()
                if row is None or row[2] <= now:
                    return None
                db.execute(OTHER_LINKS, (row[0],))
            return str(row[0]), str(row[1])

        return await self.database.run(write)

    async def flagged(self, *, limit: int = 50) -> list[Flagged]:
        def read(db: sqlite_utils.Database) -> list[Flagged]:
            return [flagged_from_row(r) for r in _rows(db, FLAGGED, (limit,))]

        return await self.database.run(read)

    async def awaiting_promotion(self, *, limit: int = 50) -> list[Question]:
        def read(db: sqlite_utils.Database) -> list[Question]:
            return [_question(r) for r in _rows(db, AWAITING_PROMOTION, (limit,))]

        return await self.database.run(read)

    async def report(self, kind: str, post_id: int, reporter: str, now: float) -> bool:
        table = KINDS[kind]

        def write(db: sqlite_utils.Database) -> bool:
            with db.atomic():
                cursor = db.execute(
                    "INSERT OR IGNORE INTO community_reports (kind, post_id, reporter, at)"
                    " VALUES (?, ?, ?, ?)",
                    (kind, post_id, reporter, now),
                )
                if cursor.rowcount != 1:
                    return False
                db.execute(f"UPDATE {table} SET reports = reports + 1 WHERE id = ?", (post_id,))
            return True

        return await self.database.run(write)

    async def count_view(self, question_id: int) -> None:
        await self._execute(
            "UPDATE community_questions SET views = views + 1 WHERE id = ?", (question_id,)
        )

    async def mark_promoted(self, question_id: int) -> None:
        await self._execute(
            "UPDATE community_questions SET promoted = 1 WHERE id = ?", (question_id,)
        )

    async def unanswered(self, before: float, *, limit: int = 50) -> list[Question]:
        def read(db: sqlite_utils.Database) -> list[Question]:
            rows = _rows(
                db,
                "SELECT * FROM community_questions WHERE answers = 0 AND hidden = 0"
                " AND created_at <= ? ORDER BY created_at LIMIT ?",
                (before, limit),
            )
            return [_question(r) for r in rows]

        return await self.database.run(read)

    async def most_viewed(self, *, limit: int = 50) -> list[Question]:
        def read(db: sqlite_utils.Database) -> list[Question]:
            rows = _rows(
                db,
                "SELECT * FROM community_questions WHERE hidden = 0 AND promoted = 0"
                " ORDER BY views DESC, id LIMIT ?",
                (limit,),
            )
            return [_question(r) for r in rows]

        return await self.database.run(read)

    async def _execute(self, sql: str, params: Any) -> None:
        def write(db: sqlite_utils.Database) -> None:
            with db.atomic():
                db.execute(sql, params)

        await self.database.run(write)
