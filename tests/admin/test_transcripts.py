"""The dashboard's conversation list (ratings, comments) and transcript viewer, which hides
verified personal data from agents but not from admins (#19 item 14)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from bot.core import events as ev
from bot.core.events import Event
from channels.keys import STORE


async def seed(client: TestClient) -> str:
    import time

    now = time.time()
    await client.app[STORE].append(
        "web:seeded",
        [
            Event(ev.USER, {"text": "where is my order"}, now),
            Event(ev.SLOT, {"name": "customer_id", "value": "C1"}, now),
            Event(ev.SLOT, {"name": "verified", "value": True}, now),
            Event(ev.USER, {"text": "my address is Rua das Flores 12"}, now),
            Event(ev.HANDOFF, {"status": "requested", "reason": "asked_for_person"}, now),
            Event(ev.FEEDBACK, {"rating": 4}, now),
            Event(ev.FEEDBACK, {"comment": "quick and kind"}, now),
        ],
        sender="seeded",
        channel="web",
    )
    return "web:seeded"


async def test_conversations_list_ratings_and_comments(
    admin_client: TestClient, admin_headers: dict[str, str]
) -> None:
    await seed(admin_client)
    data = await (
        await admin_client.get("/api/analytics/conversations", headers=admin_headers)
    ).json()
    [row] = data["conversations"]
    assert row["rating"] == 4 and row["comment"] == "quick and kind"
    assert row["reasons"] == ["asked_for_person"]


async def test_the_transcript_hides_verified_personal_data_from_agents_only(
    admin_client: TestClient, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    conversation = await seed(admin_client)
    url = f"/api/analytics/conversations/{conversation}"
    admin = (await (await admin_client.get(url, headers=admin_headers)).json())["transcript"]
    agent = (await (await admin_client.get(url, headers=agent_headers)).json())["transcript"]
    assert [line["text"] for line in admin] == [
        "where is my order",
        "my address is Rua das Flores 12",
    ]
    assert agent[0]["text"] == "where is my order"
    assert agent[1]["redacted"] and "Rua das Flores" not in agent[1]["text"]
    missing = await admin_client.get(
        "/api/analytics/conversations/web:nothing", headers=admin_headers
    )
    assert missing.status == 404
