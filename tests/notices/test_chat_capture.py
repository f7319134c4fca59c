"""#20: occasions and the marketing opt-in captured in chat, through the shipped knowledge
base and the server's own matcher (the entries read by their words), over REST: stored,
exported, and erased by forget."""

from __future__ import annotations

import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from actions import store
from bot.app import DATABASE, create_app
from bot.config import Settings
from channels.keys import PRIVACY
from tests.actions.test_conversation_rest import Chat
from tests.shop.factory import make_shop_db

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def shop(aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[TestClient]:
    """The shop's customers and orders, the shipped knowledge base, the real actions, and
    the engine the server builds (no test matcher)."""
    kb = tmp_path / "kb"
    shutil.copytree(REPO / "knowledge", kb)
    settings = Settings.from_env(
        {}, db=make_shop_db(tmp_path / "shop.sqlite3"), kb=kb, actions_package="actions"
    )
    yield await aiohttp_client(create_app(settings))
    store.close()


async def rows(client: TestClient, sql: str) -> list[tuple[Any, ...]]:
    return await client.app[DATABASE].run(lambda db: db.execute(sql).fetchall())


@pytest.mark.parametrize(
    "sender,language,order,email,customer,told,saved,subject,opt_in",
    [
        pytest.param(
            "joao", "pt", "100004", "joao@example.com", "C2",
            "lembra-me do aniversário da minha mãe, 12 de março",
            "Guardado: aniversário da minha mãe, a 12 mar",
            "03-12|aniversário da minha mãe", "envie-me ofertas", id="pt",
        ),
        pytest.param(
            "lucia", "es", "100005", "lucia@example.com", "C3",
            "recuérdame el cumpleaños de mi madre, el 12 de marzo",
            "Guardado: cumpleaños de mi madre, el 12 mar",
            "03-12|cumpleaños de mi madre", "envíame ofertas", id="es",
        ),
    ],
)  # fmt: skip
async def test_a_verified_customer_saves_an_occasion_in_chat_then_export_and_forget_reach_it(
    shop: TestClient,
    sender: str,
    language: str,
    order: str,
    email: str,
    customer: str,
    told: str,
    saved: str,
    subject: str,
    opt_in: str,
) -> None:
    chat = Chat(shop, sender, language)
    await chat.say(told)  # hers to save: she proves who she is first
    assert await rows(shop, "SELECT * FROM notice_watches") == []
    await chat.say(order)
    reply = await chat.say(email)
    # saved from what she asked, once she is verified: she is not asked for the date again
    assert saved in reply
    watches = "SELECT customer_id, kind, subject FROM notice_watches"
    assert await rows(shop, watches) == [(customer, "occasion", subject)]
    await chat.say(opt_in)
    consent = "SELECT customer_id, scope, state, source, wording FROM notice_consent"
    assert await rows(shop, consent) == [(customer, "marketing", "in", "chat", opt_in)]

    document = await shop.app[PRIVACY].export(customer, actor="dpo", now=time.time())
    tables = document["tables"]
    assert [(w["kind"], w["subject"]) for w in tables["notice_watches"]] == [("occasion", subject)]
    assert [c["wording"] for c in tables["notice_consent"]] == [opt_in]
    await shop.app[PRIVACY].forget(customer, actor="dpo", now=time.time())
    assert await rows(shop, watches) == []
    assert await rows(shop, consent) == []


async def test_a_question_about_offers_records_no_consent(shop: TestClient) -> None:
    chat = Chat(shop, "alice", "en")
    await chat.say("where is my order")
    await chat.say("100001")
    await chat.say("alice@example.com")
    await chat.say("do you send offers by email?")
    await chat.say("can I turn your reminders and offers on or off?")
    assert await rows(shop, "SELECT * FROM notice_consent") == []
    await chat.say("no more offers please")
    assert await rows(shop, "SELECT customer_id, state FROM notice_consent") == [("C1", "out")]


async def test_reminders_asked_for_before_verification_record_her_words_not_her_email(
    shop: TestClient,
) -> None:
    """The consent's wording is what she said to opt in, read once she is verified; the
    message that verified her (an order number and her email) is no wording of consent."""
    chat = Chat(shop, "alice", "en")
    await chat.say("please send me your offers and reminders")
    assert await rows(shop, "SELECT * FROM notice_consent") == []
    await chat.say("100001")
    await chat.say("alice@example.com")
    consent = "SELECT customer_id, state, wording FROM notice_consent"
    assert await rows(shop, consent) == [("C1", "in", "please send me your offers and reminders")]
