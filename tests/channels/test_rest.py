"""The Rasa-compatible REST channel, over a real aiohttp server and a real SQLite file."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings

WEBHOOK = "/webhooks/rest/webhook"


async def say(client: TestClient, message: str, sender: str = "alice") -> list[dict[str, Any]]:
    resp = await client.post(WEBHOOK, json={"sender": sender, "message": message})
    assert resp.status == 200, await resp.text()
    body: list[dict[str, Any]] = await resp.json()
    return body


async def test_hello_is_answered_in_rasas_shape(client: TestClient) -> None:
    replies = await say(client, "hello")
    # Rasa's keys, and the answer's rating handle (extra keys are ignored by Rasa clients)
    rating = replies[0].pop("feedback")
    assert replies == [{"recipient_id": "alice", "text": "Hello! How can I help you today?"}]
    assert rating["entry"] == "greeting" and rating["seq"] >= 2 and len(rating["token"]) == 32


async def test_rest_status_endpoint_answers_ok(client: TestClient) -> None:
    resp = await client.get("/webhooks/rest/")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok"}


async def test_health_reports_knowledge_loaded(client: TestClient) -> None:
    resp = await client.get("/health")
    body = await resp.json()
    assert resp.status == 200
    assert body["status"] == "ok"
    assert body["knowledge"]["entries"] >= 7
    assert body["knowledge"]["languages"] == ["en", "pt"]


async def test_answer_carries_the_entrys_buttons(client: TestClient) -> None:
    replies = await say(client, "how long does delivery take")
    assert replies[0]["text"].startswith("Orders arrive in 2-4 working days")
    assert replies[0]["buttons"] == [{"title": "Returns", "payload": "/returns"}]


async def test_button_payload_selects_the_entry_directly(client: TestClient) -> None:
    replies = await say(client, "/returns")
    assert replies[0]["text"] == "You can return any item within 30 days of delivery."


async def test_portuguese_question_is_answered_in_portuguese(client: TestClient) -> None:
    replies = await say(client, "quanto tempo demora a entrega", sender="joao")
    assert replies[0]["text"].startswith("As encomendas chegam em 2 a 4 dias")


async def test_unknown_question_offers_closest_entries_and_a_person(client: TestClient) -> None:
    replies = await say(client, "tell me a joke about penguins")
    assert "not sure" in replies[0]["text"]
    payloads = [b["payload"] for b in replies[0]["buttons"]]
    assert payloads[-1] == "/handoff"


async def test_registered_action_runs_in_process(client: TestClient) -> None:
    first = await say(client, "are you open now")
    second = await say(client, "is the shop open right now")
    assert first[0]["text"] == "echo intent=open-now language=en runs=1"
    assert second[0]["text"] == "echo intent=open-now language=en runs=2"
    assert first[0]["buttons"] == [{"title": "Again", "payload": "/open-now"}]


async def test_conversations_are_separate_per_sender(client: TestClient) -> None:
    await say(client, "are you open now", sender="a")
    replies = await say(client, "are you open now", sender="b")
    assert replies[0]["text"].endswith("runs=1")


async def test_nothing_is_lost_across_a_restart(aiohttp_client: Any, settings: Settings) -> None:
    first = await aiohttp_client(create_app(settings))
    await say(first, "are you open now")
    await first.close()
    second = await aiohttp_client(create_app(settings))
    replies = await say(second, "are you open now")
    assert replies[0]["text"].endswith("runs=2")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param(b"{not json", 400, "invalid_json", id="not-json"),
        pytest.param(b"[1, 2]", 400, "invalid_json", id="not-an-object"),
        pytest.param(b'{"message": "hi"}', 400, "invalid_sender", id="no-sender"),
        pytest.param(b'{"sender": "", "message": "hi"}', 400, "invalid_sender", id="empty-sender"),
        pytest.param(
            b'{"sender": "a b<", "message": "hi"}', 400, "invalid_sender", id="odd-sender"
        ),
        pytest.param(b'{"sender": "a"}', 400, "missing_message", id="no-message"),
        pytest.param(b'{"sender": "a", "message": 5}', 400, "missing_message", id="number-message"),
        pytest.param(
            b'{"sender": "a", "message": "   "}', 400, "empty_message", id="blank-message"
        ),
        pytest.param(
            b'{"sender": "a", "message": "hi", "metadata": []}',
            400,
            "invalid_metadata",
            id="bad-metadata",
        ),
    ],
)
async def test_bad_input_gets_a_json_error(
    client: TestClient, body: bytes, status: int, code: str
) -> None:
    resp = await client.post(WEBHOOK, data=body, headers={"Content-Type": "application/json"})
    assert resp.status == status
    error = (await resp.json())["error"]
    assert error["code"] == code
    assert error["message"]


async def test_oversized_message_is_refused_and_the_server_keeps_serving(
    client: TestClient,
) -> None:
    resp = await client.post(WEBHOOK, json={"sender": "a", "message": "x" * 2001})
    assert resp.status == 400
    assert (await resp.json())["error"] == {
        "code": "message_too_long",
        "message": "message is 2001 characters long; the limit is 2000",
    }
    assert (await say(client, "hello", sender="b"))[0]["text"].startswith("Hello!")


async def test_oversized_body_is_refused_with_413(client: TestClient) -> None:
    resp = await client.post(WEBHOOK, data=b"x" * (70 * 1024))
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "body_too_large"


async def test_refused_messages_leave_nothing_in_the_store(client: TestClient) -> None:
    await client.post(WEBHOOK, json={"sender": "ghost", "message": "x" * 5000})
    store = client.app[__import__("channels.keys", fromlist=["STORE"]).STORE]
    assert await store.load("rest:ghost") == []
