"""The XSS corpus posted as community questions, answers and display names, and written into
knowledge entries, is inert in the community and the help center (Debian's chromium)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser

from bot.app import create_app
from bot.config import Settings
from bot.core.identity import identity_hash
from tests.browser.conftest import browser as browser
from tests.security.conftest import SECRET
from tests.security.test_xss_browser import (
    ENTRY_QUESTION,
    PAYLOADS,
    Watch,
    _write_payload_knowledge,
)

pytestmark = pytest.mark.browser


@pytest.fixture
async def xss_shop(
    make_settings: Callable[..., Settings], kb_dir: Path
) -> AsyncIterator[TestServer]:
    _write_payload_knowledge(kb_dir)
    settings = make_settings(
        secret=SECRET, ip_community_posts_per_minute=10_000, ip_feedback_per_minute=10_000
    )
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def _signed_in(session: aiohttp.ClientSession, base: str, n: int, name: str) -> bool:
    session.cookie_jar.clear()
    customer = f"xss-{n}"
    response = await session.post(
        f"{base}/community/session",
        data={"customer_id": customer, "identifier_hash": identity_hash(SECRET, customer),
              "name": name, "lang": "en"},
        allow_redirects=False,
    )  # fmt: skip
    return response.status == 303


async def test_community_and_help_center_show_the_corpus_as_text(
    browser: Browser, xss_shop: TestServer
) -> None:
    base = str(xss_shop.make_url("")).rstrip("/")
    posted: list[str] = []
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        for n, payload in enumerate(PAYLOADS):
            name = payload[:40] if await _signed_in(session, base, n, payload[:40]) else ""
            if not name:
                assert await _signed_in(session, base, n, f"Reader {n}")
            response = await session.post(
                f"{base}/community/en/ask",
                data={"title": payload[:200], "body": payload},
                allow_redirects=False,
            )
            if response.status != 303:
                continue  # refused (spam filter): nothing stored
            where = response.headers["Location"].split("?")[0]
            answered = await session.post(
                f"{base}{where}/answer", data={"body": payload}, allow_redirects=False
            )
            assert answered.status in (303, 400)
            posted.append(where)
    assert len(posted) >= 10

    page = await (await browser.new_context()).new_page()
    watch = Watch(page)
    await page.goto(f"{base}/community/en/")
    await watch.assert_inert(".help-main")
    assert "<script>window.__xss=1</script>" in await page.locator(".help-main").inner_text()
    for where in posted:
        await page.goto(f"{base}{where}")
        await watch.assert_inert(".help-main")

    for path in ("/help/en/", "/help/en/payload-entry", "/help/en/search?q=payload+entry"):
        await page.goto(f"{base}{path}")
        await watch.assert_inert(".help-main")
    await page.goto(f"{base}/help/en/payload-entry")
    assert await page.locator("h1").inner_text() == ENTRY_QUESTION
    await page.goto(f"{base}/help/en/search?q=<script>window.__xss=1</script>")
    await watch.assert_inert(".help-main", ".help-header")
