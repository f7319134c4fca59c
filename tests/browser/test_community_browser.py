"""The help center and the community in Debian's chromium: readable and usable without
JavaScript, and the whole way from a customer's question to a published answer."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from bot.app import create_app
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from bot.core.identity import identity_hash
from channels.keys import AGENTS, RELOADER
from tests.browser.conftest import browser as browser
from tests.security.conftest import PASSWORD, SECRET

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parent.parent.parent


@pytest.fixture
async def shop(make_settings: Callable[..., Settings]) -> AsyncIterator[TestServer]:
    """The real server with the engine, on SQLite, agents Eva (agent) and Inês (admin)."""
    settings = make_settings(business_hours="always", auto_assign=False, secret=SECRET)
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    for email, name, role in (("eva@shop.example", "Eva", "agent"), ("ines@shop.example", "Inês", "admin")):  # fmt: skip
        await server.app[AGENTS].save(
            new_agent(email, name, role, ("pt",)), hash_password(PASSWORD), time.time()
        )
    yield server
    await server.close()


def url(server: TestServer, path: str) -> str:
    return str(server.make_url(path))


async def token(server: TestServer, email: str) -> str:
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            url(server, "/api/auth/login"), json={"email": email, "password": PASSWORD}
        )
        assert response.status == 200, await response.text()
        return str((await response.json())["token"])


async def sign_in(page: Page, server: TestServer, customer_id: str, name: str) -> None:
    """What the host site does: link to the sign-in with its customer's id and hash."""
    given = identity_hash(SECRET, customer_id)
    await page.goto(
        url(server, f"/community/session?customer_id={customer_id}&identifier_hash={given}&lang=pt")
    )
    await page.locator("#name").fill(name)
    await page.locator(".community-form button").click()
    await expect(page.locator(".help-header")).to_contain_text(name)


async def test_help_center_reads_searches_and_rates_without_javascript(
    browser: Browser, shop: TestServer
) -> None:
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(url(shop, "/help"))
    await expect(page).to_have_url(re.compile(r"/help/en/$"))
    await page.locator("a", has_text="How do I return an item?").first.click()
    await expect(page.locator("h1")).to_have_text("How do I return an item?")
    await expect(page.locator(".help-answer")).to_contain_text("within 30 days")
    await page.locator(".help-feedback button", has_text="Yes").click()
    await expect(page.locator(".help-thanks")).to_be_visible()
    await page.locator(".help-translations a[hreflang=pt]").click()
    await expect(page.locator("h1")).to_have_text("Como devolvo um artigo?")
    await page.locator("#q").fill("quero devolver um produto")
    await page.locator(".help-search button").click()
    await expect(page.locator(".help-list a").first).to_have_text("Como devolvo um artigo?")
    await context.close()


async def test_a_community_answer_becomes_the_widgets_and_the_help_centers(
    browser: Browser, shop: TestServer
) -> None:
    # a customer the shop vouches for asks in Portuguese
    ana = await (await browser.new_context()).new_page()
    await sign_in(ana, shop, "cliente-1", "Ana")
    await ana.locator("#title").fill("Posso pagar com MB Way no site?")
    await ana.locator("#body").fill("Não tenho cartão, escrevam-me para ana@exemplo.pt")
    await ana.locator(".community-form button").click()
    await expect(ana.locator(".community-notice")).to_contain_text("email")
    question_url = ana.url.split("?")[0]
    question_id = int(question_url.rsplit("/", 1)[1])

    # a second customer answers, and sees no email
    rui = await (await browser.new_context()).new_page()
    await sign_in(rui, shop, "cliente-2", "Rui")
    await rui.goto(question_url)
    await expect(rui.locator(".community-question-page")).not_to_contain_text("ana@exemplo.pt")
    await rui.locator("#answer").fill("Sim: escolha MB Way no fim da compra e confirme na app.")
    await rui.locator(".community-form button").click()
    answer = rui.locator(".community-post").first
    await expect(answer).to_contain_text("MB Way no fim da compra")
    answer_id = int(await answer.get_attribute("data-answer") or "0")

    # an agent accepts it, an admin promotes it
    headers = {"Authorization": f"Bearer {await token(shop, 'eva@shop.example')}"}
    admin = {"Authorization": f"Bearer {await token(shop, 'ines@shop.example')}"}
    async with aiohttp.ClientSession() as session:
        accepted = await session.post(
            url(shop, f"/api/community/questions/{question_id}/accept"),
            json={"answer": answer_id},
            headers=headers,
        )
        assert accepted.status == 200, await accepted.text()
        promoted = await session.post(
            url(shop, f"/api/admin/community/questions/{question_id}/promote"), headers=admin
        )
        assert promoted.status == 201, await promoted.text()
        body = await promoted.json()
    await rui.reload()
    await expect(rui.locator(".community-accepted")).to_contain_text("accepted")

    # the admin renames the draft; the reloader picks it up
    kb = shop.app[RELOADER].directory
    (kb / body["draft"]).rename(kb / body["publish_by_renaming_to"])
    for _ in range(100):
        if shop.app[RELOADER].kb.get(body["help_url"].rsplit("/", 1)[1], "pt"):
            break
        await asyncio.sleep(0.1)

    # the widget answers a paraphrase from the new entry
    widget = await (await browser.new_context()).new_page()
    await widget.goto(url(shop, "/?lang=pt"))
    await widget.locator(".balcao-input").fill("dá para pagar com mbway?")
    await widget.locator(".balcao-input").press("Enter")
    await expect(widget.locator(".balcao-msg.balcao-bot").last).to_contain_text(
        "MB Way no fim da compra"
    )

    # and the help center shows it, crediting the community
    await widget.goto(url(shop, body["help_url"]))
    await expect(widget.locator("h1")).to_have_text("Posso pagar com MB Way no site?")
    await expect(widget.locator(".help-answer")).to_contain_text("comunidade")
