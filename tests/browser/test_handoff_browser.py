"""Two browser contexts: a customer in the widget asks for a person, an agent in the console
claims, they chat both ways, the agent resolves, the customer rates."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from bot.app import create_app
from bot.config import Settings
from bot.core import events as ev
from bot.core.agents import hash_password, new_agent
from channels.keys import AGENTS, STORE

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


async def test_customer_and_agent_chat_through_a_handoff(
    browser: Browser, make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings(business_hours="always", auto_assign=False))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        await app[AGENTS].save(
            new_agent("ana@shop.example", "Ana", languages=("en", "pt")),
            hash_password(PASSWORD),
            time.time(),
        )
        customer = await (await browser.new_context()).new_page()
        agent = await (await browser.new_context()).new_page()

        await customer.goto(str(server.make_url("/")))
        await customer.locator(".balcao-input").fill("I want to speak to a human")
        await customer.locator(".balcao-input").press("Enter")
        # nobody is logged in yet: the customer is told so and the request waits in the queue
        await expect(customer.locator(".balcao-bot .balcao-text").last).to_contain_text(
            "we are open and will be back here shortly. Leave your email"
        )

        await agent.goto(str(server.make_url("/console")))
        await agent.locator("#login-email").fill("ana@shop.example")
        await agent.locator("#login-password").fill(PASSWORD)
        await agent.locator("#login-form button").click()
        waiting = agent.locator("#waiting .item")
        await expect(waiting).to_have_count(1)
        await expect(waiting.first).to_contain_text("asked for person")
        await waiting.first.locator("button", has_text="Claim").click()
        transcript = agent.locator("#transcript")
        await expect(transcript).to_contain_text("I want to speak to a human")
        await expect(agent.locator("#mine .item")).to_have_count(1)

        await expect(customer.locator(".balcao-bot .balcao-text").last).to_have_text(
            "Ana from our team has joined the conversation."
        )
        # the "nobody is here" notice does not stay above "Ana has joined" (#19 item 12)
        await expect(customer.locator(".balcao-offline")).to_have_count(0)
        await expect(customer.locator(".balcao-log")).not_to_contain_text("will be back here")
        await customer.locator(".balcao-input").fill("my <b>teapot</b> arrived broken")
        await customer.locator(".balcao-input").press("Enter")
        await expect(transcript.locator(".msg.user").last).to_contain_text(
            "my <b>teapot</b> arrived broken"
        )
        assert await transcript.locator("b").count() == 0

        await agent.locator("#reply").fill("So sorry! I'll send a new one today.")
        await agent.locator("#reply").press("Enter")
        agent_line = customer.locator(".balcao-agent").last
        await expect(agent_line).to_contain_text("So sorry! I'll send a new one today.")
        await expect(agent_line.locator(".balcao-agent-name")).to_have_text("Ana")

        await agent.locator("#as-note").check()
        await agent.locator("#reply").fill("internal: replacement approved")
        await agent.locator("#send").click()
        await expect(transcript.locator(".msg.note")).to_contain_text(
            "internal: replacement approved"
        )

        await agent.locator("#resolve").click()
        await expect(agent.locator("#empty")).to_be_visible()
        prompt = customer.locator(".balcao-bot").last
        await expect(prompt).to_contain_text("How would you rate this conversation?")
        await prompt.locator(".balcao-button").nth(4).click()
        await expect(customer.locator(".balcao-bot .balcao-text").last).to_contain_text(
            "Thank you for your rating!"
        )
        await customer.locator(".balcao-input").fill("quick and kind")
        await customer.locator(".balcao-input").press("Enter")
        await expect(customer.locator(".balcao-bot .balcao-text").last).to_have_text(
            "Thank you, that helps us improve."
        )
        assert (
            await customer.locator(".balcao-log")
            .get_by_text("internal: replacement approved")
            .count()
            == 0
        )

        conversation = (await app[STORE].list_conversations())[0].conversation_id
        feedback = [e.data for e in await app[STORE].load(conversation) if e.kind == ev.FEEDBACK]
        assert feedback == [{"rating": 5}, {"comment": "quick and kind"}]
    finally:
        await server.close()
