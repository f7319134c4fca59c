"""#17's widget observations, over REST with the shipped knowledge: conversations read
as people write them (language switches, relationships at risk, two questions at once,
choices between real topics)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.config import Settings
from tests.desk.conftest import AddAgent, auth

WEBHOOK = "/webhooks/rest/webhook"
REPO_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


@pytest.fixture
def desk_settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(business_hours="always", auto_assign=False, kb=REPO_KNOWLEDGE)


async def says(
    client: TestClient, text: str, sender: str, language: str | None = None
) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"sender": sender, "message": text}
    if language:  # the page the widget opened on
        body["metadata"] = {"language": language}
    resp = await client.post(WEBHOOK, json=body)
    assert resp.status == 200, await resp.text()
    replies: list[dict[str, Any]] = await resp.json()
    return replies


async def waiting(client: TestClient, token: str) -> list[dict[str, Any]]:
    resp = await client.get("/api/handoffs?status=waiting", headers=auth(token))
    assert resp.status == 200
    rows: list[dict[str, Any]] = await resp.json()
    return rows


def titles(replies: list[dict[str, Any]]) -> list[str]:
    return [b["title"] for r in replies for b in r.get("buttons", [])]


async def test_portuguese_typed_on_an_english_page_is_answered_in_portuguese(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    token = await add_agent()
    first = await says(
        desk_client, "bom dia, não encontro aquilo que procuro no vosso site", "rita", "en"
    )
    assert first[0]["text"].startswith(("Não tenho a certeza", "Peço desculpa"))
    assert "Falar com uma pessoa" in titles(first)
    second = await says(desk_client, "ainda não percebi nada do que me disse", "rita", "en")
    assert second[0]["text"].startswith("Vou passá-lo a uma pessoa")
    [row] = await waiting(desk_client, token)
    assert row["language"] == "pt"


async def test_a_one_word_ok_does_not_flip_the_language(desk_client: TestClient) -> None:
    await says(desk_client, "quanto tempo demora a entrega da minha encomenda", "rui")
    replies = await says(desk_client, "ok", "rui")
    assert not any(r["text"].startswith(("I'm not sure", "Sorry")) for r in replies)
    later = await says(desk_client, "e quanto custa o envio para Espanha", "rui")
    assert not later[0]["text"].startswith("I")


async def test_a_spanish_customer_on_an_english_page_is_answered_in_spanish(
    desk_client: TestClient,
) -> None:
    replies = await says(
        desk_client, "hola, no encuentro lo que busco en vuestra página", "lola", "en"
    )
    assert not replies[0]["text"].startswith("I")
    assert "Hablar con una persona" in titles(replies)


@pytest.mark.parametrize(
    ("text", "sender", "sorry"),
    [
        (
            "this is ridiculous!!! the candles arrived smelling like nothing and your bot is"
            " useless. I'm never buying from you again",
            "vera",
            "I'm really sorry",
        ),
        ("qué vergüenza de tienda, no vuelvo a compraros nunca", "pilar", "Lo siento mucho"),
        ("vou deixar de comprar convosco, a encomenda chegou atrasada outra vez", "ana", "Lamento"),
    ],
    ids=["en-inside-a-longer-message", "es", "pt"],
)
async def test_a_relationship_at_risk_goes_to_a_person_first(
    desk_client: TestClient, add_agent: AddAgent, text: str, sender: str, sorry: str
) -> None:
    token = await add_agent(languages=("en", "pt", "es"))
    replies = await says(desk_client, text, sender)
    assert replies[0]["text"].startswith(sorry)
    assert not titles(replies[:1])  # no choice of topics
    [row] = await waiting(desk_client, token)
    assert row["reason"] == "at_risk" and row["priority"] >= 100
    assert row["sender"] == sender


async def test_an_ordinary_complaint_about_a_topic_is_answered(desk_client: TestClient) -> None:
    replies = await says(desk_client, "my parcel arrived damaged, can I get a replacement?", "bo")
    assert not replies[0]["text"].startswith("I'm really sorry: that is not")


SMALL_TALK = {"Goodbye", "Hello!", "Thanks!", "Olá!", "Adeus", "Obrigado!", "¡Hola!", "Adiós"}
PEOPLE = [
    ("I want to talk to a person", "Talk to a person"),
    ("Quero falar com uma pessoa", "Falar com uma pessoa"),
    ("Quiero hablar con una persona", "Hablar con una persona"),
]


@pytest.mark.parametrize(
    "text",
    [
        "goodbye, nothing works",
        "olá, tudo bem? queria saber uma coisa",
        "olá, podem ajudar-me com uma coisa",
        "hi, can you help me with something",
        "I want to talk",
        "quiero hablar",
    ],
)
async def test_fallback_choices_are_real_topics_and_one_person(
    desk_client: TestClient, text: str
) -> None:
    offered = titles(await says(desk_client, text, "dina"))
    assert not SMALL_TALK.intersection(offered), offered
    for entry, button in PEOPLE:
        assert not (entry in offered and button in offered), offered


def test_shipped_small_talk_is_tagged_so_in_every_language() -> None:
    from bot.knowledge.entries import load_knowledge

    kb = load_knowledge(REPO_KNOWLEDGE)
    for entry_id in ("greeting", "goodbye", "thanks"):
        for language in ("en", "pt", "es"):
            entry = kb.get(entry_id, language)
            assert entry is not None and entry.language == language
            assert "smalltalk" in entry.tags, (entry_id, language)


@pytest.mark.parametrize(
    "text",
    [
        "return policy? also can I swap the teapot for another colour",
        "qual é a política de devoluções? e também posso trocar o bule por outra cor",
        "¿cuál es la política de devoluciones? además, ¿puedo cambiar la tetera por otro color?",
    ],
    ids=["en", "pt", "es"],
)
async def test_two_questions_in_one_message_get_both_answers(
    desk_client: TestClient, text: str
) -> None:
    replies = await says(desk_client, text, "teo")
    answered = [r["feedback"]["entry"] for r in replies if "feedback" in r]
    assert answered == ["returns-policy", "exchanges"]


async def test_one_question_with_and_gets_one_answer(desk_client: TestClient) -> None:
    replies = await says(desk_client, "how long does delivery take to Spain and Portugal", "ivo")
    assert [r["feedback"]["entry"] for r in replies if "feedback" in r] == ["shipping"]


async def test_two_questions_answered_count_as_understood(
    desk_client: TestClient, add_agent: AddAgent
) -> None:
    """Answered in parts, the message is no miss: a fallback after it is not the second."""
    token = await add_agent()
    await says(desk_client, "return policy? also can I swap the teapot for another colour", "eli")
    await says(desk_client, "the weather in Lisbon is lovely this week", "eli")
    assert await waiting(desk_client, token) == []


async def test_a_short_reply_keeps_the_language_the_customer_switched_to(
    desk_client: TestClient,
) -> None:
    """A REST client sends the page's language with every message; the customer leads."""
    await says(desk_client, "bom dia, não encontro aquilo que procuro no vosso site", "sara", "en")
    replies = await says(desk_client, "sim", "sara", "en")
    assert not replies[0]["text"].startswith(("I", "Sorry"))
