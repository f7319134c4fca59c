"""SqliteHandoffStore: the queue of requests for a person, and who holds each."""

from __future__ import annotations

from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.adapters import handoff_rows as shared
from bot.adapters.sqlite.database import SqliteDatabase
from bot.core.handoff import Handoff

migrations = Migrations("handoffs")


@migrations()
def m001_handoffs(db: sqlite_utils.Database) -> None:
    db.table("handoffs").create(
        {
            "id": int,
            "conversation_id": str,
            "sender": str,
            "channel": str,
            "reason": str,
            "language": str,
            "priority": int,
            "created_at": float,
            "status": str,
            "tier": str,
            "customer_id": str,
            "account_manager": str,
            "skills": str,
            "offline": int,
            "agent": str,
            "claimed_at": float,
            "resolved_at": float,
            "contact_email": str,
            "flags": str,
        },
        pk="id",
    )
    db.table("handoffs").create_index(["status", "priority"])
    db.table("handoffs").create_index(["conversation_id"])
    db.table("handoffs").create_index(["agent", "status"])


class SqliteHandoffStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    async def create(self, handoff: Handoff) -> Handoff:
        def write(db: sqlite_utils.Database) -> Handoff:
            with db.atomic():
                rows = list(db.query(shared.OPEN_FOR, [handoff.conversation_id]))
                if rows:
                    return shared.handoff_row(rows[0])
                new_id = db.conn.execute(shared.INSERT, shared.handoff_values(handoff)).lastrowid
            return shared.handoff_row(
                next(db.query("SELECT * FROM handoffs WHERE id = ?", [new_id]))
            )

        return await self.database.run(write)

    async def get(self, handoff_id: int) -> Handoff | None:
        def read(db: sqlite_utils.Database) -> Handoff | None:
            rows = list(db.query("SELECT * FROM handoffs WHERE id = ?", [handoff_id]))
            return shared.handoff_row(rows[0]) if rows else None

        return await self.database.run(read)

    async def open_for(self, conversation_id: str) -> Handoff | None:
        def read(db: sqlite_utils.Database) -> Handoff | None:
            rows = list(db.query(shared.OPEN_FOR, [conversation_id]))
            return shared.handoff_row(rows[0]) if rows else None

        return await self.database.run(read)

    async def queue_head(self, limit: int) -> tuple[list[Handoff], int]:
        def read(db: sqlite_utils.Database) -> tuple[list[Handoff], int]:
            head = [shared.handoff_row(r) for r in db.query(shared.QUEUE_HEAD, [limit])]
            return head, int(db.execute(shared.WAITING_COUNT).fetchone()[0])

        return await self.database.run(read)

    async def position(self, handoff_id: int) -> int | None:
        def read(db: sqlite_utils.Database) -> int | None:
            return int(db.execute(shared.POSITION, [handoff_id]).fetchone()[0]) or None

        return await self.database.run(read)

    async def list(self, statuses: tuple[str, ...] = ("waiting", "assigned")) -> list[Handoff]:
        def read(db: sqlite_utils.Database) -> list[Handoff]:
            marks = ", ".join("?" * len(statuses))
            return [
                shared.handoff_row(r)
                for r in db.query(
                    f"SELECT * FROM handoffs WHERE status IN ({marks}) ORDER BY id", list(statuses)
                )
            ]

        return await self.database.run(read)

    async def loads(self) -> dict[str, int]:
        def read(db: sqlite_utils.Database) -> dict[str, int]:
            rows = db.execute(
                "SELECT agent, COUNT(*) FROM handoffs WHERE status = 'assigned' GROUP BY agent"
            ).fetchall()
            return {agent: count for agent, count in rows}

        return await self.database.run(read)

    async def claim(self, handoff_id: int, agent: str, now: float) -> bool:
        def write(db: sqlite_utils.Database) -> bool:
            with db.atomic():
                cursor = db.conn.execute(
                    "UPDATE handoffs SET status = 'assigned', agent = ?, claimed_at = ?"
                    " WHERE id = ? AND status = 'waiting'",
                    [agent, now, handoff_id],
                )
                return cursor.rowcount == 1

        return await self.database.run(write)

    async def claim_if_room(self, handoff_id: int, agent: str, max_chats: int, now: float) -> bool:
        """One conditional UPDATE on the single writer: the load is counted as it is changed."""

        def write(db: sqlite_utils.Database) -> bool:
            with db.atomic():
                cursor = db.conn.execute(
                    "UPDATE handoffs SET status = 'assigned', agent = ?, claimed_at = ?"
                    " WHERE id = ? AND status = 'waiting' AND (SELECT count(*) FROM handoffs"
                    " WHERE agent = ? AND status = 'assigned') < ?",
                    [agent, now, handoff_id, agent, max_chats],
                )
                return cursor.rowcount == 1

        return await self.database.run(write)

    async def transfer(self, handoff_id: int, from_agent: str, to_agent: str) -> bool:
        def write(db: sqlite_utils.Database) -> bool:
            with db.atomic():
                cursor = db.conn.execute(
                    "UPDATE handoffs SET agent = ? WHERE id = ? AND status = 'assigned' AND agent = ?",
                    [to_agent, handoff_id, from_agent],
                )
                return cursor.rowcount == 1

        return await self.database.run(write)

    async def resolve(self, handoff_id: int, agent: str | None, now: float) -> bool:
        def write(db: sqlite_utils.Database) -> bool:
            with db.atomic():
                sql = "UPDATE handoffs SET status = 'resolved', resolved_at = ? WHERE id = ?"
                sql += " AND status IN ('waiting', 'assigned')"
                params: list[Any] = [now, handoff_id]
                if agent is not None:
                    sql += " AND agent = ?"
                    params.append(agent)
                return db.conn.execute(sql, params).rowcount == 1

        return await self.database.run(write)

    async def set_contact(self, handoff_id: int, email: str) -> None:
        await self.database.run(
            lambda db: db.execute(
                "UPDATE handoffs SET contact_email = ? WHERE id = ?", [email, handoff_id]
            )
        )
