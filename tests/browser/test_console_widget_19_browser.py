"""Issue #19 in a real browser: the console's fixed panes, titles, clean switches, the
bot's buttons, alerts; the widget that does not steal focus, its phone sheet and icons.
With BALCAO_SCREENSHOTS=1 it also writes docs/screenshots/*.png."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from bot.app import create_app
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from channels.keys import AGENTS

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
SHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


async def shot(page: Page, name: str) -> None:
    if os.environ.get("BALCAO_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / name))


def tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\x00\xff\x00" * 2)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def ask(page: Page, text: str) -> None:
    await page.locator(".balcao-input").fill(text)
    await page.locator(".balcao-input").press("Enter")


@pytest.mark.parametrize("size", [(1440, 900), (1280, 720)], ids=["1440x900", "1280x720"])
async def test_console_panes_titles_buttons_alerts_and_a_clean_switch(
    browser: Browser, make_settings: Callable[..., Settings], size: tuple[int, int]
) -> None:
    app = create_app(make_settings(business_hours="always", auto_assign=True))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        await app[AGENTS].save(
            new_agent("ana@shop.example", "Ana", languages=("en",)),
            hash_password(PASSWORD),
            time.time(),
        )
        width, height = size
        agent = await (
            await browser.new_context(viewport={"width": width, "height": height})
        ).new_page()
        await agent.goto(str(server.make_url("/console")))
        await agent.locator("#login-email").fill("ana@shop.example")
        await agent.locator("#login-password").fill(PASSWORD)
        await agent.locator("#login-form button").click()
        await expect(agent.locator("#app")).to_be_visible()

        customer = await (await browser.new_context()).new_page()
        await customer.goto(str(server.make_url("/")))
        await ask(customer, "blorf quux zzyzx")  # the bot offers buttons
        await expect(customer.locator(".balcao-bot .balcao-button").first).to_be_visible()
        await ask(customer, "I want to speak to a human")

        mine = agent.locator("#mine .item")
        await expect(mine).to_have_count(1)  # auto-assigned, and it says so
        await expect(mine.first).to_contain_text("auto · new")
        await expect(mine.first.locator(".title")).to_have_text("EN · blorf quux zzyzx")
        await expect(agent).to_have_title("(1) Balcão — agent console")
        assert await agent.evaluate("window.__balcaoBeeps") == 1
        await mine.first.locator("button").click()
        transcript = agent.locator("#transcript")
        await expect(transcript.locator(".chip").first).to_be_visible()
        await expect(transcript).to_contain_text("Auto-assigned to ana@shop.example")
        await expect(agent.locator("#chat-title")).to_have_text("EN · blorf quux zzyzx")

        # the customer sends a photo; the agent sees it (fetched with the token, as a blob)
        await customer.locator(".balcao-file").set_input_files(
            files=[{"name": "teapot.html", "mimeType": "text/html", "buffer": tiny_png()}]
        )
        photo = transcript.locator(".attachment img.photo")
        await expect(photo).to_be_visible()
        assert await photo.evaluate("i => i.naturalWidth") == 2
        link = customer.locator(".balcao-file-link")
        await expect(link).to_be_visible()
        # the customer's link names no session: a token for this one file, refreshed on click
        session = await customer.evaluate(
            "JSON.parse(localStorage.getItem('balcao:' + location.origin)).sessionId"
        )
        href = await link.get_attribute("href") or ""
        assert "?t=" in href and session not in href
        async with customer.expect_download() as download:
            await link.click()
        saved = await (await download.value).path()
        assert await asyncio.to_thread(Path(saved).read_bytes) == tiny_png()

        for n in range(30):  # a long conversation: only the transcript scrolls
            await agent.locator("#reply").fill(f"line {n}\nsecond line")
            await agent.locator("#reply").press("Enter")
            await expect(transcript.locator(".msg.agent")).to_have_count(n + 1)
            await expect(agent.locator("#chat-error")).to_have_text("")
        page_height = await agent.evaluate("document.documentElement.scrollHeight")
        assert page_height <= height
        assert await transcript.evaluate("t => t.scrollHeight > t.clientHeight")
        queue = agent.locator(".queue")
        assert await queue.evaluate("q => q.scrollWidth <= q.clientWidth")
        if size == (1440, 900):
            await shot(agent, "console.png")

        await agent.locator("#reply").fill("/")  # "/" opens the canned replies
        await agent.keyboard.press("Escape")
        await agent.locator("#reply").fill("")
        await agent.keyboard.press("Alt+r")  # resolve by keyboard; the next starts clean
        await expect(agent.locator("#empty")).to_be_visible()
        await expect(agent.locator("#customer")).to_have_text("Not verified: no personal data.")
        await expect(agent.locator("#goodwill")).to_be_hidden()
        assert await agent.locator("#transcript .msg").count() == 0
    finally:
        await server.close()


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
async def test_widget_keeps_the_page_still_and_fits_the_screen(
    browser: Browser, server: TestServer, size: tuple[int, int]
) -> None:
    width, height = size
    page = await (await browser.new_context(viewport={"width": width, "height": height})).new_page()
    await page.goto(str(server.make_url("/")))
    await expect(page.locator(".balcao-availability")).not_to_have_text("")
    assert await page.evaluate("window.scrollY") == 0
    await expect(page.locator(".balcao-input")).not_to_be_focused()
    if await page.locator(".balcao-panel").is_hidden():
        await page.locator(".balcao-launcher").click()
    font = await page.locator(".balcao-input").evaluate("i => getComputedStyle(i).fontSize")
    assert font == "16px"  # iOS does not zoom in
    box = await page.locator(".balcao-panel").bounding_box()
    assert box is not None
    if width < 500:
        assert box["width"] == width and box["height"] == height
        await expect(page.locator(".balcao-launcher")).to_be_hidden()
    await ask(page, "return policy")
    answer = page.locator(".balcao-msg.balcao-bot").last
    await expect(answer).to_contain_text("within 30 days")
    await expect(answer.locator(".balcao-thumb svg")).to_have_count(2)
    assert "👍" not in await answer.inner_text()
    await expect(answer.locator("time.balcao-time")).to_have_count(1)
    await shot(page, "widget-phone.png" if width < 500 else "widget-desktop.png")
    await page.close()


LONG = "\n\n".join(f"Paragraph {n} of the long answer about care." for n in range(1, 61))


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
async def test_a_long_answer_opens_at_its_start_and_the_header_names_the_shop(
    browser: Browser, make_settings: Callable[..., Settings], kb_dir: Path, size: tuple[int, int]
) -> None:
    (kb_dir / "en" / "long.md").write_text(
        "---\nid: long-care\nquestion: how do I care for a teapot\n---\n"
        "The first line of the long answer.\n\n" + LONG + "\n"
    )
    server = TestServer(create_app(make_settings()), host="127.0.0.1")
    await server.start_server()
    try:
        page = await (
            await browser.new_context(viewport={"width": size[0], "height": size[1]})
        ).new_page()
        await page.goto(str(server.make_url("/")))
        await expect(page.locator(".balcao-title")).to_have_text("Casa Balcão")
        await ask(page, "how do I care for a teapot")
        answer = page.locator(".balcao-msg.balcao-bot").last
        await expect(answer).to_contain_text("Paragraph 60")
        await page.wait_for_timeout(100)
        top = await answer.evaluate(
            "a => a.getBoundingClientRect().top - a.parentElement.getBoundingClientRect().top"
        )
        assert 0 <= top <= 20  # its first line is at the top of the log, not scrolled past
        await expect(answer.get_by_text("The first line of the long answer.")).to_be_in_viewport()
    finally:
        await server.close()
