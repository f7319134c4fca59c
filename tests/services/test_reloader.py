"""Knowledge edits are picked up without a restart; broken edits keep the last good version."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from bot.app import create_app
from bot.config import Settings
from bot.services.reloader import KnowledgeReloader
from bot.understanding.matching import FuzzyMatcher

NEW_ENTRY = """---
id: gift-cards
question: Do you sell gift cards?
examples:
  - gift voucher
---
Yes: gift cards from 10 to 200 euros, sent by email.
"""


def touch_later(path: Path) -> None:
    """Make sure the modification time moves even on coarse file systems."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


async def test_a_good_edit_replaces_the_brain(kb_dir: Path) -> None:
    reloader = KnowledgeReloader(kb_dir, FuzzyMatcher)
    before = reloader.current()
    (kb_dir / "en" / "gift.md").write_text(NEW_ENTRY)
    assert await reloader.check() is True
    assert reloader.current() is not before
    assert "gift-cards" in reloader.kb.ids
    assert await reloader.check() is False  # nothing changed since


async def test_a_check_beside_a_running_build_returns_with_the_new_brain(kb_dir: Path) -> None:
    """An admin's accept calls `check` while the background poll may be building the same
    edit: it must come back with the new entry in place, not early with the old brain."""
    reloads: list[bool] = []

    def slow_matcher(kb: Any) -> FuzzyMatcher:
        if reloads:  # a reload, not the first build: slow enough to be caught midway
            time.sleep(0.4)
        return FuzzyMatcher(kb)

    reloader = KnowledgeReloader(kb_dir, slow_matcher)
    reloads.append(True)
    (kb_dir / "en" / "gift.md").write_text(NEW_ENTRY)

    async def check() -> tuple[bool, bool]:
        changed = await reloader.check()
        return changed, "gift-cards" in reloader.kb.ids

    poll = asyncio.create_task(check())
    await asyncio.sleep(0.15)  # the poll is building
    assert await check() == (False, True)  # not this call's build, but it waited for it
    assert await poll == (True, True)


async def test_a_broken_edit_keeps_the_last_good_version(kb_dir: Path) -> None:
    reloader = KnowledgeReloader(kb_dir, FuzzyMatcher)
    good = reloader.current()
    path = kb_dir / "en" / "returns.md"
    path.write_text("---\nid: returns\nexamples: oops\nquestion: q\n---\nA.\n")
    touch_later(path)
    assert await reloader.check() is False
    assert reloader.current() is good
    assert (
        str(reloader.last_error) == f"{path}:3: 'examples' must be a list (one '- item' per line)"
    )


async def test_the_running_server_answers_a_new_entry_within_two_seconds(
    aiohttp_client: Any, settings: Settings, kb_dir: Path
) -> None:
    client = await aiohttp_client(create_app(settings))
    (kb_dir / "en" / "gift.md").write_text(NEW_ENTRY)
    deadline = asyncio.get_running_loop().time() + 2.0
    text = ""
    attempt = 0
    while asyncio.get_running_loop().time() < deadline:
        attempt += 1  # a new customer each time: two misses in a row would call a person
        resp = await client.post(
            "/webhooks/rest/webhook", json={"sender": f"g{attempt}", "message": "gift voucher"}
        )
        text = (await resp.json())[0]["text"]
        if text.startswith("Yes: gift cards"):
            break
        await asyncio.sleep(0.1)
    assert text == "Yes: gift cards from 10 to 200 euros, sent by email."


async def test_a_broken_edit_is_reported_by_health_and_answers_continue(
    aiohttp_client: Any, settings: Settings, kb_dir: Path
) -> None:
    client = await aiohttp_client(create_app(settings))
    path = kb_dir / "en" / "returns.md"
    path.write_text("---\nid: returns\n---\n")
    touch_later(path)
    for _ in range(30):
        health = await (await client.get("/health")).json()
        if health["knowledge"]["last_error"]:
            break
        await asyncio.sleep(0.1)
    assert health["knowledge"]["last_error"].endswith("'question' is required and must be text")
    resp = await client.post(
        "/webhooks/rest/webhook", json={"sender": "r", "message": "return policy"}
    )
    assert (await resp.json())[0]["text"] == "You can return any item within 30 days of delivery."
