"""The admin dashboard in a real browser: log in, see automated resolution and the top unanswered question."""

from __future__ import annotations

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
