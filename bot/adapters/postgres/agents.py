"""PostgresAgentStore: agent accounts, their status, and login sessions, shared by processes."""

from __future__ import annotations

import json

from bot.adapters.postgres.database import PostgresDatabase
from bot.adapters.sqlite.agents import _agent as agent_from_row
from bot.core.agents import Agent, Status, token_digest

_SAVE = """
INSERT INTO agents AS a (email, name, role, languages, skills, max_chats, status, password_hash,
                         created_at)
VALUES ($1, $2, $3, $4, $5, $6, 'offline', COALESCE($7, ''), $8)
ON CONFLICT (email) DO UPDATE SET
    name = EXCLUDED.name, role = EXCLUDED.role, languages = EXCLUDED.languages,
    skills = EXCLUDED.skills, max_chats = EXCLUDED.max_chats,
    password_hash = COALESCE($7, a.password_hash)
"""


class PostgresAgentStore:
    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def save(self, agent: Agent, password_hash: str | None, now: float) -> None:
        """Create or update an agent; keeps the password when `password_hash` is None."""
        async with self.database.connection() as conn:
            await conn.execute(
                _SAVE,
                agent.email,
                agent.name,
                agent.role,
                json.dumps(list(agent.languages)),
                json.dumps(list(agent.skills)),
                agent.max_chats,
                password_hash,
                now,
            )

    async def get(self, email: str) -> Agent | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow("SELECT * FROM agents WHERE email = $1", email.lower())
        return agent_from_row(row) if row else None

    async def password_hash(self, email: str) -> str | None:
        async with self.database.connection() as conn:
            value = await conn.fetchval(
                "SELECT password_hash FROM agents WHERE email = $1", email.lower()
            )
        return str(value) if value is not None else None

    async def all(self) -> list[Agent]:
        async with self.database.connection() as conn:
            rows = await conn.fetch('SELECT * FROM agents ORDER BY email COLLATE "C"')
        return [agent_from_row(r) for r in rows]

    async def set_status(self, email: str, status: Status) -> None:
        async with self.database.connection() as conn:
            await conn.execute("UPDATE agents SET status = $1 WHERE email = $2", status, email)

    async def create_session(self, token: str, email: str, now: float, ttl: float) -> None:
        async with self.database.transaction() as conn:
            await conn.execute("DELETE FROM agent_sessions WHERE expires_at < $1", now)
            await conn.execute(
                "INSERT INTO agent_sessions (token_digest, agent, created_at, expires_at)"
                " VALUES ($1, $2, $3, $4)",
                token_digest(token),
                email,
                now,
                now + ttl,
            )

    async def session_agent(self, token: str, now: float) -> Agent | None:
        """The agent of a live session token, or None (unknown or expired)."""
        async with self.database.connection() as conn:
            row = await conn.fetchrow(
                "SELECT agents.* FROM agent_sessions JOIN agents"
                " ON agents.email = agent_sessions.agent"
                " WHERE token_digest = $1 AND expires_at > $2",
                token_digest(token),
                now,
            )
        return agent_from_row(row) if row else None

    async def end_session(self, token: str) -> None:
        async with self.database.connection() as conn:
            await conn.execute(
                "DELETE FROM agent_sessions WHERE token_digest = $1", token_digest(token)
            )

    async def record_login_failure(self, key: str, now: float) -> None:
        async with self.database.connection() as conn:
            await conn.execute("INSERT INTO login_failures (key, at) VALUES ($1, $2)", key, now)

    async def login_failures_since(self, key: str, since: float) -> int:
        async with self.database.connection() as conn:
            count = await conn.fetchval(
                "SELECT count(*) FROM login_failures WHERE key = $1 AND at > $2", key, since
            )
        return int(count)
