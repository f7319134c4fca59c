"""Injection payloads in every text a page shows are rendered inert: the widget, the agent
console and the admin dashboard, in a real browser (Debian's chromium through Playwright).

Payloads set `window.__xss` (or open a dialog) if they ever run; each page must end with no
dialog, the sentinel unset, no element the payloads tried to create, and the text shown as text.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from bot.app import create_app
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from bot.understanding.matching import FuzzyMatcher
from channels.keys import AGENTS
from tests.browser.conftest import browser as browser
from tests.security.conftest import PASSWORD

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "<svg onload=window.__xss=1><circle r=9></circle></svg>",
    '<iframe src="javascript:window.__xss=1"></iframe>',
    "<a href=\"javascript:alert('xss')\">click me</a>",
    "[x](javascript:alert(1)) and [y](javascript:window.__xss=1)",
    '[ok](https://example.com/"onmouseover="window.__xss=1)',
    "&lt;script&gt;alert(1)&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62;",
    '"><img src=x onerror=alert(1)>',
    "' onfocus='window.__xss=1' autofocus='",
    "</textarea></p><script>alert(1)</script>",
    "\u202egnp.exe <b>rtl override</b>\u202c",
    "{{7*7}} ${7*7} <%= 7*7 %> #{7*7}",
    "<style>*{display:none}</style><math><mi xlink:href=javascript:alert(1)>m</mi></math>",
    "A" * 1500 + "<script>window.__xss=1</script>",
]
FORBIDDEN = "img, script, svg:not(.balcao-icon), iframe, style, math, a[href^='javascript'], b, [onerror], [onload], [onfocus], [onmouseover]"  # fmt: skip
# the widget's own icons (svg.balcao-icon, fixed paths built in widget.js) are the one svg allowed
ENTRY_QUESTION = '<img src=x onerror="window.__xss=1"> How do I see the payload entry?'
ENTRY_ANSWER = "\n".join(
    [
        "Payloads <script>window.__xss=1</script> and <img src=x onerror=window.__xss=1> here.",
        "[x](javascript:window.__xss=1) and [y](javascript:alert(1)) stay text.",
        "- <svg onload=window.__xss=1></svg> in a list",
        "{{7*7}}",  # one asterisk a line: the widget's Markdown would read two as *italic*
        "${7*7}",
        '[safe](https://example.com/"><img src=x onerror=window.__xss=1>)',
    ]
)
AGENT_NAME = '<img src=x onerror="window.__xss=1">Ana'
CANNED_TITLE = "<b onmouseover=window.__xss=1>canned</b>"
CANNED_TEXT = "<script>window.__xss=1</script> canned {{7*7}}"


def _write_payload_knowledge(kb: Path) -> None:
    front = {
        "id": "payload-entry",
        "question": ENTRY_QUESTION,
        "examples": ["show me the payload entry"],
        "buttons": [
            {"title": '"><img src=x onerror=window.__xss=1>', "payload": "/returns"},
            {"title": "<script>window.__xss=1</script>", "payload": "/greeting"},
        ],
    }
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + ENTRY_ANSWER + "\n"
    (kb / "en" / "payload-entry.md").write_text(text, encoding="utf-8")
    canned = [{"id": "xss", "language": "en", "title": CANNED_TITLE, "text": CANNED_TEXT}]
    (kb / "canned.yml").write_text(yaml.safe_dump(canned, allow_unicode=True), encoding="utf-8")


@pytest.fixture
async def xss_server(
    make_settings: Callable[..., Settings], kb_dir: Path
) -> AsyncIterator[TestServer]:
    _write_payload_knowledge(kb_dir)
    settings = make_settings(business_hours="always", auto_assign=False)
    server = TestServer(create_app(settings, matcher_factory=FuzzyMatcher), host="127.0.0.1")
    await server.start_server()
    await server.app[AGENTS].save(
        new_agent("ana@shop.example", AGENT_NAME, "admin", ("en",)),
        hash_password(PASSWORD),
        time.time(),
    )
    yield server
    await server.close()


class Watch:
    """Dialogs a page opened; the sentinel and the forbidden elements checked at the end."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        page.set_default_timeout(10_000)
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: object) -> None:
        self.dialogs.append(getattr(dialog, "message", "?"))
        asyncio.ensure_future(dialog.dismiss())  # type: ignore[attr-defined]

    async def assert_inert(self, *containers: str) -> None:
        await self.page.wait_for_timeout(300)  # let any onerror/onload fire
        assert self.dialogs == []
        assert await self.page.evaluate("typeof window.__xss") == "undefined"
        for container in containers:
            found = await self.page.locator(container).locator(FORBIDDEN).count()
            assert found == 0, f"{found} injected element(s) in {container}"
            hrefs = (
                await self.page.locator(container)
                .locator("a")
                .evaluate_all("links => links.map(a => a.protocol)")
            )
            assert set(hrefs) <= {"https:", "http:", "mailto:"}, hrefs


