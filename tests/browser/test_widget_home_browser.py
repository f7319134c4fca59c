"""The widget's home screen (#19) and the help center's "still need help?" topic (#22), in
Debian's chromium: greeting, instant search, most asked topics, start and continue, by
keyboard, in en/pt/es."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from bot.app import create_app
from bot.config import Settings

pytestmark = pytest.mark.browser

SPANISH = {
    "devoluciones.md": "---\nid: returns\nquestion: ¿Cómo devuelvo un artículo?\nexamples:\n"
    "  - puedo devolver algo\n  - política de devoluciones\n  - quiero devolver un producto\n"
    "---\nPuedes devolver cualquier artículo en los 30 días siguientes a la entrega.\n",
    "entregas.md": "---\nid: delivery-times\nquestion: ¿Cuánto tarda la entrega?\nexamples:\n"
    "  - cuándo llega mi pedido\n  - plazo de entrega\n  - cuántos días tarda el envío\n"
    "---\nLos pedidos llegan en 2 a 4 días laborables.\n",
}
CASES = {
    # language: (greeting starts, search label, start label, query, result, its answer)
    "en": ("Hi!", "Search our help center", "Start a conversation", "send something back",
           "How do I return an item?", "within 30 days"),
    "pt": ("Olá!", "Pesquisar no centro de ajuda", "Iniciar uma conversa", "devolver uma coisa",
           "Como devolvo um artigo?", "até 30 dias"),
    "es": ("¡Hola!", "Buscar en el centro de ayuda", "Iniciar una conversación",
           "devolver algo", "¿Cómo devuelvo un artículo?", "30 días siguientes"),
}  # fmt: skip


@pytest.fixture
async def shop(make_settings: Callable[..., Settings], kb_dir: Path) -> AsyncIterator[TestServer]:
    (kb_dir / "es").mkdir(exist_ok=True)
    for name, text in SPANISH.items():
        (kb_dir / "es" / name).write_text(text, encoding="utf-8")
    server = TestServer(create_app(make_settings()), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


@pytest.mark.parametrize("language", ["en", "pt", "es"])
async def test_home_screen_searches_lists_topics_starts_and_continues_by_keyboard(
    browser: Browser, shop: TestServer, language: str
) -> None:
    greeting, search_label, start_label, query, result, answer = CASES[language]
    page = await browser.new_page()
    await page.goto(str(shop.make_url(f"/?lang={language}")))
    home = page.locator(".balcao-home")
    await expect(home).to_be_visible()
    await expect(page.locator(".balcao-log")).to_be_hidden()
    await expect(home.locator(".balcao-greeting")).to_contain_text(greeting)
    await expect(home.locator(".balcao-topic")).not_to_have_count(0)  # the most asked
    await expect(home.get_by_role("button", name=start_label)).to_be_visible()
    await expect(home.locator(".balcao-resume")).to_be_hidden()

    # instant results while typing, then Tab to the first and Enter: the bot answers it
    search = home.get_by_role("searchbox", name=search_label)
    await search.focus()
    await page.keyboard.type(query)
    first = page.locator(".balcao-results .balcao-topic").first
    await expect(first).to_have_text(result)
    await page.keyboard.press("Tab")
    await expect(first).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(home).to_be_hidden()
    await expect(page.locator(".balcao-user .balcao-text")).to_have_text([result])
    await expect(page.locator(".balcao-msg.balcao-bot").last).to_contain_text(answer)

    # home again: the open conversation to continue, in place of "start"
    await page.locator(".balcao-home-button").click()
    await expect(home).to_be_visible()
    resume = home.locator(".balcao-resume")
    await expect(resume).to_be_visible()
    await expect(home.get_by_role("button", name=start_label)).to_be_hidden()
    await resume.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator(".balcao-msg.balcao-bot").last).to_be_visible()
    await expect(page.locator(".balcao-input")).to_be_focused()
    await page.close()


async def test_still_need_help_opens_the_widget_asking_about_that_topic_once(
    browser: Browser, shop: TestServer
) -> None:
    page = await browser.new_page()
    await page.goto(str(shop.make_url("/help/pt/returns")))
    await page.get_by_role("link", name="Fale connosco").click()
    await expect(page.locator(".balcao-panel")).to_be_visible()
    await expect(page.locator(".balcao-user .balcao-text")).to_have_text(
        ["Como devolvo um artigo?"]
    )
    await expect(page.locator(".balcao-msg.balcao-bot").last).to_contain_text("até 30 dias")
    await expect(page.locator(".balcao-input")).not_to_be_focused()  # opened, focus kept

    await page.reload()  # the same link again: the same conversation, not asked twice
    await expect(page.locator(".balcao-msg.balcao-bot").last).to_contain_text("até 30 dias")
    await page.wait_for_timeout(500)
    await expect(page.locator(".balcao-user")).to_have_count(1)
    await page.close()
