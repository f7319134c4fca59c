"""The console's Community view in a real browser: a moderator hides a reported post and it
is gone from /community; an approved one stays; an admin promotes an accepted answer into
a knowledge-base draft. Posts' texts stay inert there as everywhere."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from bot.app import create_app
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from bot.core.community import Author
from channels.keys import AGENTS, COMMUNITY, SETTINGS
from tests.security.conftest import SECRET

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
ANA = Author("customer:c1", "Ana")
RUI = Author("customer:c2", "Rui <b>")
XSS = '<img src=x onerror="window.__xss=1">'


async def log_in(browser: Browser, server: TestServer, email: str) -> Page:
    page = await (await browser.new_context()).new_page()
    await page.goto(str(server.make_url("/console")))
    await page.locator("#login-email").fill(email)
    await page.locator("#login-password").fill(PASSWORD)
    await page.locator("#login-form button").click()
    await expect(page.locator("#app")).to_be_visible()
    return page


async def test_a_moderator_hides_a_reported_post_and_it_leaves_the_community(
    browser: Browser, make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings(business_hours="always", auto_assign=False, secret=SECRET))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        for email, role in (("eva@shop.example", "agent"), ("ines@shop.example", "admin")):
            await app[AGENTS].save(
                new_agent(email, email.split("@")[0].title(), role), hash_password(PASSWORD),
                time.time(),
            )  # fmt: skip
        community = app[COMMUNITY]
        spam = (await community.ask(ANA, "pt", f"Relógios baratos {XSS}", "Visitem já")).id
        kept = (await community.ask(ANA, "pt", "Posso trocar um casaco?", "Ficou pequeno")).id
        answer = (await community.reply(RUI, kept, "Sim, na página de trocas.")).id
        for reporter in ("customer:c3", "customer:c4"):
            await community.report(reporter, "question", spam)
        await community.report("customer:c3", "question", kept)
        await community.accept(ANA, kept, answer)

        listing = await (await browser.new_context()).new_page()
        await listing.goto(str(server.make_url("/community/pt/")))
        await expect(listing.locator(".community-question")).to_have_count(2)

        agent = await log_in(browser, server, "eva@shop.example")
        await expect(agent.locator("#community-count")).to_have_text("2")
        await agent.locator("#community-toggle").click()
        flagged = agent.locator("#flagged .item")
        await expect(flagged).to_have_count(2)
        spam_item = agent.locator(f'#flagged .item[data-id="{spam}"]')
        await expect(spam_item).to_contain_text("2 reports")
        await expect(spam_item.locator(".title")).to_have_text(f"Relógios baratos {XSS}")
        promote = agent.locator(f'#awaiting .item[data-id="{kept}"] button')
        await expect(promote).to_be_disabled()  # agents do not promote

        await spam_item.locator("button.hide").click()
        await expect(flagged).to_have_count(1)
        await expect(agent.locator("#moderation-status")).to_contain_text("Hidden")
        await agent.locator(f'#flagged .item[data-id="{kept}"] button.approve').click()
        await expect(agent.locator("#flagged .item")).to_have_count(0)
        await expect(agent.locator("#flagged")).to_contain_text("Nothing reported.")
        await expect(agent.locator("#community-count")).to_have_text("0")

        await listing.reload()
        titles = listing.locator(".community-question a")
        await expect(titles).to_have_count(1)
        await expect(titles).to_have_text("Posso trocar um casaco?")
        gone = await listing.goto(str(server.make_url(f"/community/pt/{spam}")))
        assert gone is not None and gone.status == 404

        admin = await log_in(browser, server, "ines@shop.example")
        await admin.locator("#community-toggle").click()
        await admin.locator(f'#awaiting .item[data-id="{kept}"] button').click()
        await expect(admin.locator("#moderation-status")).to_contain_text(
            "Draft written: pt/draft-"
        )
        await expect(admin.locator("#awaiting")).to_contain_text("No accepted answers waiting.")
        drafts = list((app[SETTINGS].kb / "pt").glob("draft-*.md"))
        assert len(drafts) == 1 and "Sim, na página de trocas." in drafts[0].read_text("utf-8")
        for page in (agent, admin, listing):
            assert await page.evaluate("window.__xss") is None
    finally:
        await server.close()
