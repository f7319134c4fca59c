"""Whole conversations over the REST channel: a stranger learns nothing, a verified customer everything."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from actions import store
from bot.app import DATABASE, create_app
from bot.config import Settings
from bot.understanding.matching import FuzzyMatcher
from tests.shop.factory import make_shop_db

REPO_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
SECRETS = ("RM123456789GB", "Royal Mail", "46.90", "shipped", "Teapot", "Tea Cups")


def action_kb(target: Path) -> Path:
    """The shipped action entries (knowledge/<lang>/action-*.md) plus the talk-to-person one."""
    for language in ("en", "pt", "es"):
        folder = target / language
        folder.mkdir(parents=True)
        for path in (REPO_KNOWLEDGE / language).glob("action-*.md"):
            shutil.copy(path, folder / path.name)
    (target / "en" / "person.md").write_text(
        "---\nid: person\nquestion: I want to talk to a person\nhandoff: true\n---\n",
        encoding="utf-8",
    )
    return target


@pytest.fixture
def shop_settings(tmp_path: Path) -> Iterator[Settings]:
    db = make_shop_db(tmp_path / "shop.sqlite3")
    yield Settings.from_env({}, db=db, kb=action_kb(tmp_path / "kb"), actions_package="actions")
    store.close()


@pytest.fixture
async def shop_client(aiohttp_client: Any, shop_settings: Settings) -> TestClient:
    return await aiohttp_client(create_app(shop_settings, matcher_factory=FuzzyMatcher))


class Chat:
    def __init__(self, client: TestClient, sender: str, language: str | None = None) -> None:
        self.client = client
        self.sender = sender
        self.language = language
        self.seen: list[dict[str, Any]] = []

    async def say(self, text: str) -> str:
        body: dict[str, Any] = {"sender": self.sender, "message": text}
        if self.language:
            body["metadata"] = {"language": self.language}
        response = await self.client.post("/webhooks/rest/webhook", json=body)
        assert response.status == 200
        replies = await response.json()
        self.seen.extend(replies)
        return "\n".join(r.get("text", "") for r in replies)


async def test_verify_then_status_then_recent_orders(shop_client: TestClient) -> None:
    chat = Chat(shop_client, "alice")

    first = await chat.say("where is my order")
    assert "check it's you" in first and "order" in first
    assert not any(secret in first for secret in SECRETS)
    assert "email" in await chat.say("100001")
    status = await chat.say("alice@example.com")
    assert "that's you confirmed" in status
    assert "RM123456789GB" in status and "Royal Mail" in status and "Ceramic Teapot" in status
    recent = await chat.say("show my recent orders")
    assert "100002" in recent and "100003" in recent  # still verified: no new questions


async def test_wrong_email_leaks_nothing(shop_client: TestClient) -> None:
    chat = Chat(shop_client, "mallory")

    await chat.say("where is my order")
    await chat.say("100001")
    answer = await chat.say("alice@example.org")
    again = await chat.say("show my recent orders")

    assert "don't match" in answer
    everything = json.dumps(chat.seen, ensure_ascii=False)
    for secret in (*SECRETS, "100002", "100003", "Alice"):
        assert secret not in everything
    assert "number of one of your orders" in again  # still being asked to verify


async def test_recommendations_in_portuguese_after_verifying_with_the_postcode(
    shop_client: TestClient,
) -> None:
    chat = Chat(shop_client, "joao", language="pt")

    await chat.say("o que me recomenda")
    await chat.say("encomenda 100004")
    answer = await chat.say("1000-001")

    assert "Algumas sugestões escolhidas para si" in answer
    assert "Bule de Cerâmica" not in answer  # owns the better teapot already
    assert chat.seen[-1]["custom"]["type"] == "products"


async def test_spanish_customer_gets_status_and_payments(shop_client: TestClient) -> None:
    chat = Chat(shop_client, "lucia", language="es")

    await chat.say("dónde está mi pedido")
    status = await chat.say("pedido 100005, lucia@example.com")
    payments = await chat.say("estado del pago")

    assert "El pedido 100005" in status and "SE987654321ES" in status
    assert "Pago de 32,40 € (Bizum)" in payments and "liquidado" in payments


async def test_a_stranger_can_leave_the_verification_and_ask_for_a_person(
    shop_client: TestClient,
) -> None:
    chat = Chat(shop_client, "someone")

    await chat.say("where is my order")
    answer = await chat.say("I want to talk to a person")

    assert "passing you to a person" in answer


@pytest.fixture
def shipped_settings(tmp_path: Path) -> Iterator[Settings]:
    db = make_shop_db(tmp_path / "shop.sqlite3")
    yield Settings.from_env({}, db=db, kb=REPO_KNOWLEDGE, actions_package="actions")
    store.close()


@pytest.mark.parametrize(
    ("language", "ask", "order", "contact", "expected"),
    [
        pytest.param(
            "en", "where is my order?", "100001", "alice@example.com", "RM123456789GB", id="en"
        ),
        pytest.param(
            "pt",
            "onde está a minha encomenda?",
            "100004",
            "joao@example.com",
            "em preparação",
            id="pt",
        ),
        pytest.param("es", "¿dónde está mi pedido?", "100005", "28001", "SE987654321ES", id="es"),
    ],
)
async def test_shipped_knowledge_and_default_engine_route_to_the_actions(
    aiohttp_client: Any,
    shipped_settings: Settings,
    language: str,
    ask: str,
    order: str,
    contact: str,
    expected: str,
) -> None:
    client = await aiohttp_client(create_app(shipped_settings))
    chat = Chat(client, f"shipped-{language}", language=language)

    await chat.say(ask)
    await chat.say(order)
    answer = await chat.say(contact)

    assert expected in answer


async def test_a_hundred_conversations_guessing_one_order_get_five_tries_in_all(
    shop_client: TestClient,
) -> None:
    """Issue #15: 100 REST conversations guessing order 100001's email at once had 23
    guesses evaluated (the limit is 5 per order per day) and the right one verified."""
    guessers = [Chat(shop_client, f"guesser-{n}") for n in range(100)]
    for chat in guessers:
        await chat.say("where is my order")
        await chat.say("100001")
    guesses = [f"wrong{n}@example.com" for n in range(99)] + ["alice@example.com"]
    answers = await asyncio.gather(
        *(chat.say(guess) for chat, guess in zip(guessers, guesses, strict=True))
    )
    evaluated = [a for a in answers if "don't match" in a or "that's you confirmed" in a]
    assert len(evaluated) <= 5, len(evaluated)
    attempts = await shop_client.app[DATABASE].run(
        lambda db: db.execute(
            "SELECT count(*) FROM verification_attempts WHERE order_id = '100001'"
        ).fetchone()[0]
    )
    assert attempts <= 5
    if "that's you confirmed" not in answers[-1]:  # the right guess was one of the five, or not
        assert not any("RM123456789GB" in a for a in answers)
