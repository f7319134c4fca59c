"""The desk with a long queue: how long a claim and an agent going online take with W waiting.

    python benchmarks/bench_desk.py --waiting 10000

Real parts: a temporary SQLite file with the server's migrations, the SQLite handoff,
agent and conversation stores, the in-process broker. The queue is filled through the
handoff store, as 10,000 customers asking for a person would fill it.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bot.adapters.broker import InProcessBroker
from bot.adapters.sqlite.agents import SqliteAgentStore
from bot.adapters.sqlite.conversations import SqliteConversationStore
from bot.adapters.sqlite.database import SqliteDatabase
from bot.adapters.sqlite.handoffs import SqliteHandoffStore
from bot.app import MIGRATIONS
from bot.core.agents import new_agent
from bot.core.business_hours import BusinessHours
from bot.core.handoff import Handoff
from bot.services.conversation_log import ConversationLog
from bot.services.desk import Desk


async def run(waiting: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        database = await SqliteDatabase(Path(folder) / "desk.sqlite3", MIGRATIONS).open()
        try:
            handoffs, agents = SqliteHandoffStore(database), SqliteAgentStore(database)
            broker = InProcessBroker()
            log = ConversationLog(SqliteConversationStore(database), broker)
            desk = Desk(handoffs, agents, log, broker, BusinessHours.parse("always", "UTC", ""))
            now = time.time()
            for i in range(waiting):
                await handoffs.create(
                    Handoff(0, f"c{i}", f"s{i}", "widget", "asked_for_person", "en", 1, now + i)
                )
            ana = new_agent("ana@shop.example", "Ana", max_chats=3)
            rui = new_agent("rui@shop.example", "Rui", max_chats=3)
            for agent in (ana, rui):
                await agents.save(agent, None, now)
            await agents.set_status(ana.email, "online")
            first = (await desk.queue("waiting"))[0]
            started = time.perf_counter()
            await desk.claim(first.id, (await agents.get(ana.email)) or ana)
            claim = time.perf_counter() - started
            started = time.perf_counter()
            await desk.set_status(rui, "online")
            online = time.perf_counter() - started
            assigned = len(await handoffs.list(("assigned",)))
            return {"claim_s": claim, "online_s": online, "assigned": assigned}
        finally:
            await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--waiting", type=int, default=10_000)
    args = parser.parse_args()
    result = asyncio.run(run(args.waiting))
    print(
        f"| {args.waiting:,} waiting | claim {result['claim_s'] * 1000:.0f} ms"
        f" | going online (auto-assign) {result['online_s'] * 1000:.0f} ms"
        f" | assigned {result['assigned']:.0f} |"
    )


if __name__ == "__main__":
    main()
