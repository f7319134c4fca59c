"""Export, forget and retention through PrivacyService, once on each store (SQLite and
PostgreSQL): the same seeded data, the same report, the same rows left. Forget reaches every
copy (issue #15 item 7): conversations that name her, conversations that only mention her
email or order number, drafts written from her words, audit details, and the live server's
caches and sockets, in this process and, over Redis, in another.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient

from bot.app import create_app, open_privacy
from bot.cli.program import main
from bot.config import Settings
from bot.core.community import Author
from bot.core.events import Event
from bot.services.curation import write_draft
from channels import widget
from channels.keys import AUDIT, COMMUNITY_STORE, LOG, PRIVACY, SETTINGS, STORE
from tests.channels.test_widget import collect_until_ack, hello
from tests.scale.conftest import redis_url as redis_url
from tests.support.stores import execute, rows

OLD = time.time() - 40 * 86_400
NEW = time.time() - 3_600


async def seed(client: TestClient) -> None:
    """Maria (C1): a verified conversation, an unverified one with her email, one with her
    order number; João (C2): his own. A draft from Maria's words, audited."""
    store = client.app[STORE]
    await store.append("web:verified", [
        Event("user", {"text": "where is my order", "decision": "unknown"}, OLD),
        Event("slot", {"name": "customer_id", "value": "C1"}, OLD),
        Event("bot", {"text": "On its way", "entry": "order-status"}, OLD),
    ], sender="verified", channel="web")  # fmt: skip
    await store.append("web:by-email", [
        Event("user", {"text": "Nobody online? Write to Maria.Silva@example.com"}, NEW),
    ], sender="by-email", channel="web")  # fmt: skip
    await store.append("rest:by-order", [
        Event("user", {"text": "what about order 100777", "decision": "unknown"}, NEW),
    ], sender="by-order", channel="rest")  # fmt: skip
    await store.append("web:joao", [
        Event("user", {"text": "order 200888 please", "decision": "unknown"}, OLD),
        Event("slot", {"name": "customer_id", "value": "C2"}, OLD),
    ], sender="joao", channel="web")  # fmt: skip
    for cid, name, email, phone in (
        ("C1", "Maria", "maria.silva@example.com", "+351 912 345 678"),
        ("C2", "João", "joao@example.com", "+351 933 000 111"),
    ):
        await execute(
            client.app,
            "INSERT INTO customers (customer_id, name, email, phone) VALUES (?, ?, ?, ?)",
            cid, name, email, phone,
        )  # fmt: skip
    for order, cid in (("100777", "C1"), ("200888", "C2")):
        await execute(
            client.app, "INSERT INTO orders (order_id, customer_id) VALUES (?, ?)", order, cid
        )
        await execute(
            client.app,
            "INSERT INTO order_items (order_id, sku, quantity) VALUES (?, 'MUG', 1)",
            order,
        )
    kb = client.app[SETTINGS].kb
    draft = write_draft(kb, "en", ["is order 100777 lost?", "where is order 100777"])
    await client.app[AUDIT].record(
        at=NEW, actor="ana@shop.example", action="draft.written", subject="cluster:x",
        details={"file": str(draft.relative_to(kb))},
    )  # fmt: skip


@pytest.fixture
async def shop(
    aiohttp_client: Any, make_settings: Callable[..., Settings], store_overrides: dict[str, Any]
) -> TestClient:
    client = await aiohttp_client(create_app(make_settings(**store_overrides)))
    await seed(client)
    return client


@pytest.fixture
async def shop_on_redis(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    store_overrides: dict[str, Any],
    redis_url: str,
) -> TestClient:
    """The seeded shop with a Redis broker, for what another process tells it."""
    server = await aiohttp_client(create_app(make_settings(redis=redis_url, **store_overrides)))
    await seed(server)
    return server


def store_args(settings: Settings) -> list[str]:
    """The command line's words for the store the settings name."""
    return ["--database", settings.database] if settings.database else ["--db", str(settings.db)]


async def told_forgotten_and_closed(ws: ClientWebSocketResponse) -> None:
    """The widget's last frame says she was forgotten, then the socket closes."""
    frames = []
    while (msg := await asyncio.wait_for(ws.receive(), 5)).type == WSMsgType.TEXT:
        frames.append(msg.json())
    assert frames[-1] == {"type": "reset", "reason": "forgotten"}
    assert (msg.type, msg.data) == (WSMsgType.CLOSE, widget.FORGOTTEN_CLOSE)


async def conversations(client: TestClient) -> list[str]:
    return sorted(r[0] for r in await rows(client.app, "SELECT id FROM conversations"))


