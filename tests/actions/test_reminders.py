"""Occasions and reminders asked for in chat, in en/pt/es, through the real actions."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from bot.app import DATABASE
from bot.core.notices import parse_occasion, wants_reminders
from tests.actions.conftest import RunAction
from tests.actions.test_conversation_rest import Chat, shop_client, shop_settings  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
# the shipped entries that route these messages to the actions (the conversations below
# have them with the other action entries: knowledge/<lang>/action-*.md)
KNOWLEDGE = REPO / "knowledge"


@pytest.mark.parametrize(
    "text,label,month,day",
    [
        ("my mother's birthday is on 12 March", "my mother's birthday", 3, 12),
        ("Remember our anniversary is March 3rd", "our anniversary", 3, 3),
        ("remind me in March", "March", 3, 1),
        ("o aniversário da minha mãe é a 12 de março", "o aniversário da minha mãe", 3, 12),
        (
            "lembre-me do nosso aniversário de casamento, 3 de junho",
            "nosso aniversário de casamento",
            6,
            3,
        ),  # fmt: skip
        ("el cumpleaños de mi madre es el 12 de marzo", "el cumpleaños de mi madre", 3, 12),
        ("recuérdame en marzo", "marzo", 3, 1),
        ("my birthday is 29 February", "my birthday", 2, 29),
        (
            "don't let me forget my grandmother's birthday, 28 April",
            "my grandmother's birthday",
            4,
            28,
        ),
        ("lembra-me do aniversário da minha mãe, 12 de março", "aniversário da minha mãe", 3, 12),
        (
            "não me deixe esquecer o aniversário da minha avó, 28 de abril",
            "o aniversário da minha avó",
            4,
            28,
        ),
        ("apunta el cumpleaños de mi hermana, 2 de octubre", "cumpleaños de mi hermana", 10, 2),
        (
            "guarda esta fecha: el cumpleaños de mi hermano es el 17 de diciembre",
            "el cumpleaños de mi hermano",
            12,
            17,
        ),
    ],
    ids=[
        "en",
        "en-month-first",
        "en-month-only",
        "pt",
        "pt-lead",
        "es",
        "es-month-only",
        "leap",
        "en-forget",
        "pt-lembra",
        "pt-esquecer",
        "es-apunta-keeps-its-a",
        "es-guarda",
    ],
)
def test_an_occasion_is_read_in_english_portuguese_and_spanish(
    text: str, label: str, month: int, day: int
) -> None:
    told = parse_occasion(text)
    assert told is not None
    assert (told.label, told.month, told.day) == (label, month, day)


@pytest.mark.parametrize(
    "text", ["my birthday is 31 February", "where is my order?", "order 12 of 30", "at 5 pm"]
)
def test_no_occasion_without_a_real_day_and_month(text: str) -> None:
    assert parse_occasion(text) is None


@pytest.mark.parametrize("language", ["en", "pt", "es"])
def test_the_shipped_reminder_examples_say_yes_then_no(language: str) -> None:
    """The matcher cannot tell 'send me reminders' from 'no reminders please' (negation):
    one entry takes both, and the words decide, a no winning over any doubt."""
    text = (KNOWLEDGE / language / "action-reminders.md").read_text(encoding="utf-8")
    examples = yaml.safe_load(text.split("---")[1])["examples"]
    assert [wants_reminders(e) for e in examples] == [True] * 6 + [False] * 6


@pytest.mark.parametrize(
    "text",
    ["cancelem os lembretes", "desativem as ofertas", "cancelad los recordatorios",
     "desactivad las ofertas", "I do not want any more offers", "desliguem as ofertas"],
)  # fmt: skip
def test_every_way_of_switching_reminders_off_is_a_no(text: str) -> None:
    assert not wants_reminders(text)


async def rows(client: TestClient, sql: str) -> list[tuple[Any, ...]]:
    return await client.app[DATABASE].run(lambda db: db.execute(sql).fetchall())


async def test_a_verified_customer_saves_an_occasion_and_opts_in_and_out_in_chat(
    shop_client: TestClient,  # noqa: F811 (the fixture)
) -> None:
    chat = Chat(shop_client, "alice")
    first = await chat.say("remember my mother's birthday is on 12 March")
    assert "check it's you" in first  # her dates and consent are hers: verified first
    await chat.say("100001")
    saved = await chat.say("alice@example.com")
    # what she asked is done once she is verified: she does not say the date again
    assert "that's you confirmed" in saved and "Which day is it?" not in saved
    assert "Saved: my mother's birthday, on 12 Mar" in saved
    assert "yes, send me reminders" in saved  # no opt-in yet: she is told how
    [watch] = await rows(shop_client, "SELECT customer_id, kind, subject FROM notice_watches")
    assert watch == ("C1", "occasion", "03-12|my mother's birthday")

    assert "Done" in await chat.say("yes, send me reminders")
    consent = "SELECT customer_id, scope, state, source, wording FROM notice_consent"
    assert await rows(shop_client, consent) == [
        ("C1", "marketing", "in", "chat", "yes, send me reminders")
    ]
    again = await chat.say("our anniversary is on 3 June, remind me")
    assert "I'll send you a reminder" in again  # opted in: no question this time
    assert "no more reminders" in (await chat.say("no more reminders")).lower()
    assert await rows(shop_client, consent) == [
        ("C1", "marketing", "out", "chat", "no more reminders")
    ]


async def test_occasions_are_saved_in_portuguese_and_spanish(
    shop_client: TestClient,  # noqa: F811 (the fixture)
) -> None:
    for sender, language, order, contact, text, reply in (
        ("joao", "pt", "100004", "joao@example.com", "o aniversário da minha mãe é a 12 de março",
         "Guardado: o aniversário da minha mãe, a 12 mar"),
        ("lucia", "es", "100005", "lucia@example.com", "el cumpleaños de mi madre es el 12 de marzo",
         "Guardado: el cumpleaños de mi madre, el 12 mar"),
    ):  # fmt: skip
        chat = Chat(shop_client, sender, language)
        await chat.say(text)
        await chat.say(order)
        await chat.say(contact)
        assert reply in await chat.say(text)


async def test_a_standalone_action_server_saves_the_occasion_in_the_store_it_was_given(
    run_action: RunAction, shop_db: Path
) -> None:
    verified = {"verified": True, "customer_id": "C1"}
    result = await run_action(
        "action_remember_occasion", "my mother's birthday is on 12 March", slots=verified
    )
    assert "Saved: my mother's birthday" in result["responses"][0]["text"]
    await run_action("action_reminders", "yes, send me reminders", slots=verified)
    with sqlite3.connect(shop_db) as db:  # the file it was configured with, not BALCAO_DB's
        watches = db.execute("SELECT customer_id, subject FROM notice_watches").fetchall()
        consent = db.execute("SELECT scope, state, wording FROM notice_consent").fetchall()
    assert watches == [("C1", "03-12|my mother's birthday")]
    assert consent == [("marketing", "in", "yes, send me reminders")]
