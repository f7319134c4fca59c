"""The admin dashboard in a real browser: log in, see automated resolution and the top unanswered question."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from bot.core.agents import hash_password, new_agent
from channels.keys import AGENTS
from tests.admin.conftest import PASSWORD

pytestmark = pytest.mark.browser


async def test_dashboard_shows_resolution_and_unanswered(
    browser: Browser, server: TestServer
) -> None:
    await server.app[AGENTS].save(
        new_agent("ana@example.com", "Ana", "admin"), hash_password(PASSWORD), time.time()
    )
    async with aiohttp.ClientSession() as http:
        for sender, text in [("a", "how long does delivery take"), ("b", "do you sell garden chairs"),
                             ("c", "do you sell garden chairs?")]:  # fmt: skip
            await http.post(
                server.make_url("/webhooks/rest/webhook"), json={"sender": sender, "message": text}
            )

    page = await browser.new_page()
    await page.goto(str(server.make_url("/admin")))
    await page.locator("#email").fill("ana@example.com")
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#login button[type=submit]").click()

    await expect(page.locator("[data-kpi=conversations] .value")).to_have_text("3")
    await expect(page.locator("[data-kpi=automated_resolution] .value")).to_have_text("33.3%")
    first = page.locator("#unanswered tbody tr").first
    await expect(first.locator("td.count")).to_have_text("2")
    await expect(first).to_contain_text("do you sell garden chairs")
    await expect(page.locator("#trend svg rect.bar")).to_have_count(1)

    await first.locator("button").click()
    await expect(first).to_contain_text("Draft written: en/draft-do-you-sell-garden-chairs")
    await page.close()


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
async def test_dashboard_reasons_in_words_comments_transcripts_and_csv(
    browser: Browser, server: TestServer, size: tuple[int, int]
) -> None:
    import os
    from pathlib import Path

    from tests.admin.test_transcripts import seed

    class _Client:  # seed() only needs .app
        app = server.app

    await seed(_Client())  # type: ignore[arg-type]
    await server.app[AGENTS].save(
        new_agent("ana@example.com", "Ana", "admin"), hash_password(PASSWORD), time.time()
    )
    context = await browser.new_context(
        viewport={"width": size[0], "height": size[1]}, accept_downloads=True
    )
    page = await context.new_page()
    await page.goto(str(server.make_url("/admin")))
    await page.locator("#email").fill("ana@example.com")
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#login button[type=submit]").click()

    await expect(page.locator("#reasons")).to_contain_text("Asked for a person")
    assert "asked_for_person" not in await page.locator("#reasons").inner_text()
    await expect(page.locator("#trend .rate")).to_have_count(1)  # one day: the dot is labelled
    await expect(page.locator("#trend .legend")).to_be_visible()
    width = await page.locator("#trend rect.bar").first.get_attribute("width")
    assert width is not None and float(width) <= 48
    row = page.locator("#conversations tbody tr").first
    await expect(row).to_contain_text("quick and kind")
    await expect(row).to_contain_text("4/5")
    await row.locator("button").click()
    await expect(page.locator("#transcript-view")).to_contain_text("Rua das Flores")
    async with page.expect_download() as info:
        await page.locator("[data-csv=conversations]").click()
    download = await info.value
    text = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")
    assert text.startswith("started,conversation,") and "quick and kind" in text
    if size[0] > 500 and os.environ.get("BALCAO_SCREENSHOTS"):
        shots = Path(__file__).parents[2] / "docs" / "screenshots"
        await page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
    await context.close()