async def _text(page: Page, selector: str) -> str:
    return await page.locator(selector).evaluate("node => node.textContent")


async def test_widget_and_console_render_customer_agent_and_knowledge_payloads_as_text(
    browser: Browser, xss_server: TestServer
) -> None:
    customer = await (await browser.new_context()).new_page()
    agent = await (await browser.new_context()).new_page()
    customer_watch, agent_watch = Watch(customer), Watch(agent)

    # knowledge: an entry whose question, answer and buttons carry payloads
    await customer.goto(str(xss_server.make_url("/")))
    box = customer.locator(".balcao-input")
    await box.fill("show me the payload entry")
    await box.press("Enter")
    answer = customer.locator(".balcao-bot").last
    await expect(answer).to_contain_text("stay text.")
    said = await answer.evaluate("node => node.textContent")
    assert "Payloads <script>window.__xss=1</script> and <img src=x onerror=window.__xss=1>" in said
    assert "[x](javascript:window.__xss=1) and [y](javascript:alert(1))" in said
    assert "{{7*7}}" in said and "${7*7}" in said and "49" not in said
    assert "<svg onload=window.__xss=1></svg> in a list" in said
    buttons = answer.locator(".balcao-button")
    await expect(buttons.nth(0)).to_have_text('"><img src=x onerror=window.__xss=1>')
    await expect(buttons.nth(1)).to_have_text("<script>window.__xss=1</script>")

    # the customer writes every payload; the second miss hands over to a person
    for payload in PAYLOADS:
        await box.fill(payload)
        await box.press("Enter")
        await expect(customer.locator(".balcao-user").last).to_have_attribute(
            "data-seq", re.compile(r"\d+")
        )
    log = await _text(customer, ".balcao-log")
    for payload in PAYLOADS:
        assert payload in log, payload

    # the agent (whose name is a payload) claims, and sees every payload as text
    await agent.goto(str(xss_server.make_url("/console")))
    await agent.locator("#login-email").fill("ana@shop.example")
    await agent.locator("#login-password").fill(PASSWORD)
    await agent.locator("#login-form button").click()
    await expect(agent.locator("#me")).to_contain_text(AGENT_NAME)
    waiting = agent.locator("#waiting .item")
    await expect(waiting).to_have_count(1)
    await waiting.first.locator("button", has_text="Claim").click()
    transcript = agent.locator("#transcript")
    await expect(transcript.locator(".msg.user")).to_have_count(len(PAYLOADS) + 1)
    seen = await _text(agent, "#transcript")
    for payload in PAYLOADS:
        assert payload in seen, payload
    assert ENTRY_ANSWER.splitlines()[0] in seen

    # the agent answers with payloads, a payload canned response and a payload note
    reply = agent.locator("#reply")
    for payload in PAYLOADS[:6]:
        await reply.fill(payload)
        await reply.press("Enter")
        await expect(reply).to_have_value("")
    await expect(agent.locator("#canned option", has_text=CANNED_TITLE)).to_have_count(1)
    await agent.locator("#canned").select_option(label=CANNED_TITLE)
    await expect(reply).to_have_value(CANNED_TEXT)
    await reply.press("Enter")
    await agent.locator("#as-note").check()
    await reply.fill(PAYLOADS[1])
    await agent.locator("#send").click()
    await expect(transcript.locator(".msg.note")).to_contain_text(PAYLOADS[1])

    agent_lines = customer.locator(".balcao-agent")
    await expect(agent_lines).to_have_count(7)
    await expect(agent_lines.last).to_contain_text(CANNED_TEXT)
    await expect(agent_lines.first.locator(".balcao-agent-name")).to_have_text(AGENT_NAME)
    log = await _text(customer, ".balcao-log")
    for payload in PAYLOADS[:6]:
        assert payload in log, payload
    assert "canned 49" not in log

    await customer_watch.assert_inert(".balcao-widget")
    await agent_watch.assert_inert("#transcript", "#waiting", "#mine", "#me", "#canned")
    await customer.reload()  # the history replayed from the server is inert too
    await expect(customer.locator(".balcao-agent")).to_have_count(7)
    await customer_watch.assert_inert(".balcao-widget")
    for page in (customer, agent):
        await page.context.close()


