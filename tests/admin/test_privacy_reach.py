"""Export, forget and retention reach every copy of a customer's data beyond the core tables,
once on each store (SQLite and PostgreSQL): the files she sent (#19), her notices, consent,
watches and occasions (#20), her community posts and votes (#22); through the service, the
command line and the admin API; and the agents' consoles drop what forget erased (#18).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient

from bot.app import NOTICE_STORE, attachment_store
from bot.cli.program import main
from bot.core.attachments import Attachment
from bot.core.community import Author
from bot.core.notices import Due
from bot.knowledge.notices import Templates
from bot.services.attachments import AttachmentService
from channels.keys import COMMUNITY_STORE, LOG, PRIVACY, SETTINGS
from tests.admin.conftest import add_agent
from tests.admin.test_privacy_parity import NEW, OLD, store_args
from tests.admin.test_privacy_parity import shop as shop
from tests.admin.test_privacy_parity import shop_on_redis as shop_on_redis
from tests.scale.conftest import redis_url as redis_url
from tests.support.stores import execute, rows

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n" + b"her invoice " * 50


async def send_file(client: TestClient, conversation: str, data: bytes, at: float) -> str:
    service = AttachmentService(
        attachment_store(client.app[SETTINGS]),
        client.app[LOG],
        100_000,
        key=b"test attachment links",
        clock=lambda: at,
    )
    event = await service.receive(conversation, data, sender="s", channel="web")
    return str(event.data["attachment"]["id"])


def files(client: TestClient) -> list[str]:
    folder = client.app[SETTINGS].db.parent / "attachments"
    return sorted(p.name for p in folder.glob("*")) if folder.is_dir() else []


# --- attachments (#19) ---------------------------------------------------------------------


async def test_export_lists_her_files_and_the_command_writes_them(
    shop: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = await send_file(shop, "web:verified", PNG, NEW)
    await send_file(shop, "web:joao", PDF, NEW)
    document = await shop.app[PRIVACY].export("C1", actor="dpo", now=time.time())
    [listed] = document["attachments"]
    assert listed == {
        "id": mine, "type": "image/png", "size": len(PNG), "conversation_id": "web:verified",
        "created_at": NEW, "file": f"{mine}.png", "url": f"/api/attachments/{mine}",
    }  # fmt: skip
    settings = shop.app[SETTINGS]
    monkeypatch.setenv("BALCAO_DB", str(settings.db))  # the files' folder beside it, as deployed
    out, folder = tmp_path / "c1.json", tmp_path / "c1-files"
    argv = ["customer", "export", "C1", *store_args(settings), "--out", str(out),
            "--attachments", str(folder)]  # fmt: skip
    assert await asyncio.to_thread(main, argv) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert [a["id"] for a in written["attachments"]] == [mine]
    assert sorted(p.name for p in folder.iterdir()) == [f"{mine}.png"]
    assert (folder / f"{mine}.png").read_bytes() == PNG


async def test_forget_deletes_her_files_from_disk_and_keeps_the_others(shop: TestClient) -> None:
    kept = await send_file(shop, "web:joao", PDF, NEW)
    await send_file(shop, "web:verified", PNG, NEW)
    await send_file(shop, "web:by-email", PDF, NEW)  # sent before she verified
    # a file whose event was never written (the store failed after the save) is found too
    await attachment_store(shop.app[SETTINGS]).save(
        Attachment("orphan-of-maria-0001", "web:verified", "image/png", len(PNG), NEW), PNG
    )
    erased = await shop.app[PRIVACY].forget("C1", actor="dpo", now=time.time())
    assert erased.counts["attachments"] == 3
    assert files(shop) == [f"{kept}.json", f"{kept}.pdf"]


async def test_retention_deletes_files_older_than_its_cutoff(shop: TestClient) -> None:
    await send_file(shop, "web:verified", PNG, OLD)
    recent = await send_file(shop, "web:joao", PDF, NEW)
    erased = await shop.app[PRIVACY].retention(30, actor="cli", now=time.time())
    assert erased.counts["attachments"] == 1
    assert files(shop) == [f"{recent}.json", f"{recent}.pdf"]


# --- notices, consent, watches and occasions (#20) --------------------------------------------


async def seed_notices(client: TestClient, now: datetime) -> None:
    notices = client.app[NOTICE_STORE]
    for cid, order in (("C1", "100777"), ("C2", "200888")):
        await notices.enqueue(
            [Due("order.shipped", cid, order, now, {"tracking": "TRK-" + order})], now
        )
        await notices.set_consent(cid, "marketing", "in", now, "chat", "Yes, tell me")
        await notices.watch(cid, "occasion", "birthday of Ana:05-14", now)
        await notices.watch(cid, "back_in_stock", "TEAPOT", now)


async def test_her_notices_consent_and_watches_are_exported_then_forgotten(
    shop: TestClient,
) -> None:
    await seed_notices(shop, datetime.now(UTC))
    document = await shop.app[PRIVACY].export("C1", actor="dpo", now=time.time())
    tables = document["tables"]
    assert [n["subject"] for n in tables["notices"]] == ["100777"]
    assert [(c["scope"], c["state"], c["wording"]) for c in tables["notice_consent"]] == [
        ("marketing", "in", "Yes, tell me")
    ]
    assert sorted(w["kind"] for w in tables["notice_watches"]) == ["back_in_stock", "occasion"]
    erased = await shop.app[PRIVACY].forget("C1", actor="dpo", now=time.time())
    assert (erased.counts["notices"], erased.counts["notice_consent"]) == (1, 1)
    assert erased.counts["notice_watches"] == 2
    for table in ("notices", "notice_consent", "notice_watches"):
        left = await rows(shop.app, f"SELECT DISTINCT customer_id FROM {table}")
        assert left == [("C2",)], table


async def test_an_import_after_forget_does_not_record_her_consent_again(shop: TestClient) -> None:
    """What stays of her is a hash of her id, and only to keep her consent from coming back."""
    notices = shop.app[NOTICE_STORE]
    await shop.app[PRIVACY].forget("C1", actor="dpo", now=time.time())
    kept = await rows(shop.app, "SELECT customer_hash FROM notice_suppressions")
    assert len(kept) == 1 and "C1" not in kept[0][0] and len(kept[0][0]) == 64
    records = [
        {
            "customer_id": cid,
            "name": name,
            "email": email,
            "created_at": "2025-01-02",
            "marketing_opt_in": "yes",
        }
        for cid, name, email in (
            ("C1", "Maria", "maria.silva@example.com"),
            ("C3", "Rita", "rita@example.com"),
        )
    ]
    await notices.apply_records("customers.csv", records, datetime.now(UTC), Templates())
    assert await rows(shop.app, "SELECT customer_id, scope, state FROM notice_consent") == [
        ("C3", "marketing", "in")
    ]


async def test_retention_blanks_old_notices_words_but_not_those_still_to_send(
    shop: TestClient,
) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    notices = shop.app[NOTICE_STORE]
    await notices.enqueue([Due("order.shipped", "C1", "100777", old, {"tracking": "TRK-1"})], old)
    await notices.enqueue([Due("order.delayed", "C1", "100777", old, {"tracking": "TRK-2"})], old)
    await notices.enqueue([Due("order.shipped", "C2", "200888", old, {"tracking": "TRK-3"})], old)
    await execute(
        shop.app,
        "UPDATE notices SET status = 'sent', title = 'Shipped', body = 'Dear Maria, TRK-1'"
        " WHERE fields LIKE '%TRK-1%' OR fields LIKE '%TRK-3%'",
    )
    erased = await shop.app[PRIVACY].retention(30, actor="cli", now=time.time())
    assert erased.counts["notices"] == 2
    left = await rows(
        shop.app, "SELECT trigger, status, title, body, fields FROM notices ORDER BY notice_id"
    )
    assert left[0] == ("order.shipped", "sent", "", "", "{}")
    assert left[1][:2] == ("order.delayed", "due") and "TRK-2" in left[1][4]  # still to send


# --- community posts and votes (#22) ----------------------------------------------------------


async def test_export_holds_her_community_posts_votes_and_reports(shop: TestClient) -> None:
    community = shop.app[COMMUNITY_STORE]
    maria, joao = Author("customer:C1", "Mari S."), Author("customer:C2", "João")
    now = time.time()
    asked = await community.add_question("en", "Teapot lid cracked", "Arrived cracked", maria, now)
    other = await community.add_question("en", "Mug sizes", "How big are mugs?", joao, now)
    answer = await community.add_answer(other, "About 350 ml", maria, now)
    his = await community.add_answer(asked, "Ask for a new lid", joao, now)
    await community.vote(his, "customer:C1")
    await community.report("answer", his, "customer:C1", now)
    tables = (await shop.app[PRIVACY].export("C1", actor="dpo", now=now))["tables"]
    assert [(q["id"], q["title"], q["author_name"]) for q in tables["community_questions"]] == [
        (asked, "Teapot lid cracked", "Mari S.")
    ]
    assert [(a["id"], a["body"]) for a in tables["community_answers"]] == [(answer, "About 350 ml")]
    assert [v["answer_id"] for v in tables["community_votes"]] == [his]
    assert [(r["kind"], r["post_id"]) for r in tables["community_reports"]] == [("answer", his)]


async def test_retention_drops_old_votes_and_reports_and_keeps_the_posts(shop: TestClient) -> None:
    community = shop.app[COMMUNITY_STORE]
    maria, joao = Author("customer:C1", "Mari S."), Author("customer:C2", "João")
    old_q = await community.add_question("en", "Old question", "Long ago", joao, OLD)
    old_a = await community.add_answer(old_q, "Long ago answer", joao, OLD)
    new_a = await community.add_answer(old_q, "Fresh answer", joao, NEW)
    for answer in (old_a, new_a):
        await community.vote(answer, maria.id)
    await community.report("answer", old_a, maria.id, OLD)
    await community.report("answer", new_a, maria.id, NEW)
    erased = await shop.app[PRIVACY].retention(30, actor="cli", now=time.time())
    assert (erased.counts["community_votes"], erased.counts["community_reports"]) == (1, 1)
    assert await rows(shop.app, "SELECT answer_id FROM community_votes") == [(new_a,)]
    assert await rows(shop.app, "SELECT post_id FROM community_reports") == [(new_a,)]
    question = await community.question(old_q)
    assert question is not None and question.title == "Old question"  # published: it stays


# --- the admin API ---------------------------------------------------------------------------


async def test_an_admin_forgets_and_exports_a_customer_over_the_api(shop: TestClient) -> None:
    admin = await add_agent(shop, "dpo@shop.example", "admin")
    mine = await send_file(shop, "web:verified", PNG, NEW)
    response = await shop.get("/api/admin/customers/C1/export", headers=admin)
    assert response.status == 200, await response.text()
    document = await response.json()
    assert [a["url"] for a in document["attachments"]] == [f"/api/attachments/{mine}"]
    served = await shop.get(f"/api/attachments/{mine}", headers=admin)
    assert (served.status, await served.read()) == (200, PNG)

    response = await shop.post("/api/admin/customers/C1/forget", headers=admin)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["removed"]["conversations"] == 3 and body["removed"]["attachments"] == 1
    assert body["removed"]["customers"] == 1 and body["warehouse_exports"] == []
    assert files(shop) == []
    assert await rows(
        shop.app, "SELECT actor, action FROM audit WHERE action LIKE 'customer.%'"
    ) == [
        ("dpo@shop.example", "customer.export"),
        ("dpo@shop.example", "customer.forget"),
    ]
    gone = await shop.get("/api/admin/customers/C1/export", headers=admin)
    assert gone.status == 404
    assert (await gone.json())["error"]["code"] == "unknown_customer"


# --- the agents' consoles (#18) -----------------------------------------------------------


async def console_socket(client: TestClient) -> ClientWebSocketResponse:
    headers = await add_agent(client, "ana@shop.example", "agent")
    ws = await client.ws_connect("/api/agent/ws")
    await ws.send_json({"type": "auth", "token": headers["Authorization"].split()[1]})
    assert (await ws.receive_json(timeout=5))["type"] == "ready"
    return ws


async def next_frame_of(ws: ClientWebSocketResponse, kind: str, wait: float = 5) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = await ws.receive_json(timeout=wait)
        if frame["type"] == kind:
            return frame


async def test_the_console_is_told_which_conversations_forget_erased(shop: TestClient) -> None:
    ws = await console_socket(shop)
    await shop.app[PRIVACY].retention(30, actor="cli", now=time.time())  # blanks, erases nothing
    admin = await add_agent(shop, "dpo@shop.example", "admin")
    response = await shop.post("/api/admin/customers/C1/forget", headers=admin)
    assert response.status == 200
    frame = await next_frame_of(ws, "forgotten")
    assert sorted(frame["conversations"]) == ["rest:by-order", "web:by-email", "web:verified"]
    await ws.close()


@pytest.mark.redis
async def test_a_forget_on_the_command_line_reaches_consoles_of_every_process(
    shop_on_redis: TestClient, redis_url: str
) -> None:
    ws = await console_socket(shop_on_redis)
    settings = shop_on_redis.app[SETTINGS]
    argv = ["customer", "forget", "C1", *store_args(settings), "--redis", redis_url,
            "--kb", str(settings.kb)]  # fmt: skip
    assert await asyncio.to_thread(main, argv) == 0
    frame = await next_frame_of(ws, "forgotten")
    assert "web:verified" in frame["conversations"]
    await ws.close()
