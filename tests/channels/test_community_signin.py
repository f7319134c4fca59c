"""The community's emailed sign-in link, on each store, with a real SMTP server (aiosmtpd):
mailed only to a customer's address, with the same answer for any address; single use, even
under two clicks at once; short-lived; kept only as a digest; limited per email and per
client address; reached by `forget`."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable
from email.message import Message
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from channels.keys import COMMUNITY, PRIVACY, SIGN_IN_LINKS
from tests.notices.conftest import Sink
from tests.notices.conftest import smtp as smtp
from tests.support.stores import execute, rows

MARIA = "Maria.Silva@example.com"
LINK = re.compile(r"http://\S+/community/email/([A-Za-z0-9_-]+)\?lang=(\w+)")


@pytest.fixture
async def client(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    store_overrides: dict[str, Any],
    smtp: tuple[Sink, str],
) -> TestClient:
    settings = make_settings(smtp_url=smtp[1], mail_from="help@shop.example", **store_overrides)
    client = await aiohttp_client(create_app(settings))
    await execute(
        client.app,
        "INSERT INTO customers (customer_id, name, email) VALUES (?, ?, ?)",
        "C1", "Maria Silva", MARIA,
    )  # fmt: skip
    return client


async def ask_link(client: TestClient, email: str, lang: str = "pt") -> tuple[int, str]:
    response = await client.post("/community/email", data={"email": email, "lang": lang})
    return response.status, await response.text()


async def mails(client: TestClient, sink: Sink) -> list[Message]:
    await client.app[SIGN_IN_LINKS].close()  # the links being mailed have gone out
    return sink.received()


def token_of(message: Message) -> tuple[str, str]:
    found = LINK.search(message.get_payload(decode=True).decode())  # type: ignore[union-attr]
    assert found is not None
    return found.group(1), found.group(2)


async def use(client: TestClient, token: str, name: str = "Maria") -> Any:
    return await client.post(
        f"/community/email/{token}?lang=pt", data={"name": name}, allow_redirects=False
    )


async def test_a_customer_signs_in_once_by_the_emailed_link_and_can_post(
    client: TestClient, smtp: tuple[Sink, str]
) -> None:
    status, page = await ask_link(client, " maria.silva@EXAMPLE.com ")
    assert status == 200 and "If this address belongs to one of our customers" in page
    [message] = await mails(client, smtp[0])
    assert message["To"] == "maria.silva@EXAMPLE.com" and "comunidade" in message["Subject"]
    token, lang = token_of(message)
    assert lang == "pt"
    stored = await rows(client.app, "SELECT digest, customer_id FROM community_sign_in_links")
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(), "C1")]  # not the token

    for _ in range(2):  # opening the link (a mail scanner, a preview) does not spend it
        opened = await client.get(f"/community/email/{token}?lang=pt")
        assert opened.status == 200 and "Display name" in await opened.text()
    refused = await use(client, token, name="maria.silva@example.com")
    assert refused.status == 400  # an email as a name: refused, and the link not spent
    signed = await use(client, token)
    assert signed.status == 303 and signed.headers["Location"] == "/community/pt/"
    cookie = signed.cookies["balcao_community"]
    assert cookie["httponly"] and cookie["path"] == "/community"
    assert await rows(client.app, "SELECT digest FROM community_sign_in_links") == []

    asked = await client.post(
        "/community/pt/ask",
        data={"title": "Têm casacos de lã?", "body": "Para o inverno."},
        headers={"Cookie": f"balcao_community={cookie.value}"},
        allow_redirects=False,
    )
    assert asked.status == 303
    question_id = int(asked.headers["Location"].rsplit("/", 1)[1])
    question = await client.app[COMMUNITY].store.question(question_id)
    assert question is not None and (question.author_id, question.author_name) == (
        "customer:C1",
        "Maria",
    )
    client.session.cookie_jar.clear()
    again = await use(client, token)
    assert again.status == 410 and "expired or was already used" in await again.text()


async def test_any_address_gets_the_same_answer_and_only_customers_get_mail(
    client: TestClient, smtp: tuple[Sink, str]
) -> None:
    for customer_id in ("C2", "C3"):  # two customers share an address: it names nobody
        await execute(
            client.app,
            "INSERT INTO customers (customer_id, name, email) VALUES (?, ?, ?)",
            customer_id, "Family", "home@example.com",
        )  # fmt: skip
    unknown = await ask_link(client, "nobody@example.com")
    shared = await ask_link(client, "HOME@example.com")
    known = await ask_link(client, MARIA)
    assert unknown == known == shared
    assert [m["To"] for m in await mails(client, smtp[0])] == [MARIA]
    listing = await (await client.get("/community/pt/")).text()
    assert 'href="/community/email?lang=pt"' in listing
    bad = await ask_link(client, "not an address")
    assert bad[0] == 400 and "Enter an email address" in bad[1]


async def test_two_clicks_at_once_sign_in_once(client: TestClient, smtp: tuple[Sink, str]) -> None:
    await ask_link(client, MARIA)
    token, _ = token_of((await mails(client, smtp[0]))[0])
    statuses = sorted(
        r.status for r in await asyncio.gather(*(use(client, token) for _ in range(8)))
    )
    assert statuses == [303] + [410] * 7


async def test_a_link_lapses_after_fifteen_minutes(
    client: TestClient, smtp: tuple[Sink, str]
) -> None:
    await ask_link(client, MARIA)
    token, _ = token_of((await mails(client, smtp[0]))[0])
    client.app[SIGN_IN_LINKS].clock = lambda: time.time() + 15 * 60 + 1
    assert (await use(client, token)).status == 410


async def test_links_are_limited_per_email_and_per_client_address(
    client: TestClient, smtp: tuple[Sink, str]
) -> None:
    same = [(await ask_link(client, MARIA))[0] for _ in range(4)]
    assert same == [200, 200, 200, 429]  # 3 an hour for one email
    others = [(await ask_link(client, f"x{n}@example.com"))[0] for n in range(7)]
    assert others == [200] * 6 + [429]  # 10 an hour from one address, all told
    assert len(await mails(client, smtp[0])) == 3


async def test_forget_takes_her_unused_links(client: TestClient, smtp: tuple[Sink, str]) -> None:
    await ask_link(client, MARIA)
    token, _ = token_of((await mails(client, smtp[0]))[0])
    await client.app[PRIVACY].forget("C1", actor="admin@shop.example", now=time.time())
    assert await rows(client.app, "SELECT digest FROM community_sign_in_links") == []
    assert (await use(client, token)).status == 410


async def test_without_smtp_there_is_no_email_sign_in(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings()))
    assert (await client.get("/community/email")).status == 404
    assert (await client.post("/community/email", data={"email": MARIA})).status == 404
    assert "sign-in link by email" not in await (await client.get("/community/pt/")).text()