async def test_dashboard_renders_unanswered_questions_and_suggestions_as_text(
    browser: Browser, xss_server: TestServer
) -> None:
    questions = [p for p in PAYLOADS if len(p) < 200]
    async with aiohttp.ClientSession() as http:
        for n, payload in enumerate(questions):  # each the first, unanswered, question of a chat
            response = await http.post(
                xss_server.make_url("/webhooks/rest/webhook"),
                json={"sender": f"visitor{n}", "message": payload},
            )
            assert response.status == 200
        response = await http.post(
            xss_server.make_url("/webhooks/rest/webhook"),
            json={"sender": "rater", "message": "show me the payload entry"},
        )
        answer = (await response.json())[0]
        assert answer["text"].startswith("Payloads")
        response = await http.post(
            xss_server.make_url("/api/feedback"),
            json={"conversation": "rater", "channel": "rest", "entry": "payload-entry",
                  "seq": answer["feedback"]["seq"], "token": answer["feedback"]["token"],
                  "helpful": False, "suggestion": PAYLOADS[0] + " " + PAYLOADS[1]},
        )  # fmt: skip
        assert response.status == 201, await response.text()
        response = await http.post(
            xss_server.make_url("/api/auth/login"),
            json={"email": "ana@shop.example", "password": PASSWORD},
        )
        token = (await response.json())["token"]
        response = await http.get(
            xss_server.make_url("/api/analytics/unanswered?limit=50"),
            headers={"Authorization": f"Bearer {token}"},
        )
        clusters = (await response.json())["clusters"]
    # what the dashboard lists: each group's label, then its other wordings
    listed = [text for c in clusters for text in [c["label"], *c["examples"][1:]]]
    assert len(set(listed) & set(questions)) >= 8, listed  # the matcher answers a few itself

    page = await browser.new_page()
    watch = Watch(page)
    await page.goto(str(xss_server.make_url("/admin")))
    await page.locator("#email").fill("ana@shop.example")
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#login button[type=submit]").click()
    await expect(page.locator("#who")).to_have_text(AGENT_NAME)
    await expect(page.locator("#suggestions li")).to_have_count(1)
    await expect(page.locator("#unanswered tbody tr").first).to_be_visible()

    await expect(page.locator("#unanswered tbody tr")).to_have_count(min(len(clusters), 20))
    shown = await _text(page, "#unanswered")
    for text in listed[:20]:
        assert text in shown, text
    suggestion = await _text(page, "#suggestions")
    assert PAYLOADS[0] + " " + PAYLOADS[1] in suggestion
    assert ENTRY_QUESTION in suggestion
    await watch.assert_inert("#unanswered", "#suggestions", "#who", "#kpis")
    await page.close()
