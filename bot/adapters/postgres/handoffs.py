"""PostgresHandoffStore: the queue of requests for a person, shared by processes.

A claim is one `UPDATE ... WHERE status = 'waiting' RETURNING`: of concurrent
claims from any number of processes exactly one finds the row still waiting.
A partial unique index keeps at most one open handoff per conversation.
"""

from __future__ import annotations

from bot.adapters import handoff_rows as shared
from bot.adapters.customer_rows import numbered
from bot.adapters.postgres.database import PostgresDatabase
from bot.core.handoff import Handoff

# a partial unique index keeps one open handoff per conversation: a second insert does nothing
_CREATE = numbered(
    shared.INSERT
    + " ON CONFLICT (conversation_id) WHERE status IN ('waiting', 'assigned') DO NOTHING"
    " RETURNING *"
)
_OPEN_FOR = numbered(shared.OPEN_FOR)


class PostgresHandoffStore:
    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def create(self, handoff: Handoff) -> Handoff:
        values = shared.handoff_values(handoff)
        async with self.database.connection() as conn:
            while True:
                row = await conn.fetchrow(_CREATE, *values)
                if row is None:  # one is open already (or was, a moment ago)
                    row = await conn.fetchrow(_OPEN_FOR, handoff.conversation_id)
                if row is not None:
                    return shared.handoff_row(row)

    async def get(self, handoff_id: int) -> Handoff | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow("SELECT * FROM handoffs WHERE id = $1", handoff_id)
        return shared.handoff_row(row) if row else None

    async def open_for(self, conversation_id: str) -> Handoff | None:
        async with self.database.connection() as conn:
            row = await conn.fetchrow(_OPEN_FOR, conversation_id)
        return shared.handoff_row(row) if row else None

    async def queue_head(self, limit: int) -> tuple[list[Handoff], int]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(numbered(shared.QUEUE_HEAD), limit)
            total = await conn.fetchval(shared.WAITING_COUNT)
        return [shared.handoff_row(r) for r in rows], int(total)

    async def position(self, handoff_id: int) -> int | None:
        async with self.database.connection() as conn:
            return int(await conn.fetchval(numbered(shared.POSITION), handoff_id)) or None

    async def list(self, statuses: tuple[str, ...] = ("waiting", "assigned")) -> list[Handoff]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                "SELECT * FROM handoffs WHERE status = ANY($1::text[]) ORDER BY id", list(statuses)
            )
        return [shared.handoff_row(r) for r in rows]

    async def loads(self) -> dict[str, int]:
        async with self.database.connection() as conn:
            rows = await conn.fetch(
                "SELECT agent, count(*) FROM handoffs WHERE status = 'assigned' GROUP BY agent"
            )
        return {r[0]: int(r[1]) for r in rows}

    async def claim(self, handoff_id: int, agent: str, now: float) -> bool:
        async with self.database.connection() as conn:
            won = await conn.fetchval(
                "UPDATE handoffs SET status = 'assigned', agent = $1, claimed_at = $2"
                " WHERE id = $3 AND status = 'waiting' RETURNING id",
                agent,
                now,
                handoff_id,
            )
        return won is not None

    async def claim_if_room(self, handoff_id: int, agent: str, max_chats: int, now: float) -> bool:
        """Auto-assignment from any process: the agent's row lock (held to commit) orders
        the decisions about one agent, so the load counted is the load at the update."""
        async with self.database.transaction() as conn:
            await conn.execute("SELECT 1 FROM agents WHERE email = $1 FOR UPDATE", agent)
            won = await conn.fetchval(
                "UPDATE handoffs SET status = 'assigned', agent = $1, claimed_at = $2"
                " WHERE id = $3 AND status = 'waiting' AND (SELECT count(*) FROM handoffs"
                " WHERE agent = $1 AND status = 'assigned') < $4 RETURNING id",
                agent, now, handoff_id, max_chats,
            )  # fmt: skip
        return won is not None

    async def transfer(self, handoff_id: int, from_agent: str, to_agent: str) -> bool:
        async with self.database.connection() as conn:
            moved = await conn.fetchval(
                "UPDATE handoffs SET agent = $1 WHERE id = $2 AND status = 'assigned'"
                " AND agent = $3 RETURNING id",
                to_agent,
                handoff_id,
                from_agent,
            )
        return moved is not None

    async def resolve(self, handoff_id: int, agent: str | None, now: float) -> bool:
        async with self.database.connection() as conn:
            done = await conn.fetchval(
                "UPDATE handoffs SET status = 'resolved', resolved_at = $1 WHERE id = $2"
                " AND status IN ('waiting', 'assigned') AND ($3::text IS NULL OR agent = $3)"
                " RETURNING id",
                now,
                handoff_id,
                agent,
            )
        return done is not None

    async def set_contact(self, handoff_id: int, email: str) -> None:
        async with self.database.connection() as conn:
            await conn.execute(
                "UPDATE handoffs SET contact_email = $1 WHERE id = $2", email, handoff_id
            )
