"""PostgresAgentStore: agent accounts, their status, login sessions and login attempts,
shared by processes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from bot.adapters.postgres.database import PostgresDatabase
from bot.adapters.sqlite.agents import _agent as agent_from_row
from bot.core.agents import Agent, Status, token_digest

_SAVE = """
INSERT INTO agents AS a (email, name, role, languages, skills, max_chats, status, password_hash,
                         created_at, disabled)
VALUES ($1, $2, $3, $4, $5, $6, 'offline', COALESCE($7, ''), $8, $9)
ON CONFLICT (email) DO UPDATE SET
    name = EXCLUDED.name, role = EXCLUDED.role, languages = EXCLUDED.languages,
    skills = EXCLUDED.skills, max_chats = EXCLUDED.max_chats,
    password_hash = COALESCE($7, a.password_hash), disabled = EXCLUDED.disabled
"""


class PostgresAgentStore:
    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def save(self, agent: Agent, password_hash: str | None, now: float) -> None:
        """Create or update an agent; keeps the password when `password_hash` is None."""
        async with self.database.transaction() as conn:
            if password_hash is not None:
                # a new password ends every session opened with the old one
                await conn.execute("DELETE FROM agent_sessions WHERE agent = $1", agent.email)
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
                int(agent.disabled),
            )

    async def get(self, email: str) -> Agent | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow("SELECT * FROM agents WHERE email = $1", email.lower())
        return agent_from_row(row) if row else None

    async def password_hash(self, email: str) -> str | None:
        async with self.database.connection() as conn:
            value = await conn.fetchval(
                "SELECT password_hash FROM agents WHERE email = $1 AND disabled = 0",
                email.lower(),
            )
        return str(value) if value is not None else None

    async def all(self) -> list[Agent]:
        async with self.database.connection() as conn:
            rows = await conn.fetch('SELECT * FROM agents ORDER BY email COLLATE "C"')
        return [agent_from_row(r) for r in rows]

    async def set_status(self, email: str, status: Status) -> None:
        async with self.database.connection() as conn:
            await conn.execute(
                "UPDATE agents SET status = $1 WHERE email = $2 AND (disabled = 0 OR $1 = 'offline')",
                status,
                email,
            )

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
                " WHERE token_digest = $1 AND expires_at > $2 AND agents.disabled = 0",
                token_digest(token),
                now,
            )
        return agent_from_row(row) if row else None

    async def end_session(self, token: str) -> None:
        async with self.database.connection() as conn:
            await conn.execute(
                "DELETE FROM agent_sessions WHERE token_digest = $1", token_digest(token)
            )

    async def disable(self, email: str, now: float) -> bool:
        async with self.database.transaction() as conn:
            status = await conn.execute(
                "UPDATE agents SET disabled = 1, status = 'offline' WHERE email = $1",
                email.lower(),
            )
            await conn.execute("DELETE FROM agent_sessions WHERE agent = $1", email.lower())
        return bool(status != "UPDATE 0")

    async def remove(self, email: str) -> bool:
        async with self.database.transaction() as conn:
            await conn.execute("DELETE FROM agent_sessions WHERE agent = $1", email.lower())
            status = await conn.execute("DELETE FROM agents WHERE email = $1", email.lower())
        return bool(status != "DELETE 0")

    async def reserve_login_attempt(
        self, limits: Sequence[tuple[str, int]], now: float, window_s: float
    ) -> str | None:
        """Check and count in one transaction holding each key's advisory lock, so processes
        that share the database count every attempt once."""
        attempt = uuid.uuid4().hex
        keys = sorted(key for key, _ in limits)  # one order for every process: no deadlock
        async with self.database.transaction() as conn:
            for key in keys:
                await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 15))", key)
            for key, limit in limits:
                count = await conn.fetchval(
                    "SELECT count(*) FROM login_failures WHERE key = $1 AND at > $2",
                    key,
                    now - window_s,
                )
                if count >= limit:
                    return None
            await conn.executemany(
                "INSERT INTO login_failures (key, at, attempt) VALUES ($1, $2, $3)",
                [(key, now, attempt) for key, _ in limits],
            )
            await conn.execute(
                "DELETE FROM login_failures WHERE key = ANY($1::text[]) AND at <= $2",
                keys,
                now - window_s,
            )
        return attempt

    async def release_login_attempt(self, attempt: str) -> None:
        async with self.database.connection() as conn:
            await conn.execute("DELETE FROM login_failures WHERE attempt = $1", attempt)
