"""The help center: the knowledge base as web pages, server-rendered, readable without JavaScript.

    GET  /help                          -> the default language's index
    GET  /help/<lang>/                  entries by tag
    GET  /help/<lang>/search?q=         the understanding engine's ranking, then full text
    GET  /help/<lang>/<entry-id>        one answer, related entries, its other languages
    POST /help/<lang>/<entry-id>/feedback   "was this helpful?" (a form; rate-limited)
    GET  /help/sitemap.xml              every published page with its hreflang alternates
    GET  /help/theme.css                BALCAO_HELP_THEME, when set

Pages come from the server's current Brain (the reloader's), so an edited or renamed file is
on the web as soon as the chat answers from it. Action entries and drafts are not published.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from html import escape
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from bot.core.dialogue import Brain
from bot.knowledge import helpcenter
from bot.knowledge.entries import LANGUAGES, Entry
from channels.help_html import (
    attr,
    description_of,
    entry_list,
    header,
    markdown,
    page,
    word,
)
from channels.keys import LIMITS, RELOADER, SERVICE, SETTINGS

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

CHANNEL = "help"
MAX_QUERY = 200


def origin(request: web.Request) -> str:
    configured = request.app[SETTINGS].public_url.rstrip("/")
    return configured or f"{request.scheme}://{request.host}"


def article_url(request: web.Request, entry: Entry) -> str:
    return f"{origin(request)}/help/{entry.language}/{quote(entry.id)}"


def _language(request: web.Request) -> str:
    language = request.match_info["lang"]
    if language not in LANGUAGES:
        raise web.HTTPNotFound(text="no such language")
    return language


def _brain(request: web.Request) -> Brain:
    return request.app[RELOADER].current()


def _html(text: str, status: int = 200) -> web.Response:
    response = web.Response(text=text, content_type="text/html", status=status)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _theme(request: web.Request) -> bool:
    return bool(request.app[SETTINGS].help_theme)


@routes.get("/help")
@routes.get("/help/")
async def help_home(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"/help/{request.app[SETTINGS].default_language}/")


@routes.get("/help/theme.css")
async def help_theme(request: web.Request) -> web.StreamResponse:
    theme = request.app[SETTINGS].help_theme
    if not theme:
        return web.Response(text="", content_type="text/css")
    return web.FileResponse(Path(theme), headers={"Content-Type": "text/css"})


@routes.get("/help/sitemap.xml")
async def sitemap(request: web.Request) -> web.Response:
    kb = _brain(request).kb
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]
    for language in LANGUAGES:
        for entry in helpcenter.published(kb, language):
            parts.append(f"<url><loc>{escape(article_url(request, entry))}</loc>")
            for other in (entry, *helpcenter.translations(kb, entry)):
                parts.append(
                    f'<xhtml:link rel="alternate" hreflang="{other.language}"'
                    f' href="{escape(article_url(request, other))}"/>'
                )
            parts.append("</url>")
    parts.append("</urlset>")
    return web.Response(text="\n".join(parts), content_type="application/xml")


@routes.get("/help/{lang}")
async def help_language(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"/help/{_language(request)}/")


@routes.get("/help/{lang}/")
async def index(request: web.Request) -> web.Response:
    language = _language(request)
    kb = _brain(request).kb
    sections = []
    for tag, entries in helpcenter.by_tag(helpcenter.published(kb, language)):
        items = [(f"/help/{language}/{quote(e.id)}", e.question) for e in entries]
        sections.append(
            f'<section class="help-tag" id="tag-{attr(tag)}"><h2>{escape(tag)}</h2>'
            f"{entry_list(items)}</section>"
        )
    body = (
        header(language, f"/help/{language}/search")
        + f'<main class="help-main"><h1>{escape(word(language, "help"))}</h1>'
        + "".join(sections)
        + f'<p class="help-community"><a href="/community/{language}/">'
        f"{escape(word(language, 'community'))}</a></p></main>"
    )
    base = origin(request)
    return _html(
        page(
            language=language,
            title=word(language, "help"),
            description=word(language, "help"),
            canonical=f"{base}/help/{language}/",
            alternates=[(lang, f"{base}/help/{lang}/") for lang in LANGUAGES],
            body=body,
            theme=_theme(request),
        )
    )


async def search_entries(brain: Brain, language: str, query: str) -> list[Entry]:
    """The help center's search: what the chat's matcher ranks, then full-text hits."""
    matched: list[str] = []
    if query.strip():
        matcher = brain.matcher
        if getattr(matcher, "slow", False):
            match = await asyncio.to_thread(matcher.match, query, language)
        else:
            match = matcher.match(query, language)
        matched = [c.entry_id for c in match.candidates]
    return helpcenter.search(brain.kb, language, query, matched)


@routes.get("/help/{lang}/search")
async def search(request: web.Request) -> web.Response:
    language = _language(request)
    query = request.query.get("q", "")[:MAX_QUERY]
    found = await search_entries(_brain(request), language, query)
    items = [(f"/help/{language}/{quote(e.id)}", e.question) for e in found]
    listing = entry_list(items) if items else f"<p>{escape(word(language, 'no_results'))}</p>"
    body = (
        header(language, f"/help/{language}/search", query)
        + f'<main class="help-main"><h1>{escape(word(language, "results"))} '
        f"“{escape(query)}”</h1>{listing}{_still_need_help(language, None)}</main>"
    )
    return _html(
        page(
            language=language,
            title=f"{word(language, 'search')}: {query}",
            description=word(language, "search_label"),
            canonical=f"{origin(request)}/help/{language}/search",
            body=body,
            theme=_theme(request),
            robots="noindex",
        )
    )


def _still_need_help(language: str, entry: Entry | None) -> str:
    topic = f"&amp;topic={attr(quote(entry.id))}" if entry is not None else ""
    return (
        f'<aside class="help-still"><h2>{escape(word(language, "still"))}</h2>'
        f'<a class="help-button" href="/?lang={language}{topic}">'
        f"{escape(word(language, 'chat'))}</a></aside>"
    )


@routes.get("/help/{lang}/{entry}")
async def show_article(request: web.Request) -> web.Response:
    language = _language(request)
    kb = _brain(request).kb
    entry = helpcenter.article(kb, language, request.match_info["entry"])
    if entry is None:
        raise web.HTTPNotFound(text="no such article")
    others = helpcenter.translations(kb, entry)
    related = helpcenter.related(kb, entry)
    rated = request.query.get("rated")
    feedback = (
        f'<p class="help-thanks" role="status">{escape(word(language, "thanks"))}</p>'
        if rated == "1"
        else f'<p class="help-limited" role="status">{escape(word(language, "limited"))}</p>'
        if rated == "limited"
        else f'<form class="help-feedback" method="post"'
        f' action="/help/{language}/{attr(quote(entry.id))}/feedback">'
        f"<span>{escape(word(language, 'helpful'))}</span> "
        f'<button type="submit" name="helpful" value="yes">{escape(word(language, "yes"))}</button> '
        f'<button type="submit" name="helpful" value="no">{escape(word(language, "no"))}</button>'
        "</form>"
    )
    parts = [
        header(language, f"/help/{language}/search"),
        f'<main class="help-main"><article class="help-article" data-entry="{attr(entry.id)}">',
        f"<h1>{escape(entry.question)}</h1>",
        f'<div class="help-answer">{markdown(entry.answer)}</div></article>',
        feedback,
    ]
    if related:
        items = [(f"/help/{language}/{quote(e.id)}", e.question) for e in related]
        parts.append(
            f'<section class="help-related"><h2>{escape(word(language, "related"))}</h2>'
            f"{entry_list(items)}</section>"
        )
    if others:
        links = " ".join(
            f'<a href="/help/{o.language}/{attr(quote(o.id))}" hreflang="{o.language}"'
            f' lang="{o.language}">{escape(o.question)}</a>'
            for o in others
        )
        parts.append(
            f'<section class="help-translations"><h2>{escape(word(language, "languages"))}</h2>'
            f"<p>{links}</p></section>"
        )
    parts.append(_still_need_help(language, entry))
    parts.append("</main>")
    return _html(
        page(
            language=language,
            title=f"{entry.question} · {word(language, 'help')}",
            description=description_of(entry.answer),
            canonical=article_url(request, entry),
            alternates=[(o.language, article_url(request, o)) for o in (entry, *others)],
            body="".join(parts),
            theme=_theme(request),
        )
    )


@routes.post("/help/{lang}/{entry}/feedback")
async def rate(request: web.Request) -> web.Response:
    language = _language(request)
    entry = helpcenter.article(_brain(request).kb, language, request.match_info["entry"])
    if entry is None:
        raise web.HTTPNotFound(text="no such article")
    form = await request.post()
    helpful = form.get("helpful")
    if helpful not in ("yes", "no"):
        raise web.HTTPBadRequest(text="send helpful=yes or helpful=no")
    where = f"/help/{language}/{quote(entry.id)}"
    if not await request.app[LIMITS].allow_feedback(f"help:{entry.id}", request.remote):
        raise web.HTTPSeeOther(f"{where}?rated=limited")
    await request.app[SERVICE].rate_article(
        entry.id,
        language,
        helpful == "yes",
        page_view=f"help-{secrets.token_hex(8)}",
        channel=CHANNEL,
    )
    raise web.HTTPSeeOther(f"{where}?rated=1")
