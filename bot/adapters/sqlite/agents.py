"""SqliteAgentStore: agent accounts, their status, login sessions and login attempts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.adapters.sqlite.database import SqliteDatabase
from bot.core.agents import Agent, Status, token_digest

migrations = Migrations("agents")


@migrations()
def m001_agents_and_sessions(db: sqlite_utils.Database) -> None:
    db.table("agents").create(
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
    db.table("agent_sessions").create(
        {"token_digest": str, "agent": str, "created_at": float, "expires_at": float},
        pk="token_digest",
        foreign_keys=[("agent", "agents", "email")],
    )
    db.table("login_failures").create({"id": int, "key": str, "at": float}, pk="id")
    db.table("login_failures").create_index(["key", "at"])


@migrations()
def m002_disabled_agents_and_login_attempts(db: sqlite_utils.Database) -> None:
    db.table("agents").add_column("disabled", int, not_null_default=0)
    # an attempt is counted before its password is checked; a success takes it back
    db.table("login_failures").add_column("attempt", str)
    db.table("login_failures").create_index(["attempt"])
    db.table("agent_sessions").create_index(["agent"])


def _agent(row: Any) -> Agent:
    return Agent(
        email=row["email"],
        name=row["name"],
        role=row["role"],
        languages=tuple(json.loads(row["languages"])),
        skills=tuple(json.loads(row["skills"])),
        max_chats=row["max_chats"],
        status=row["status"],
        disabled=bool(row["disabled"]),
    )


def agent_emails(db: sqlite_utils.Database) -> frozenset[str]:
    """Every agent's email (for `seed-demo`'s check that a file is the demo's)."""
    return frozenset(r[0] for r in db.execute("SELECT email FROM agents").fetchall())


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
                "disabled": int(agent.disabled),
            }
            with db.atomic():
                exists = db.execute(
                    "SELECT 1 FROM agents WHERE email = ?", [agent.email]
                ).fetchone()
                if exists:
                    if password_hash is not None:
                        row["password_hash"] = password_hash
                        # a new password ends every session opened with the old one
                        db.execute("DELETE FROM agent_sessions WHERE agent = ?", [agent.email])
                    db.table("agents").update(agent.email, row)
                else:
                    row.update(status="offline", password_hash=password_hash or "", created_at=now)
                    db.table("agents").insert(row)

        await self.database.run(write)

    async def get(self, email: str) -> Agent | None:
        def read(db: sqlite_utils.Database) -> Agent | None:
            rows = list(db.query("SELECT * FROM agents WHERE email = ?", [email.lower()]))
            return _agent(rows[0]) if rows else None

        return await self.database.run(read)

    async def password_hash(self, email: str) -> str | None:
        def read(db: sqlite_utils.Database) -> str | None:
            row = db.execute(
                "SELECT password_hash FROM agents WHERE email = ? AND disabled = 0",
                [email.lower()],
            ).fetchone()
            return row[0] if row else None

        return await self.database.run(read)

    async def all(self) -> list[Agent]:
        def read(db: sqlite_utils.Database) -> list[Agent]:
            return [_agent(r) for r in db.query("SELECT * FROM agents ORDER BY email")]

        return await self.database.run(read)

    async def set_status(self, email: str, status: Status) -> None:
        await self.database.run(
            lambda db: db.execute(
                "UPDATE agents SET status = ? WHERE email = ? AND (disabled = 0 OR ? = 'offline')",
                [status, email, status],
            )
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
                    " WHERE token_digest = ? AND expires_at > ? AND agents.disabled = 0",
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

    async def disable(self, email: str, now: float) -> bool:
        def write(db: sqlite_utils.Database) -> bool:
            with db.atomic():
                changed = db.execute(
                    "UPDATE agents SET disabled = 1, status = 'offline' WHERE email = ?",
                    [email.lower()],
                ).rowcount
                db.execute("DELETE FROM agent_sessions WHERE agent = ?", [email.lower()])
            return bool(changed)

        return await self.database.run(write)

    async def remove(self, email: str) -> bool:
        def write(db: sqlite_utils.Database) -> bool:
            with db.atomic():
                db.execute("DELETE FROM agent_sessions WHERE agent = ?", [email.lower()])
                return bool(
                    db.execute("DELETE FROM agents WHERE email = ?", [email.lower()]).rowcount
                )

        return await self.database.run(write)

    async def reserve_login_attempt(
        self, limits: Sequence[tuple[str, int]], now: float, window_s: float
    ) -> str | None:
        """Check and count in one transaction on the store's one writer thread."""

        def write(db: sqlite_utils.Database) -> str | None:
            since = now - window_s
            attempt = uuid.uuid4().hex
            with db.atomic():
                for key, limit in limits:
                    db.execute("DELETE FROM login_failures WHERE key = ? AND at <= ?", [key, since])
                    (count,) = db.execute(
                        "SELECT COUNT(*) FROM login_failures WHERE key = ?", [key]
                    ).fetchone()
                    if count >= limit:
                        return None
                for key, _ in limits:
                    db.execute(
                        "INSERT INTO login_failures (key, at, attempt) VALUES (?, ?, ?)",
                        [key, now, attempt],
                    )
            return attempt

        return await self.database.run(write)

    async def release_login_attempt(self, attempt: str) -> None:
        await self.database.run(
            lambda db: db.execute("DELETE FROM login_failures WHERE attempt = ?", [attempt])
        )