async def test_forget_reaches_every_copy_and_reports_it(shop: TestClient) -> None:
    kb = shop.app[SETTINGS].kb
    erased = await shop.app[PRIVACY].forget("C1", actor="dpo", now=time.time())
    assert await conversations(shop) == ["web:joao"]
    assert sorted(erased.conversations) == ["rest:by-order", "web:by-email", "web:verified"]
    counts = {k: n for k, n in erased.counts.items() if n}
    assert counts == {
        "conversations": 3, "events": 5, "customers": 1, "orders": 1, "order_items": 1,
        "unverified conversations": 2, "drafts": 1, "audit details": 1,
    }  # fmt: skip
    assert list(kb.glob("*/draft-*.md")) == []
    assert await rows(shop.app, "SELECT customer_id FROM customers") == [("C2",)]
    assert await rows(shop.app, "SELECT order_id FROM order_items") == [("200888",)]
    details = await rows(shop.app, "SELECT action, details FROM audit ORDER BY id")
    assert details[0] == ("draft.written", '{"redacted": true}')
    assert details[-1][0] == "customer.forget"
    assert "100777" not in repr(details) and "maria" not in repr(details).lower()


async def test_export_holds_her_rows_and_conversations(shop: TestClient) -> None:
    document = await shop.app[PRIVACY].export("C1", actor="dpo", now=time.time())
    assert document["tables"]["customers"][0]["email"] == "maria.silva@example.com"
    assert [r["order_id"] for r in document["tables"]["orders"]] == ["100777"]
    assert [c["id"] for c in document["conversations"]] == ["web:verified"]
    assert [e["kind"] for e in document["conversations"][0]["events"]] == ["user", "slot", "bot"]
    assert await rows(
        shop.app, "SELECT action, subject FROM audit WHERE action LIKE 'customer.%'"
    ) == [("customer.export", "customer:C1")]


async def test_retention_blanks_old_text_and_names_the_conversations(shop: TestClient) -> None:
    erased = await shop.app[PRIVACY].retention(30, actor="cli", now=time.time())
    assert erased.counts["events"] == 3
    assert erased.conversations == ("web:joao", "web:verified")
    events = await shop.app[STORE].load("web:verified")
    assert [e.data.get("text") for e in events if e.kind in ("user", "bot")] == ["", ""]
    assert events[-1].data["entry"] == "order-status"  # analytics fields stay
    again = await shop.app[PRIVACY].retention(30, actor="cli", now=time.time())
    assert not any(again.counts.values())


async def test_forget_drops_the_cache_and_closes_her_open_widget(shop: TestClient) -> None:
    ws, welcome = await hello(shop)
    session = welcome["session_id"]
    await ws.send_json({"type": "message", "id": "m1", "text": "I am maria.silva@example.com"})
    await collect_until_ack(ws)
    conversation = widget.conversation_id(session)
    await shop.app[LOG].state(conversation)  # cached (on SQLite; PostgreSQL keeps none)
    erased = await shop.app[PRIVACY].forget("C1", actor="dpo", now=time.time())
    assert conversation in erased.conversations
    await told_forgotten_and_closed(ws)
    assert conversation not in shop.app[LOG]._states
    again, resumed = await hello(shop, session_id=session)
    assert resumed["history"] == []  # a reconnect replays nothing of hers
    await again.close()


@pytest.mark.redis
async def test_forget_from_another_process_reaches_the_server_over_redis(
    shop_on_redis: TestClient,
) -> None:
    """The CLI's `open_privacy` (its own broker connection) tells a running server."""
    ws, welcome = await hello(shop_on_redis)
    await ws.send_json({"type": "message", "id": "m1", "text": "order 100777?"})
    await collect_until_ack(ws)
    async with open_privacy(shop_on_redis.app[SETTINGS]) as privacy:
        erased = await privacy.forget("C1", actor="cli", now=time.time())
    assert widget.conversation_id(welcome["session_id"]) in erased.conversations
    await told_forgotten_and_closed(ws)


async def test_the_command_line_forgets_on_the_store_the_settings_name(
    shop: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = shop.app[SETTINGS]
    argv = ["customer", "forget", "C1", *store_args(settings), "--kb", str(settings.kb),
            "--by", "dpo"]  # fmt: skip
    assert await asyncio.to_thread(main, argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "forgot customer C1: 1 audit details, 3 conversations, 1 customers, 1 drafts, 5 events,"
        " 1 order_items, 1 orders, 2 unverified conversations"
    )
    assert await conversations(shop) == ["web:joao"]


async def test_forget_anonymises_her_community_posts_and_their_words(shop: TestClient) -> None:
    """Her questions and answers stay for the others who answered or read them, without
    her name, her words or her votes; the search forgets her words too."""
    community = shop.app[COMMUNITY_STORE]
    maria, joao = Author("customer:C1", "Mari S."), Author("customer:C2", "João")
    now = time.time()
    asked = await community.add_question(
        "en", "Teapot lid cracked", "Mine arrived cracked", maria, now
    )
    other = await community.add_question("en", "Mug sizes", "How big are mugs?", joao, now)
    await community.add_answer(other, "About 350 ml, mine holds tea for two", maria, now)
    erased = await shop.app[PRIVACY].forget("C1", actor="dpo", now=time.time())
    assert erased.counts["community posts"] == 2
    question = await community.question(asked)
    assert question is not None and question.author_name == "A former customer"
    assert "cracked" not in question.title + question.body
    [answer] = await community.answers(other)
    assert answer.author_id == "forgotten" and "350" not in answer.body
    assert await community.search("en", "cracked teapot") == []
    mugs = await community.question(other)
    assert mugs is not None and mugs.author_name == "João"  # others' posts are untouched
