"""Issue #19 item 13: the email a customer leaves out of hours is recorded on the handoff,
listed as awaiting an email reply, answered by SMTP (a real local server), and the
customer's email answer lands back in the same conversation."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.app import create_app
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from channels.keys import AGENTS
from tests.notices.conftest import Sink

WEBHOOK = "/webhooks/rest/webhook"
PASSWORD = "correct horse battery"


async def test_offline_email_is_recorded_answered_by_smtp_and_the_reply_continues(
    aiohttp_client: Any, make_settings: Callable[..., Settings], smtp: tuple[Sink, str]
) -> None:
    sink, url = smtp
    settings = make_settings(
        business_hours="always",
        auto_assign=False,
        smtp_url=url,
        mail_from="help@shop.example",
        secret="s",
        notices=False,
    )
    client = await aiohttp_client(create_app(settings))
    # nobody online: the handoff is queued offline and the bot asks for an email
    await client.post(WEBHOOK, json={"sender": "carla", "message": "I want to speak to a human"})
    await client.post(WEBHOOK, json={"sender": "carla", "message": "write to carla@example.pt"})

    agent = new_agent("ana@shop.example", "Ana", "agent", ("en",), (), 3)
    await client.app[AGENTS].save(agent, hash_password(PASSWORD), time.time())
    login = await client.post(
        "/api/auth/login", json={"email": "ana@shop.example", "password": PASSWORD}
    )
    headers = {"Authorization": f"Bearer {(await login.json())['token']}"}
    await client.post("/api/agents/me/status", json={"status": "online"}, headers=headers)

    awaiting = await (await client.get("/api/handoffs?awaiting=email", headers=headers)).json()
    [row] = awaiting
    assert row["contact_email"] == "carla@example.pt"
    await client.post(f"/api/handoffs/{row['id']}/claim", headers=headers)
    resp = await client.post(
        f"/api/handoffs/{row['id']}/email",
        json={"text": "Your parcel leaves tomorrow."},
        headers=headers,
    )
    assert resp.status == 201, await resp.text()
    assert sink.wait(1, 10)
    [mail] = sink.received()
    assert mail["To"] == "carla@example.pt"
    assert "Your parcel leaves tomorrow." in mail.get_payload(decode=True).decode()
    reply_to = str(mail["Reply-To"])
    assert "+reply+" in reply_to

    forged = reply_to.replace(f"+reply+{row['id']}.", f"+reply+{row['id']}.x")
    bad = await client.post("/api/mail/inbound", json={"to": forged, "text": "hi"})
    assert bad.status == 400
    resp = await client.post(
        "/api/mail/inbound",
        json={
            "to": reply_to,
            "text": "Thank you, see you!\n\nOn Monday Ana wrote:\n> Your parcel leaves tomorrow.",
            "message_id": "<m1@example.pt>",
        },
    )
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["conversation_id"] == row["conversation_id"]
    detail = await (await client.get(f"/api/handoffs/{row['id']}", headers=headers)).json()
    texts = [e.get("text") for e in detail["transcript"]]
    assert texts[-2:] == ["Your parcel leaves tomorrow.", "Thank you, see you!"]
