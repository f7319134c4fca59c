"""The help center: published entries only, safe Markdown, canonical and hreflang links, a
sitemap, feedback through the chat's feedback events, and a search as good as the chat's."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from bot.core import events as ev
from bot.knowledge.entries import load_knowledge
from bot.understanding import matcher_factory
from channels.help import search_entries
from channels.keys import RELOADER, STORE

ROOT = Path(__file__).parent.parent.parent


async def test_index_lists_answers_but_not_actions_or_drafts(
    client: TestClient, kb_dir: Path
) -> None:
    (kb_dir / "en" / "draft-secret.md").write_text(
        "---\nid: secret\nquestion: A draft not yet published\n---\nNot yet.\n", encoding="utf-8"
    )
    response = await client.get("/help/en/")
    assert response.status == 200
    page = await response.text()
    assert "How do I return an item?" in page
    assert "Break the shop please" not in page  # an action entry
    assert "A draft not yet published" not in page
    assert (await client.get("/help/en/crash")).status == 404
    assert (await client.get("/help/en/secret")).status == 404
    assert (await client.get("/help/xx/")).status == 404
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "<script" not in page


async def test_article_has_title_description_canonical_and_hreflang(client: TestClient) -> None:
    response = await client.get("/help/pt/returns")
    page = await response.text()
    assert response.status == 200
    assert "<title>Como devolvo um artigo? · Centro de ajuda</title>" in page
    assert '<meta name="description" content="Pode devolver qualquer artigo' in page
    origin = str(client.make_url("")).rstrip("/")
    assert f'<link rel="canonical" href="{origin}/help/pt/returns">' in page
    assert f'hreflang="en" href="{origin}/help/en/returns"' in page
    assert f'hreflang="pt" href="{origin}/help/pt/returns"' in page
    assert 'href="/?lang=pt&amp;topic=returns"' in page  # still need help: the chat


async def test_public_url_setting_makes_the_canonical_links(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings(public_url="https://help.example")))
    page = await (await client.get("/help/en/returns")).text()
    assert '<link rel="canonical" href="https://help.example/help/en/returns">' in page
    sitemap = await (await client.get("/help/sitemap.xml")).text()
    assert "<loc>https://help.example/help/pt/returns</loc>" in sitemap
    assert 'hreflang="en" href="https://help.example/help/en/returns"' in sitemap
    assert "crash" not in sitemap


async def test_answers_render_the_safe_markdown_subset_and_nothing_else(
    client: TestClient, kb_dir: Path
) -> None:
    (kb_dir / "en" / "styled.md").write_text(
        "---\nid: styled\nquestion: Styled <b>answer</b>\ntags: [returns]\n---\n"
        "**Bold** and *soft*.\n\n- one\n- two\n\n[Shop](https://shop.example) "
        "[bad](javascript:alert(1)) <script>alert(1)</script>\n",
        encoding="utf-8",
    )
    await client.app[RELOADER].check()
    page = await (await client.get("/help/en/styled")).text()
    assert "<strong>Bold</strong>" in page and "<em>soft</em>" in page
    assert "<li>one</li>" in page
    assert '<a href="https://shop.example" rel="noopener noreferrer nofollow">Shop</a>' in page
    assert "[bad](javascript:alert(1))" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<h1>Styled &lt;b&gt;answer&lt;/b&gt;</h1>" in page
    assert "<script" not in page


async def test_was_this_helpful_records_the_widgets_feedback_event(client: TestClient) -> None:
    response = await client.post(
        "/help/en/returns/feedback", data={"helpful": "no"}, allow_redirects=False
    )
    assert response.status == 303
    assert response.headers["Location"] == "/help/en/returns?rated=1"
    conversations = await client.app[STORE].list_conversations()
    found = [c for c in conversations if c.conversation_id.startswith("help-")]
    assert len(found) == 1
    events = await client.app[STORE].load(found[0].conversation_id)
    assert [(e.kind, e.data["entry"], e.data["helpful"]) for e in events] == [
        (ev.FEEDBACK, "returns", False)
    ]
    bad = await client.post("/help/en/returns/feedback", data={"helpful": "maybe"})
    assert bad.status == 400


async def test_helpful_votes_are_rate_limited_per_address(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings(ip_feedback_per_minute=2)))
    seen = []
    for _ in range(3):
        response = await client.post(
            "/help/en/returns/feedback", data={"helpful": "yes"}, allow_redirects=False
        )
        seen.append(response.headers["Location"].split("?")[1])
    assert seen == ["rated=1", "rated=1", "rated=limited"]


async def test_search_finds_by_meaning_and_falls_back_to_full_text(client: TestClient) -> None:
    page = await (await client.get("/help/en/search", params={"q": "can i send it back"})).text()
    assert re.search(r'<li><a href="/help/en/returns">', page)
    fallback = await (await client.get("/help/pt/search", params={"q": "entrega"})).text()
    assert "/help/pt/" in fallback
    nothing = await (await client.get("/help/en/search", params={"q": "<zz>"})).text()
    assert "&lt;zz&gt;" in nothing and "<zz>" not in nothing


def _cases(language: str) -> list[tuple[str, str]]:
    with (ROOT / "benchmarks" / "cases" / f"{language}.csv").open(encoding="utf-8") as handle:
        return [(row["text"], row["category"]) for row in csv.DictReader(handle)]


async def test_search_finds_the_benchmark_paraphrases_as_often_as_the_chat_matcher() -> None:
    """benchmarks/cases on the shipped knowledge: the search's first result is the right
    entry at least as often as the chat matcher's best candidate, for every case whose
    entry is published."""
    from bot.core.dialogue import Brain
    from bot.knowledge.helpcenter import article

    kb = load_knowledge(ROOT / "knowledge")
    brain = Brain(kb, matcher_factory("off")(kb))
    for language in ("en", "pt", "es"):
        cases = [(t, c) for t, c in _cases(language) if article(kb, language, c) is not None]
        assert len(cases) > 50
        chat = search = 0
        for text, category in cases:
            best = brain.matcher.match(text, language).best
            chat += best is not None and best.entry_id == category
            found = await search_entries(brain, language, text)
            search += bool(found) and found[0].id == category
        assert search >= chat, (language, search, chat, len(cases))
