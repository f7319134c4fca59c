"""The admin API on a real app: analytics from real conversations, drafts, feedback, suggestions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.knowledge.entries import load_knowledge, parse_entry


async def chat(client: TestClient, sender: str, *messages: str) -> dict[str, Any]:
    """Say `messages` as `sender`; the `feedback` ({entry, seq, token}) of the last answer."""
    rating: dict[str, Any] = {}
    for message in messages:
        response = await client.post(
            "/webhooks/rest/webhook", json={"sender": sender, "message": message}
        )
        assert response.status == 200
        for reply in await response.json():
            rating = reply.get("feedback", rating)
    return rating


@pytest.mark.parametrize(
    "path",
    ["/api/analytics/summary", "/api/analytics/unanswered", "/api/analytics/suggestions"],
)
async def test_analytics_need_a_login(admin_client: TestClient, path: str) -> None:
    response = await admin_client.get(path)
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "unauthorized"


async def test_analytics_need_the_admin_role(
    admin_client: TestClient, agent_headers: dict[str, str]
) -> None:
    response = await admin_client.get("/api/analytics/summary", headers=agent_headers)
    assert response.status == 403
    post = await admin_client.post("/api/analytics/unanswered/en-x/draft", headers=agent_headers)
    assert post.status == 403


async def test_summary_counts_real_conversations(
    admin_client: TestClient, admin_headers: dict[str, str]
) -> None:
    await chat(admin_client, "alice", "how long does delivery take")
    await chat(admin_client, "bob", "zebra quantum violin", "purple elephant tractor")
    response = await admin_client.get("/api/analytics/summary", headers=admin_headers)
    assert response.status == 200
    total = (await response.json())["total"]
    assert total["conversations"] == 2
    assert total["user_messages"] == 3
    assert total["fallbacks"] == 2
    assert total["resolved_automatically"] + total["escalated"] == 2


async def test_summary_rejects_a_bad_range(
    admin_client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = await admin_client.get(
        "/api/analytics/summary?from=yesterday", headers=admin_headers
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "invalid_range"


async def test_unanswered_questions_are_grouped_and_drafted(
    admin_client: TestClient, admin_headers: dict[str, str], kb_dir: Path
) -> None:
    await chat(admin_client, "carol", "do you sell garden chairs")
    await chat(admin_client, "dave", "do you sell garden chairs?")
    response = await admin_client.get("/api/analytics/unanswered", headers=admin_headers)
    clusters = (await response.json())["clusters"]
    assert clusters[0]["label"].startswith("do you sell garden chairs")
    assert clusters[0]["count"] == 2
    cluster = clusters[0]["id"]

    drafted = await admin_client.post(
        f"/api/analytics/unanswered/{cluster}/draft", headers=admin_headers
    )
    assert drafted.status == 201
    body = await drafted.json()
    assert body["path"] == "en/draft-do-you-sell-garden-chairs.md"
    text = (kb_dir / body["path"]).read_text(encoding="utf-8")
    assert "TODO: write the answer" in text
    draft = parse_entry(text, body["path"], "en")  # a valid entry, not served until renamed
    assert draft.id == "draft-do-you-sell-garden-chairs"
    assert load_knowledge(kb_dir).get("draft-do-you-sell-garden-chairs", "en") is None

    again = await admin_client.post(
        f"/api/analytics/unanswered/{cluster}/draft", headers=admin_headers
    )
    assert (await again.json())["path"] == "en/draft-do-you-sell-garden-chairs-2.md"
    assert (kb_dir / body["path"]).read_text(encoding="utf-8") == text  # never overwritten


async def test_feedback_and_suggestion_are_appended_and_accepted(
    admin_client: TestClient, admin_headers: dict[str, str], kb_dir: Path
) -> None:
    rating = await chat(admin_client, "erin", "how long does delivery take")
    response = await admin_client.post(
        "/api/feedback",
        json={
            "conversation": "erin",
            "channel": "rest",
            "seq": rating["seq"],
            "token": rating["token"],
            "entry": "delivery-times",
            "helpful": False,
            "suggestion": "Two to four working days in Portugal.",
        },
    )
    assert response.status == 201
    body = await response.json()
    assert body["recorded"] == ["feedback", "suggestion", "bot"]
    assert body["replies"][0]["text"].startswith("Sorry that didn't help.")

    listed = await (
        await admin_client.get("/api/analytics/suggestions", headers=admin_headers)
    ).json()
    [suggestion] = listed["suggestions"]
    assert suggestion["entry"] == "delivery-times"
    assert suggestion["text"] == "Two to four working days in Portugal."

    accepted = await admin_client.post(
        f"/api/analytics/suggestions/{suggestion['id']}/accept",
        json={"mode": "answer"},
        headers=admin_headers,
    )
    assert accepted.status == 200, await accepted.text()
    entry = load_knowledge(kb_dir).get("delivery-times", "en")
    assert entry is not None and entry.answer == "Two to four working days in Portugal."
    listed = await (
        await admin_client.get("/api/analytics/suggestions", headers=admin_headers)
    ).json()
    assert listed["suggestions"] == []

    summary = await (await admin_client.get("/api/analytics/summary", headers=admin_headers)).json()
    assert summary["total"]["answers_unhelpful"] == 1
    assert summary["total"]["resolved_automatically"] == 0


async def test_a_suggestion_can_become_an_example(
    admin_client: TestClient, admin_headers: dict[str, str], kb_dir: Path
) -> None:
    rating = await chat(admin_client, "fay", "how long does delivery take")
    await admin_client.post(
        "/api/feedback",
        json={
            "conversation": "fay",
            "channel": "rest",
            "seq": rating["seq"],
            "token": rating["token"],
            "entry": "delivery-times",
            "helpful": True,
            "suggestion": "when will my parcel come",
        },
    )
    [suggestion] = (
        await (await admin_client.get("/api/analytics/suggestions", headers=admin_headers)).json()
    )["suggestions"]
    accepted = await admin_client.post(
        f"/api/analytics/suggestions/{suggestion['id']}/accept",
        json={"mode": "example"},
        headers=admin_headers,
    )
    assert accepted.status == 200
    entry = load_knowledge(kb_dir).get("delivery-times", "en")
    assert entry is not None and entry.examples[-1] == "when will my parcel come"


@pytest.mark.parametrize(
    "body,status,code",
    [
        (
            {"conversation": "nobody", "channel": "rest", "rating": 5},
            404,
            "unknown_conversation",
        ),
        (
            {"conversation": "gus", "channel": "rest", "entry": "no-such-entry", "helpful": True},
            400,
            "invalid_entry",
        ),
        (
            {"conversation": "gus", "channel": "rest", "entry": "returns", "helpful": "yes"},
            400,
            "invalid_helpful",
        ),
        (
            {"conversation": "gus", "channel": "fax", "entry": "returns", "helpful": True},
            400,
            "invalid_channel",
        ),
        ({"conversation": "gus", "channel": "rest", "rating": 9}, 400, "invalid_rating"),
        (
            {"conversation": "gus", "channel": "rest", "entry": "returns", "helpful": False},
            403,
            "invalid_token",
        ),
        (
            {
                "conversation": "gus",
                "channel": "rest",
                "entry": "returns",
                "helpful": False,
                "seq": 2,
                "token": "0" * 32,
            },
            403,
            "invalid_token",
        ),  # fmt: skip
        ({"conversation": "../etc", "channel": "rest", "rating": 5}, 400, "invalid_sender"),
    ],
    ids=[
        "unknown-conversation",
        "unknown-entry",
        "helpful-not-bool",
        "bad-channel",
        "rating-out-of-range",
        "no-token",
        "guessed-token",
        "bad-id",
    ],
)
async def test_feedback_refuses_bad_input(
    admin_client: TestClient, body: dict[str, object], status: int, code: str
) -> None:
    await chat(admin_client, "gus", "hello")
    response = await admin_client.post("/api/feedback", json=body)
    assert response.status == status
    assert (await response.json())["error"]["code"] == code


async def test_dashboard_page_is_served(admin_client: TestClient) -> None:
    response = await admin_client.get("/admin")
    assert response.status == 200
    assert "Balcão admin" in await response.text()
