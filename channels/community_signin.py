"""Signing in to the community by an emailed link (bot/services/sign_in_links.py).

    GET  /community/email              the form: an email address
    POST /community/email              limited per address and per email; the same page
                                       whether or not the address is a customer's
    GET  /community/email/<token>      the link's page: choose a display name, press the
                                       button (a GET never spends the link, so mail scanners
                                       that open links cannot use it up)
    POST /community/email/<token>      spends the link: signed in, to /community/<lang>/

The pages carry no Referer out (the security headers' `no-referrer`), so the token in the
path does not leak to the links on them.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from bot.core.community import CommunityError, display_name
from bot.knowledge.entries import LANGUAGES
from bot.services.sign_in_links import MAX_EMAIL
from channels.community import TITLES, _page, signed_in
from channels.help_html import attr
from channels.keys import LIMITS, SETTINGS, SIGN_IN_LINKS

routes = web.RouteTableDef()

TOKEN = "{token:[A-Za-z0-9_-]{20,100}}"
SENT = (
    "If this address belongs to one of our customers, we have sent it a sign-in link. It works"
    " once, within {minutes} minutes. Nothing arrived? Check the spam folder, or ask again in"
    " a few minutes."
)


def _lang(request: web.Request, value: object) -> str:
    language = str(value or "")
    return language if language in LANGUAGES else request.app[SETTINGS].default_language


def _email_form(
    request: web.Request, language: str, message: str = "", status: int = 200
) -> web.Response:
    note = f'<p class="community-notice" role="alert">{escape(message)}</p>' if message else ""
    body = (
        f"<h1>{escape(TITLES[language])}</h1>{note}"
        '<form class="community-form" method="post" action="/community/email">'
        f'<input type="hidden" name="lang" value="{attr(language)}">'
        '<label for="email">Your email address: we send you a link to sign in</label>'
        f'<input id="email" type="email" name="email" maxlength="{MAX_EMAIL}" required'
        ' autocomplete="email">'
        '<button type="submit">Send me a link</button></form>'
    )
    response = _page(request, language, TITLES[language], body, "/community/email")
    response.set_status(status)
    return response


def _unavailable(request: web.Request, language: str) -> web.Response:
    response = _page(
        request, language, TITLES[language],
        '<p class="community-meta">Signing in by email is not available here: sign in through'
        " the shop's site.</p>",
        "/community/email",
    )  # fmt: skip
    response.set_status(404)
    return response


@routes.get("/community/email")
async def email_form(request: web.Request) -> web.Response:
    language = _lang(request, request.query.get("lang"))
    if not request.app[SIGN_IN_LINKS].enabled:
        return _unavailable(request, language)
    return _email_form(request, language)


@routes.post("/community/email")
async def send_link(request: web.Request) -> web.Response:
    form = await request.post()
    language = _lang(request, form.get("lang"))
    links = request.app[SIGN_IN_LINKS]
    if not links.enabled:
        return _unavailable(request, language)
    address = str(form.get("email", ""))[: MAX_EMAIL + 1]
    limits = request.app[LIMITS]
    if not await limits.allow_sign_in_link(address, limits.address(request)):
        refused = _email_form(
            request, language, "Too many links asked for: try again in an hour.", status=429
        )
        return await limits.held_refusal(request, refused)
    try:
        await links.request(address, language)
    except CommunityError as exc:
        return _email_form(request, language, exc.message, status=400)
    body = (
        f"<h1>{escape(TITLES[language])}</h1>"
        f'<p class="community-notice" role="status">{escape(SENT.format(minutes=links.minutes))}</p>'
    )
    return _page(request, language, TITLES[language], body, "/community/email")


def _name_form(
    request: web.Request, token: str, message: str = "", status: int = 200
) -> web.Response:
    language = _lang(request, request.query.get("lang"))
    note = f'<p class="community-notice" role="alert">{escape(message)}</p>' if message else ""
    body = (
        f"<h1>{escape(TITLES[language])}</h1>{note}"
        '<form class="community-form" method="post"'
        f' action="/community/email/{attr(token)}?lang={language}">'
        '<label for="name">Display name (shown with your posts; never your email)</label>'
        '<input id="name" type="text" name="name" maxlength="40" required>'
        '<button type="submit">Sign in</button></form>'
    )
    response = _page(request, language, TITLES[language], body, "/community/email")
    response.set_status(status)
    return response


@routes.get(f"/community/email/{TOKEN}")
async def link_page(request: web.Request) -> web.Response:
    return _name_form(request, request.match_info["token"])


@routes.post(f"/community/email/{TOKEN}")
async def use_link(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    form = await request.post()
    try:
        name = display_name(str(form.get("name", "")))
    except CommunityError as exc:  # the link is not spent on a refused name
        return _name_form(request, token, exc.message, status=400)
    redeemed = await request.app[SIGN_IN_LINKS].redeem(token)
    if redeemed is None:
        language = _lang(request, None)
        body = (
            f"<h1>{escape(TITLES[language])}</h1>"
            '<p class="community-notice" role="alert">This link has expired or was already'
            f' used. <a href="/community/email?lang={language}">Ask for a new one</a>.</p>'
        )
        response = _page(request, language, TITLES[language], body, "/community/email")
        response.set_status(410)
        return response
    raise signed_in(request, redeemed.customer_id, name, redeemed.language)
