"""The widget's home screen (#19) and its `topic` (#22), on the socket: the most asked
topics in the page's language, instant help-center results, the topic the help center's
"still need help?" opened the widget on."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from channels.keys import TOPICS
from tests.channels.test_widget import collect_until_ack, hello, receive


async def ask(client: TestClient, text: str, language: str = "en") -> None:
    ws, _ = await hello(client, language=language)
    await ws.send_json({"type": "message", "id": "m1", "text": text})
    await collect_until_ack(ws)
    await ws.close()


async def test_the_home_lists_the_most_asked_topics_in_the_pages_language(
    client: TestClient,
) -> None:
    client.app[TOPICS].refresh = 0  # recounted at every hello, for the test
    _, welcome = await hello(client, language="pt")
    topics = welcome["home"]["topics"]
    assert {t["question"] for t in topics} == {
        "Como devolvo um artigo?",
        "Quanto tempo demora a entrega?",
    }
    assert all(t["url"] == f"/help/pt/{t['id']}" for t in topics)

    for _ in range(2):
        await ask(client, "quanto tempo demora a entrega", "pt")
    await ask(client, "return policy")
    _, welcome = await hello(client, language="pt")
    assert [t["id"] for t in welcome["home"]["topics"]] == ["delivery-times", "returns"]
    _, welcome = await hello(client, language="en")
    [first, *rest] = welcome["home"]["topics"]
    assert first["id"] == "returns" and first["question"] == "How do I return an item?"
    # entries that run actions are not topics: they are not in the help center either
    assert "open-now" not in {t["id"] for t in rest}


async def test_search_gives_the_help_centers_instant_results(client: TestClient) -> None:
    ws, _ = await hello(client, language="en")
    await ws.send_json({"type": "search", "q": "can I send something back"})
    results = await receive(ws, "results")
    assert results["q"] == "can I send something back"
    assert results["results"][0]["id"] == "returns"
    assert results["results"][0]["url"] == "/help/en/returns"

    await ws.send_json({"type": "search", "q": "x" * 201})
    assert (await receive(ws, "error"))["code"] == "invalid_query"
    await ws.send_json({"type": "search", "q": 7})
    assert (await receive(ws, "error"))["code"] == "invalid_query"
    await ws.close()

    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "search", "q": "returns"})
    assert (await receive(ws, "error"))["code"] == "hello_required"
    await ws.close()


async def test_a_topic_names_the_published_entry_the_widget_asks_about(
    client: TestClient,
) -> None:
    _, welcome = await hello(client, language="pt", topic="returns")
    assert welcome["home"]["topic"] == {
        "id": "returns",
        "question": "Como devolvo um artigo?",
        "url": "/help/pt/returns",
    }
    for topic in ("open-now", "no-such-entry", "x" * 200, 12):  # an action, missing, junk
        _, welcome = await hello(client, language="en", topic=topic)
        assert welcome["home"]["topic"] is None

    # asked by its id, as the widget does: the bot answers that entry
    ws, welcome = await hello(client, language="en", topic="delivery-times")
    topic = welcome["home"]["topic"]
    await ws.send_json(
        {"type": "message", "id": "topic-delivery-times", "text": topic["question"],
         "payload": f"/{topic['id']}"}
    )  # fmt: skip
    _, replies = await collect_until_ack(ws)
    assert any("2-4 working days" in r.get("text", "") for r in replies)
    await ws.close()
