"""The widget in a real browser: demo page -> question -> answer -> reload -> history."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from bot.app import create_app
from bot.config import Settings
from bot.core import events as ev
from channels.keys import STORE
from channels.widget import conversation_id

pytestmark = pytest.mark.browser


def url(server: TestServer, path: str = "/") -> str:
    return str(server.make_url(path))


async def knowledge_entries(server: TestServer) -> int:
    async with aiohttp.ClientSession() as session, session.get(url(server, "/health")) as resp:
        body = await resp.json()
    return int(body["knowledge"]["entries"])


async def ask(page: Page, text: str) -> None:
    await page.locator(".balcao-input").fill(text)
    await page.locator(".balcao-input").press("Enter")


async def test_widget_answers_and_keeps_history_across_a_reload(
    browser: Browser, server: TestServer
) -> None:
    page = await browser.new_page()
    await page.goto(url(server))
    log = page.locator(".balcao-log")
    await expect(log).to_have_attribute("aria-live", "polite")
    await expect(page.locator(".balcao-greeting")).to_contain_text("shop assistant")
    await ask(page, "how long does delivery take")
    answer = page.locator(".balcao-msg.balcao-bot").last
    await expect(answer).to_contain_text("Orders arrive in 2-4 working days")
    await expect(answer.locator(".balcao-button")).to_have_text(["Returns"])

    await page.reload()
    await expect(page.locator(".balcao-user .balcao-text")).to_have_text(
        ["how long does delivery take"]
    )
    await expect(page.locator(".balcao-msg.balcao-bot").last).to_contain_text(
        "Orders arrive in 2-4"
    )

    # quick replies work after the reload too
    await page.locator(".balcao-button", has_text="Returns").click()
    await expect(page.locator(".balcao-msg.balcao-bot").last).to_contain_text("within 30 days")
    await page.close()


async def test_text_is_rendered_as_text_never_as_html(browser: Browser, server: TestServer) -> None:
    page = await browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await page.goto(url(server))
    payload = '<img src=x onerror="alert(1)"><b>bold</b>'
    await ask(page, payload)
    user = page.locator(".balcao-msg.balcao-user").last
    await expect(user.locator(".balcao-text")).to_have_text(payload)
    await expect(page.locator(".balcao-msg.balcao-bot").last).to_be_visible()
    assert await page.locator(".balcao-log img, .balcao-log b").count() == 0
    assert dialogs == []
    await page.close()


async def test_widget_is_usable_by_keyboard(browser: Browser, server: TestServer) -> None:
    page = await browser.new_page()
    await page.goto(url(server))
    await expect(page.locator(".balcao-panel")).to_be_visible()
    await expect(page.locator(".balcao-input")).not_to_be_focused()  # never steals the focus
    await page.locator(".balcao-input").focus()
    await page.keyboard.press("Escape")
    await expect(page.locator(".balcao-panel")).to_be_hidden()
    await expect(page.locator(".balcao-launcher")).to_be_focused()
    await expect(page.locator(".balcao-launcher")).to_have_attribute("aria-expanded", "false")
    await page.keyboard.press("Enter")
    await expect(page.locator(".balcao-panel")).to_be_visible()
    await page.keyboard.type("return policy")
    await page.keyboard.press("Enter")
    await expect(page.locator(".balcao-msg.balcao-bot").last).to_contain_text("within 30 days")
    await page.close()


async def test_messages_typed_offline_are_sent_once_on_reconnect(
    browser: Browser, settings: Settings
) -> None:
    first = TestServer(create_app(settings), host="127.0.0.1")
    await first.start_server()
    port = first.port
    page = await browser.new_page()
    await page.goto(str(first.make_url("/")))
    widget = page.locator(".balcao-widget")
    await expect(widget).to_have_attribute("data-connection", "online")
    await first.close()  # the server goes away: the widget notices and keeps trying
    await expect(widget).to_have_attribute("data-connection", "offline")
    await ask(page, "return policy")
    await expect(page.locator(".balcao-user.balcao-pending")).to_have_count(1)

    second = TestServer(create_app(settings), host="127.0.0.1", port=port)
    await second.start_server()
    try:
        await expect(widget).to_have_attribute("data-connection", "online", timeout=15_000)
        await expect(page.locator(".balcao-bot .balcao-text").last).to_contain_text(
            "within 30 days"
        )
        await expect(page.locator(".balcao-user")).to_have_count(1)
        await expect(page.locator(".balcao-pending")).to_have_count(0)
        # and the server stored the message exactly once
        await page.reload()
        await expect(page.locator(".balcao-user .balcao-text")).to_have_text(["return policy"])
    finally:
        await page.close()
        await second.close()


async def test_the_demo_page_picks_the_widget_language(
    browser: Browser, server: TestServer
) -> None:
    page = await browser.new_page()
    await page.goto(url(server, "/?lang=pt"))
    await expect(page.locator(".balcao-greeting")).to_contain_text("Olá!")
    await expect(page.locator(".balcao-input")).to_have_attribute(
        "placeholder", "Escreva a sua pergunta…"
    )
    await ask(page, "quanto tempo demora a entrega")
    await expect(page.locator(".balcao-msg.balcao-bot").last).to_contain_text(
        "As encomendas chegam"
    )
    await page.close()


async def test_bot_markdown_is_built_as_elements_not_parsed_as_html(
    browser: Browser, server: TestServer, kb_dir: object
) -> None:
    from pathlib import Path

    entries = await knowledge_entries(server)
    entry = Path(str(kb_dir)) / "en" / "md.md"
    entry.write_text(
        "---\nid: md\nquestion: show me formatting\n---\n"
        "Returns take **30 days**.\n\n- one <script>alert(1)</script>\n"
        "- [our site](https://example.com) and [bad](javascript:alert(1))\n"
    )
    page = await browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await page.goto(url(server))
    await expect(page.locator(".balcao-greeting")).to_be_visible()
    for _ in range(100):  # the server's knowledge poll picks up the new file and retrains
        if await knowledge_entries(server) > entries:
            break
        await asyncio.sleep(0.1)
    await ask(page, "show me formatting")
    answer = page.locator(".balcao-bot").last
    await expect(answer.locator("strong")).to_have_text("30 days")
    await expect(answer.locator("li")).to_have_count(2)
    await expect(answer.locator("li").first).to_have_text("one <script>alert(1)</script>")
    await expect(answer.locator("a")).to_have_count(1)
    await expect(answer.locator("a")).to_have_attribute("href", "https://example.com")
    assert await page.locator(".balcao-log script").count() == 0
    assert dialogs == []
    await page.close()


async def test_a_rating_reaches_the_server_and_logout_starts_a_fresh_conversation(
    browser: Browser, server: TestServer
) -> None:
    page = await browser.new_page()
    await page.goto(url(server))
    await ask(page, "how long does delivery take")
    answer = page.locator(".balcao-msg.balcao-bot", has_text="Orders arrive in 2-4 working days")
    await expect(answer).to_be_visible()
    session = await page.evaluate(
        "JSON.parse(localStorage.getItem('balcao:' + location.origin)).sessionId"
    )
    await answer.get_by_role("button", name="Helpful", exact=True).click()
    await expect(answer.locator(".balcao-rated")).to_be_visible()
    store = server.app[STORE]
    for _ in range(50):
        rated = [e for e in await store.load(conversation_id(session)) if e.kind == ev.FEEDBACK]
        if rated:
            break
        await asyncio.sleep(0.1)
    assert [e.data["helpful"] for e in rated] == [True]

    await page.evaluate("Balcao.logout()")
    await expect(page.locator(".balcao-user")).to_have_count(0)
    await expect(page.locator(".balcao-greeting")).to_be_visible()
    await page.reload()
    await expect(page.locator(".balcao-greeting")).to_be_visible()
    await expect(page.locator(".balcao-user")).to_have_count(0)
    fresh = await page.evaluate(
        "JSON.parse(localStorage.getItem('balcao:' + location.origin)).sessionId"
    )
    assert fresh and fresh != session
    await page.close()
