"""Moderating the community over HTTP, once on each store (SQLite and PostgreSQL): the review
queue the console shows, the agents' actions on it, and the audit trail each action leaves
in the same transaction."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from tests.channels.test_community import ask, sign_in
from tests.security.conftest import SECRET, bearer, make_agent
from tests.support.stores import execute, rows


@pytest.fixture
async def client(
    aiohttp_client: Any, make_settings: Callable[..., Settings], store_overrides: dict[str, Any]
) -> TestClient:
    settings = make_settings(
        business_hours="always", auto_assign=False, secret=SECRET, **store_overrides
    )
    return await aiohttp_client(create_app(settings))


async def _thread(client: TestClient) -> tuple[int, int]:
    """Ana asks; Rui answers rudely; both are reported: (question id, answer id)."""
    ana = await sign_in(client, "c1", "Ana")
    where = await ask(client, ana, "Como devolvo um casaco?", "Ficou pequeno.")
    question_id = int(where.rsplit("/", 1)[1])
    rui = await sign_in(client, "c2", "Rui")
    await client.post(
        f"/community/pt/{question_id}/answer", data={"body": "Pergunta parva, ó tótó"}, headers=rui
    )
    page = await (await client.get(where)).text()
    answer_id = int(re.search(r'data-answer="(\d+)"', page).group(1))  # type: ignore[union-attr]
    for who in (ana, await sign_in(client, "c3", "Eva")):
        reported = await client.post(
            "/community/report", data={"kind": "answer", "id": answer_id}, headers=who
        )
        assert reported.status == 200
    return question_id, answer_id


async def test_the_review_queue_lists_reported_posts_for_agents_only(client: TestClient) -> None:
    question_id, answer_id = await _thread(client)
    assert (await client.get("/api/community/moderation")).status == 401
    agent = await make_agent(client, "eva@shop.example", "agent")
    response = await client.get("/api/community/moderation", headers=bearer(agent))
    assert response.status == 200
    queue = await response.json()
    assert [(f["kind"], f["id"], f["reports"]) for f in queue["flagged"]] == [
        ("answer", answer_id, 2)
    ]
    assert queue["flagged"][0]["body"] == "Pergunta parva, ó tótó"
    assert queue["flagged"][0]["url"] == f"/community/pt/{question_id}"
    assert queue["awaiting_promotion"] == []

    approved = await client.post(
        f"/api/community/answer/{answer_id}/approve", headers=bearer(agent)
    )
    assert approved.status == 200
    queue = await (await client.get("/api/community/moderation", headers=bearer(agent))).json()
    assert queue["flagged"] == []
    assert "Pergunta parva" in await (await client.get(f"/community/pt/{question_id}")).text()

    missing = await client.post("/api/community/answer/999999/hide", headers=bearer(agent))
    assert missing.status == 404
    answer_lock = await client.post(
        f"/api/community/answer/{answer_id}/lock", headers=bearer(agent)
    )
    assert answer_lock.status == 400


async def test_every_moderation_action_is_audited_on_either_store(client: TestClient) -> None:
    question_id, answer_id = await _thread(client)
    agent = await make_agent(client, "eva@shop.example", "agent")
    admin = await make_agent(client, "ines@shop.example", "admin")
    for path in (
        f"/api/community/answer/{answer_id}/hide",
        f"/api/community/answer/{answer_id}/unhide",
        f"/api/community/question/{question_id}/lock",
        f"/api/community/question/{question_id}/approve",
    ):
        assert (await client.post(path, headers=bearer(agent))).status == 200, path
    accepted = await client.post(
        f"/api/community/questions/{question_id}/accept",
        json={"answer": answer_id},
        headers=bearer(agent),
    )
    assert accepted.status == 200
    promoted = await client.post(
        f"/api/admin/community/questions/{question_id}/promote", headers=bearer(admin)
    )
    assert promoted.status == 201
    trail = await rows(
        client.app,
        "SELECT actor, action, subject FROM audit WHERE action LIKE 'community.%' ORDER BY id",
    )
    assert trail == [
        ("customer:c1", "community.report", f"answer:{answer_id}"),
        ("customer:c3", "community.report", f"answer:{answer_id}"),
        ("agent:eva@shop.example", "community.hide", f"answer:{answer_id}"),
        ("agent:eva@shop.example", "community.unhide", f"answer:{answer_id}"),
        ("agent:eva@shop.example", "community.lock", f"question:{question_id}"),
        ("agent:eva@shop.example", "community.approve", f"question:{question_id}"),
        ("agent:eva@shop.example", "community.accept", f"question:{question_id}"),
        ("agent:ines@shop.example", "community.promote", f"question:{question_id}"),
    ]


async def test_an_action_that_cannot_be_audited_is_not_taken(client: TestClient) -> None:
    question_id, _ = await _thread(client)
    agent = await make_agent(client, "eva@shop.example", "agent")
    await execute(client.app, "ALTER TABLE audit RENAME TO audit_away")
    try:
        hidden = await client.post(
            f"/api/community/question/{question_id}/hide", headers=bearer(agent)
        )
    finally:
        await execute(client.app, "ALTER TABLE audit_away RENAME TO audit")
    assert hidden.status >= 500
    assert (await client.get(f"/community/pt/{question_id}")).status == 200  # still shown
