"""SqliteAgentStore: agent accounts, their status, and login sessions."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.adapters.sqlite.database import SqliteDatabase
from bot.core.agents import Agent, Status, token_digest

migrations = Migrations("agents")


@migrations()
def m001_agents_and_sessions(db: sqlite_utils.Database) -> None:
    db["agents"].create(  # type: ignore[union-attr]
        {
            "email": str,
            "name": str,
            "role": str,
            "languages": str,
            "skills": str,
            "max_chats": int,
            "status": str,
            "password_hash": str,
            "created_at": float,
        },
        pk="email",
    )
    db["agent_sessions"].create(  # type: ignore[union-attr]
        {"token_digest": str, "agent": str, "created_at": float, "expires_at": float},
        pk="token_digest",
        foreign_keys=[("agent", "agents", "email")],
    )
    db["login_failures"].create(  # type: ignore[union-attr]
        {"id": int, "key": str, "at": float}, pk="id"
    )
    db["login_failures"].create_index(["key", "at"])  # type: ignore[union-attr]


def _agent(row: Any) -> Agent:
    return Agent(
        email=row["email"],
        name=row["name"],
        role=row["role"],
        languages=tuple(json.loads(row["languages"])),
        skills=tuple(json.loads(row["skills"])),
        max_chats=row["max_chats"],
        status=row["status"],
    )


class SqliteAgentStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    async def save(self, agent: Agent, password_hash: str | None, now: float) -> None:
        """Create or update an agent; keeps the password when `password_hash` is None."""

        def write(db: sqlite_utils.Database) -> None:
            row: dict[str, Any] = {
                "email": agent.email,
                "name": agent.name,
                "role": agent.role,
                "languages": json.dumps(list(agent.languages)),
                "skills": json.dumps(list(agent.skills)),
                "max_chats": agent.max_chats,
            }
            with db.atomic():
                exists = db.execute(
                    "SELECT 1 FROM agents WHERE email = ?", [agent.email]
                ).fetchone()
                if exists:
                    if password_hash is not None:
                        row["password_hash"] = password_hash
                    db["agents"].update(agent.email, row)  # type: ignore[union-attr]
                else:
                    row.update(status="offline", password_hash=password_hash or "", created_at=now)
                    db["agents"].insert(row)  # type: ignore[union-attr]

        await self.database.run(write)

    async def get(self, email: str) -> Agent | None:
        def read(db: sqlite_utils.Database) -> Agent | None:
            rows = list(db.query("SELECT * FROM agents WHERE email = ?", [email.lower()]))
            return _agent(rows[0]) if rows else None

        return await self.database.run(read)

    async def password_hash(self, email: str) -> str | None:
        def read(db: sqlite_utils.Database) -> str | None:
            row = db.execute(
                "SELECT password_hash FROM agents WHERE email = ?", [email.lower()]
            ).fetchone()
            return row[0] if row else None

        return await self.database.run(read)

    async def all(self) -> list[Agent]:
        def read(db: sqlite_utils.Database) -> list[Agent]:
            return [_agent(r) for r in db.query("SELECT * FROM agents ORDER BY email")]

        return await self.database.run(read)

    async def set_status(self, email: str, status: Status) -> None:
        await self.database.run(
            lambda db: db.execute("UPDATE agents SET status = ? WHERE email = ?", [status, email])
        )

    async def create_session(self, token: str, email: str, now: float, ttl: float) -> None:
        def write(db: sqlite_utils.Database) -> None:
            with db.atomic():
                db.execute("DELETE FROM agent_sessions WHERE expires_at < ?", [now])
                db.execute(
                    "INSERT INTO agent_sessions (token_digest, agent, created_at, expires_at)"
                    " VALUES (?, ?, ?, ?)",
                    [token_digest(token), email, now, now + ttl],
                )

        await self.database.run(write)

    async def session_agent(self, token: str, now: float) -> Agent | None:
        """The agent of a live session token, or None (unknown or expired)."""

        def read(db: sqlite_utils.Database) -> Agent | None:
            rows = list(
                db.query(
                    "SELECT agents.* FROM agent_sessions JOIN agents"
                    " ON agents.email = agent_sessions.agent"
                    " WHERE token_digest = ? AND expires_at > ?",
                    [token_digest(token), now],
                )
            )
            return _agent(rows[0]) if rows else None

        return await self.database.run(read)

    async def end_session(self, token: str) -> None:
        await self.database.run(
            lambda db: db.execute(
                "DELETE FROM agent_sessions WHERE token_digest = ?", [token_digest(token)]
            )
        )

    async def record_login_failure(self, key: str, now: float) -> None:
        await self.database.run(
            lambda db: db.execute("INSERT INTO login_failures (key, at) VALUES (?, ?)", [key, now])
        )

    async def login_failures_since(self, key: str, since: float) -> int:
        def read(db: sqlite_utils.Database) -> int:
            row = db.execute(
                "SELECT COUNT(*) FROM login_failures WHERE key = ? AND at > ?", [key, since]
            ).fetchone()
            return int(row[0])

        return await self.database.run(read)
