"""#17 observation 5 over REST: a return asks which order when several could be meant,
and a correction ("no, not that one, order 100004") replaces the order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actions import store
from bot.app import create_app
from bot.config import Settings
from tests.actions.test_conversation_rest import REPO_KNOWLEDGE, Chat
from tests.shop.factory import make_shop_db


async def start_return(chat: Chat, text: str) -> str:
    """Say `text`; when the assistant asks "is it this?", pick the return request."""
    said = await chat.say(text)
    offered = [b["payload"] for r in chat.seen[-2:] for b in r.get("buttons", [])]
    if "Which order" not in said and "/return-request" in offered:
        said = await chat.say("/return-request")
    return said


@pytest.fixture
def shipped_settings(tmp_path: Path) -> Iterator[Settings]:
    db = make_shop_db(tmp_path / "shop.sqlite3")
    yield Settings.from_env({}, db=db, kb=REPO_KNOWLEDGE, actions_package="actions")
    store.close()


async def test_a_return_after_a_cancelled_order_asks_which_order_then_takes_the_correction(
    aiohttp_client: Any, shipped_settings: Settings
) -> None:
    chat = Chat(await aiohttp_client(create_app(shipped_settings)), "joao-17", language="en")
    await chat.say("where is my order 100007")
    status = await chat.say("joao@example.com")
    assert "100007" in status  # cancelled: now in focus
    asked = await start_return(chat, "I want to send back the tea cups")
    assert "Which order" in asked and "100004" in asked
    assert "R-" not in asked  # nothing recorded on the cancelled order
    done = await chat.say("no, not that one, order 100004")
    assert "100004" in done and "not sure" not in done


@pytest.mark.parametrize(
    ("language", "correction"),
    [("en", "no, not that one, order 100008"), ("es", "no, el pedido 100008")],
)
async def test_a_correction_after_a_return_replaces_the_order(
    aiohttp_client: Any, shipped_settings: Settings, language: str, correction: str
) -> None:
    chat = Chat(await aiohttp_client(create_app(shipped_settings)), f"lucia-{language}", language)
    await chat.say(
        "where is my order 100005" if language == "en" else "dónde está mi pedido 100005"
    )
    assert "100005" in await chat.say("28001")
    first = await start_return(
        chat,
        "I want to return the tea strainer" if language == "en" else "quiero devolver el colador",
    )
    assert "100005" in first
    corrected = await chat.say(correction)
    assert "100008" in corrected
    assert not corrected.startswith(("I'm not sure", "No estoy seguro"))


async def test_a_portuguese_correction_while_asked_which_order(
    aiohttp_client: Any, shipped_settings: Settings
) -> None:
    chat = Chat(await aiohttp_client(create_app(shipped_settings)), "joao-pt", language="pt")
    await chat.say("onde está a minha encomenda 100007")
    await chat.say("joao@example.com")
    asked = await start_return(chat, "quero devolver as chávenas")
    assert "100004" in asked and "R-" not in asked
    assert "100004" in await chat.say("não, a encomenda 100004")
