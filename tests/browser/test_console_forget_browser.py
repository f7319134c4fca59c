"""#18: an agent has a customer's conversation open in the console when an admin forgets
her; the console drops it from its lists and closes it, without a reload."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from bot.app import create_app
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from bot.core.events import Event
from channels.keys import AGENTS, STORE

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


async def test_the_console_drops_a_conversation_when_its_customer_is_forgotten(
    browser: Browser, make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings(business_hours="always", auto_assign=False))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        for email, role in (("ana@shop.example", "agent"), ("dpo@shop.example", "admin")):
            await app[AGENTS].save(
                new_agent(email, email.split("@")[0].title(), role), hash_password(PASSWORD),
                time.time(),
            )  # fmt: skip
        customer = await (await browser.new_context()).new_page()
        await customer.goto(str(server.make_url("/")))
        await customer.locator(".balcao-input").fill("I want to speak to a human")
        await customer.locator(".balcao-input").press("Enter")
        await expect(customer.locator(".balcao-bot .balcao-text").last).to_contain_text(
            "Leave your email"
        )
        [stored] = await app[STORE].list_conversations()
        # she verified as C1 in that conversation
        await app[STORE].append(
            stored.conversation_id,
            [Event("slot", {"name": "customer_id", "value": "C1"}, time.time())],
            sender=stored.conversation_id.split(":", 1)[1], channel="web",
        )  # fmt: skip

        agent = await (await browser.new_context()).new_page()
        await agent.goto(str(server.make_url("/console")))
        await agent.locator("#login-email").fill("ana@shop.example")
        await agent.locator("#login-password").fill(PASSWORD)
        await agent.locator("#login-form button").click()
        await agent.locator("#waiting .item button", has_text="Claim").click()
        await expect(agent.locator("#transcript")).to_contain_text("I want to speak to a human")
        await expect(agent.locator("#mine .item")).to_have_count(1)

        async with ClientSession() as http:
            login = await http.post(
                server.make_url("/api/auth/login"),
                json={"email": "dpo@shop.example", "password": PASSWORD},
            )
            token = (await login.json())["token"]
            forgot = await http.post(
                server.make_url("/api/admin/customers/C1/forget"),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert forgot.status == 200, await forgot.text()

        await expect(agent.locator("#empty")).to_be_visible()
        await expect(agent.locator("#chat")).to_be_hidden()
        await expect(agent.locator("#mine .item")).to_have_count(0)
        await expect(agent.locator("#mine-count")).to_have_text("0")
        await expect(agent.locator("#transcript")).not_to_contain_text("speak to a human")
    finally:
        await server.close()
