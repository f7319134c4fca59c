"""The community: server-rendered pages and plain HTML forms for customers, a JSON API for
agents (Bearer, channels/auth.py) and admins.

    GET  /community/<lang>/               newest questions, a search, the ask form
    GET  /community/<lang>/<id>           a question, its answers (accepted, then by votes)
    POST /community/<lang>/ask            a signed-in customer asks
    POST /community/<lang>/<id>/answer    ... answers
    POST /community/<lang>/<id>/accept    the asker accepts an answer
    POST /community/vote, /community/report
    GET|POST /community/session           sign in: the host site's customer_id + identifier_hash
                                          (as the widget's), and a display name of one's choosing
                                          (or by an emailed link: channels/community_signin.py)
    POST /api/community/questions/<id>/answers   an agent answers as staff
    POST /api/community/questions/<id>/accept    an agent accepts
    POST /api/community/<kind>/<id>/<action>     hide, unhide, lock, unlock, approve (audited)
    GET  /api/community/moderation               reported posts; accepted, not yet promoted
    GET  /api/admin/community                    unanswered for 48 h; most viewed with no entry
    POST /api/admin/community/questions/<id>/promote   a knowledge-base draft (audited)

A customer's session is a cookie signed with the server's key: no account, no email kept.
Every text goes through html.escape; nothing a customer writes becomes markup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from html import escape
from urllib.parse import quote, urlencode

from aiohttp import web

from bot.core.community import (
    MASKED_KINDS,
    Author,
    CommunityError,
    Flagged,
    NotAllowedError,
    Question,
    display_name,
)
from bot.core.identity import verify_identity
from bot.knowledge.entries import LANGUAGES
from channels.auth import require_role
from channels.errors import json_error
from channels.help_html import attr, page
from channels.keys import ANSWER_KEY, COMMUNITY, LIMITS, SETTINGS, SIGN_IN_LINKS
from channels.parsing import parse_row_id
from channels.wire.api import read_body
from channels.wire.community import (
    CommunityDashboard,
    CommunityQuestion,
    Done,
    FlaggedPost,
    Promoted,
    ReviewQueue,
    StaffAcceptBody,
    StaffAnswerBody,
    StaffAnswered,
)

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

COOKIE = "balcao_community"
PAGE_SIZE = 30
TITLES = {"en": "Community", "pt": "Comunidade", "es": "Comunidad"}
MASK_NOTICE = "We hid personal details ({kinds}) in your post so that others cannot see them."
DONE: Done = {"ok": True}


# --- who is posting ---------------------------------------------------------------------


def _key(request: web.Request) -> bytes:
    return hmac.new(request.app[ANSWER_KEY], b"community session", hashlib.sha256).digest()


def session_cookie(key: bytes, customer_id: str, name: str) -> str:
    raw = base64.urlsafe_b64encode(json.dumps({"c": customer_id, "n": name}).encode()).decode()
    return f"{raw}.{hmac.new(key, raw.encode(), hashlib.sha256).hexdigest()}"


def reader(request: web.Request) -> Author | None:
    """The signed-in customer, from the signed cookie; None for a reader."""
    value = request.cookies.get(COOKIE, "")
    raw, _, signature = value.partition(".")
    expected = hmac.new(_key(request), raw.encode(), hashlib.sha256).hexdigest()
    if not raw or not hmac.compare_digest(expected, signature):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode()))
        return Author(f"customer:{data['c']}", str(data["n"]))
    except (ValueError, KeyError, TypeError):
        return None


def _signed_in(request: web.Request) -> Author:
    author = reader(request)
    if author is None:
        raise web.HTTPForbidden(text="sign in through the shop's site to post")
    return author


async def _limit(request: web.Request, person: str) -> None:
    """Posts, votes and reports per person and per client address (the forwarded one
    behind a trusted proxy, as for messages); a refusal is held like the others."""
    limits = request.app[LIMITS]
    if not await limits.allow_community_post(person, limits.address(request)):
        refusal = web.HTTPTooManyRequests(text="too many posts; wait a minute")
        await limits.held_refusal(request, refusal)
        raise refusal


def _language(request: web.Request) -> str:
    language = request.match_info["lang"]
    if language not in LANGUAGES:
        raise web.HTTPNotFound(text="no such language")
    return language


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise web.HTTPBadRequest(text="expected a number") from None


def _row(value: object) -> int:
    """A question's or answer's id from a page's path or form; one no row can have (past
    SQLite's INTEGER, say) is not found."""
    row_id = parse_row_id(_int(value))
    if row_id is None:
        raise web.HTTPNotFound(text="no such question or answer")
    return row_id


# --- pages --------------------------------------------------------------------------------


def _origin(request: web.Request) -> str:
    return request.app[SETTINGS].public_url.rstrip("/") or f"{request.scheme}://{request.host}"


def _page(request: web.Request, language: str, title: str, body: str, path: str) -> web.Response:
    author = reader(request)
    who = (
        f'<span class="community-meta">{escape(author.name)}</span>'
        if author
        else '<span class="community-meta">—</span>'
    )
    header = (
        '<header class="help-header">'
        f'<a class="help-home" href="/community/{language}/">{escape(TITLES[language])}</a>'
        f'<form class="help-search" role="search" method="get"'
        f' action="/community/{language}/">'
        f'<input name="q" type="search" maxlength="200" aria-label="search"'
        f' value="{attr(request.query.get("q", "")[:200])}">'
        f'<button type="submit">⌕</button></form>'
        f'<a href="/help/{language}/">Help</a> {who}</header>'
    )
    html = page(
        language=language,
        title=f"{title} · {TITLES[language]}",
        description=title,
        canonical=f"{_origin(request)}{path}",
        body=header + f'<main class="help-main">{body}</main>',
        theme=bool(request.app[SETTINGS].help_theme),
    )
    return web.Response(text=html, content_type="text/html")


def _mask_notice(request: web.Request) -> str:
    kinds = [k for k in request.query.get("masked", "").split(",") if k]
    names = [MASKED_KINDS.get(k, "phone number") for k in kinds if k in (*MASKED_KINDS, "phone")]
    if not names:
        return ""
    return f'<p class="community-notice" role="status">{escape(MASK_NOTICE.format(kinds=", ".join(names)))}</p>'


def _question_item(q: Question) -> str:
    state = " ✓" if q.accepted_answer is not None else ""
    return (
        f'<li class="community-question"><a href="/community/{q.language}/{q.id}">'
        f"{escape(q.title)}</a>{state} "
        f'<span class="community-meta">{escape(q.author_name)} · {q.answers}</span></li>'
    )


@routes.get("/community")
@routes.get("/community/")
async def community_home(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"/community/{request.app[SETTINGS].default_language}/")


@routes.get("/community/session")
async def session_form(request: web.Request) -> web.Response:
    """The host site links here with its customer's id and hash; they choose a name."""
    customer_id = request.query.get("customer_id", "")[:128]
    given = request.query.get("identifier_hash", "")[:128]
    language = request.query.get("lang", "")
    language = language if language in LANGUAGES else request.app[SETTINGS].default_language
    body = (
        f"<h1>{escape(TITLES[language])}</h1>"
        '<form class="community-form" method="post" action="/community/session">'
        f'<input type="hidden" name="customer_id" value="{attr(customer_id)}">'
        f'<input type="hidden" name="identifier_hash" value="{attr(given)}">'
        f'<input type="hidden" name="lang" value="{attr(language)}">'
        '<label for="name">Display name (shown with your posts; never your email)</label>'
        '<input id="name" type="text" name="name" maxlength="40" required>'
        '<button type="submit">OK</button></form>'
    )
    return _page(request, language, TITLES[language], body, "/community/session")


@routes.post("/community/session")
async def sign_in(request: web.Request) -> web.Response:
    form = await request.post()
    customer_id = str(form.get("customer_id", ""))[:128]
    given = str(form.get("identifier_hash", ""))[:128]
    language = str(form.get("lang", ""))
    language = language if language in LANGUAGES else request.app[SETTINGS].default_language
    await _limit(request, f"signin:{customer_id}")
    if not verify_identity(request.app[SETTINGS].secret.reveal(), customer_id, given):
        raise web.HTTPForbidden(text="the shop did not vouch for this customer")
    try:
        name = display_name(str(form.get("name", "")))
    except CommunityError as exc:
        raise web.HTTPBadRequest(text=exc.message) from None
    raise signed_in(request, customer_id, name, language)


def signed_in(request: web.Request, customer_id: str, name: str, language: str) -> web.HTTPSeeOther:
    """To the community's page, signed in: the session cookie (signed, HTTP-only)."""
    response = web.HTTPSeeOther(f"/community/{language}/")
    response.set_cookie(
        COOKIE,
        session_cookie(_key(request), customer_id, name),
        httponly=True,
        samesite="Lax",
        secure=request.secure,
        max_age=30 * 24 * 3600,
        path="/community",
    )
    return response


@routes.get("/community/{lang}/")
async def listing(request: web.Request) -> web.Response:
    language = _language(request)
    service = request.app[COMMUNITY]
    query = request.query.get("q", "")[:200].strip()
    offset = max(0, min(_int(request.query.get("page", "0")), 1000)) * PAGE_SIZE
    if query:
        questions = await service.store.search(language, query, limit=PAGE_SIZE)
    else:
        questions = await service.store.questions(language, limit=PAGE_SIZE, offset=offset)
    author = reader(request)
    ask = (
        f'<form class="community-form" method="post" action="/community/{language}/ask">'
        '<label for="title">Question</label>'
        '<input id="title" type="text" name="title" maxlength="200" required>'
        '<label for="body">Details</label><textarea id="body" name="body" rows="4"'
        ' maxlength="5000"></textarea><button type="submit">Ask</button></form>'
        if author
        else '<p class="community-meta">Sign in through the shop to ask or answer'
        + (
            f', or <a href="/community/email?lang={language}">get a sign-in link by email</a>.'
            if request.app[SIGN_IN_LINKS].enabled
            else "."
        )
        + "</p>"
    )
    body = (
        f"<h1>{escape(TITLES[language])}</h1>{ask}"
        + '<ul class="help-list">'
        + "".join(_question_item(q) for q in questions)
        + "</ul>"
    )
    if not query and len(questions) == PAGE_SIZE:
        body += f'<a href="?page={offset // PAGE_SIZE + 1}">→</a>'
    return _page(request, language, TITLES[language], body, f"/community/{language}/")


@routes.get("/community/{lang}/{id:\\d+}")
async def show_question(request: web.Request) -> web.Response:
    language = _language(request)
    try:
        thread = await request.app[COMMUNITY].thread(_row(request.match_info["id"]))
    except CommunityError:
        raise web.HTTPNotFound(text="no such question") from None
    question = thread.question
    if question.language != language:
        raise web.HTTPFound(f"/community/{question.language}/{question.id}")
    author = reader(request)
    is_asker = author is not None and author.id == question.author_id
    items = []
    for answer in thread.answers:
        accepted = answer.id == question.accepted_answer
        staff = ' <span class="community-staff">staff</span>' if answer.staff else ""
        actions = ""
        if author is not None and author.id != answer.author_id:
            actions += (
                '<form class="community-inline" method="post" action="/community/vote">'
                f'<input type="hidden" name="answer" value="{answer.id}">'
                '<button type="submit">▲</button></form> '
            )
        if is_asker and not accepted:
            actions += (
                f'<form class="community-inline" method="post"'
                f' action="/community/{language}/{question.id}/accept">'
                f'<input type="hidden" name="answer" value="{answer.id}">'
                '<button type="submit">Accept</button></form> '
            )
        actions += _report_form("answer", answer.id)
        items.append(
            f'<div class="community-post{" community-accepted" if accepted else ""}"'
            f' data-answer="{answer.id}">'
            f'<p class="community-text">{escape(answer.body)}</p>'
            f'<p class="community-meta">{escape(answer.author_name)}{staff} · {answer.votes}'
            f"{' · ✓ accepted' if accepted else ''}</p>{actions}</div>"
        )
    form = ""
    if question.locked:
        form = '<p class="community-meta">Locked.</p>'
    elif author is not None:
        form = (
            f'<form class="community-form" method="post"'
            f' action="/community/{language}/{question.id}/answer">'
            '<label for="answer">Your answer</label><textarea id="answer" name="body" rows="4"'
            ' maxlength="5000" required></textarea><button type="submit">Answer</button></form>'
        )
    body = (
        _mask_notice(request)
        + f'<article class="community-question-page" data-question="{question.id}">'
        f"<h1>{escape(question.title)}</h1>"
        f'<p class="community-text">{escape(question.body)}</p>'
        f'<p class="community-meta">{escape(question.author_name)} · {question.views}</p>'
        f"{_report_form('question', question.id)}</article>" + "".join(items) + form
    )
    return _page(request, language, question.title, body, f"/community/{language}/{question.id}")


def _report_form(kind: str, post_id: int) -> str:
    return (
        '<form class="community-inline" method="post" action="/community/report">'
        f'<input type="hidden" name="kind" value="{kind}">'
        f'<input type="hidden" name="id" value="{post_id}">'
        '<button type="submit">Report</button></form>'
    )


def _posted_url(base: str, notice_kinds: str) -> str:
    return f"{base}?{urlencode({'masked': notice_kinds})}" if notice_kinds else base


@routes.post("/community/{lang}/ask")
async def ask(request: web.Request) -> web.Response:
    language = _language(request)
    author = _signed_in(request)
    await _limit(request, author.id)
    form = await request.post()
    service = request.app[COMMUNITY]
    try:
        posted = await service.ask(
            author, language, str(form.get("title", "")), str(form.get("body", ""))
        )
    except CommunityError as exc:
        raise web.HTTPBadRequest(text=exc.message) from None
    kinds = ",".join(posted.masked)
    raise web.HTTPSeeOther(_posted_url(f"/community/{language}/{posted.id}", kinds))


@routes.post("/community/{lang}/{id:\\d+}/answer")
async def answer(request: web.Request) -> web.Response:
    language = _language(request)
    author = _signed_in(request)
    await _limit(request, author.id)
    question_id = _row(request.match_info["id"])
    form = await request.post()
    try:
        posted = await request.app[COMMUNITY].reply(author, question_id, str(form.get("body", "")))
    except NotAllowedError as exc:
        raise web.HTTPForbidden(text=exc.message) from None
    except CommunityError as exc:
        raise web.HTTPBadRequest(text=exc.message) from None
    raise web.HTTPSeeOther(
        _posted_url(f"/community/{language}/{question_id}", ",".join(posted.masked))
    )


@routes.post("/community/{lang}/{id:\\d+}/accept")
async def accept(request: web.Request) -> web.Response:
    language = _language(request)
    author = _signed_in(request)
    question_id = _row(request.match_info["id"])
    form = await request.post()
    try:
        await request.app[COMMUNITY].accept(author, question_id, _row(form.get("answer", "")))
    except NotAllowedError as exc:
        raise web.HTTPForbidden(text=exc.message) from None
    except CommunityError as exc:
        raise web.HTTPBadRequest(text=exc.message) from None
    raise web.HTTPSeeOther(f"/community/{language}/{question_id}")


@routes.post("/community/vote")
async def vote(request: web.Request) -> web.Response:
    author = _signed_in(request)
    await _limit(request, author.id)
    form = await request.post()
    service = request.app[COMMUNITY]
    answer_id = _row(form.get("answer", ""))
    try:
        await service.vote(author, answer_id)
    except NotAllowedError as exc:
        raise web.HTTPForbidden(text=exc.message) from None
    except CommunityError as exc:
        raise web.HTTPBadRequest(text=exc.message) from None
    found = await service.store.answer(answer_id)
    question = await service.store.question(found.question_id) if found else None
    where = f"/community/{question.language}/{question.id}" if question else "/community/"
    raise web.HTTPSeeOther(where)


@routes.post("/community/report")
async def report(request: web.Request) -> web.Response:
    author = reader(request)
    reporter = author.id if author else f"address:{request.remote}"
    await _limit(request, reporter)
    form = await request.post()
    try:
        await request.app[COMMUNITY].report(
            reporter, str(form.get("kind", "")), _row(form.get("id", ""))
        )
    except CommunityError as exc:
        raise web.HTTPBadRequest(text=exc.message) from None
    return web.Response(text="Thank you: an agent will look at it.", content_type="text/plain")


# --- agents and admins (JSON, Bearer) ---------------------------------------------------


def _question_json(q: Question) -> CommunityQuestion:
    return {
        "id": q.id, "language": q.language, "title": q.title, "author_name": q.author_name,
        "created_at": q.created_at, "views": q.views, "answers": q.answers,
        "accepted_answer": q.accepted_answer, "hidden": q.hidden, "locked": q.locked,
        "reports": q.reports, "promoted": q.promoted,
        "url": f"/community/{q.language}/{q.id}",
    }  # fmt: skip


async def _staff(request: web.Request, role: str = "agent") -> Author:
    agent = await require_role(request, role)
    return Author(f"agent:{agent.email}", agent.name, staff=True)


def _post_id(request: web.Request) -> int:
    """The question or answer the path names; one no row can have is not found."""
    post_id = parse_row_id(request.match_info["id"])
    if post_id is None:
        raise CommunityError("no such question or answer", code="not_found")
    return post_id


def _refused(exc: CommunityError) -> web.Response:
    status = 403 if isinstance(exc, NotAllowedError) else 404 if exc.code == "not_found" else 400
    return json_error(status, exc.code, exc.message)


@routes.post("/api/community/questions/{id:\\d+}/answers")
async def staff_answer(request: web.Request) -> web.Response:
    staff = await _staff(request)
    text = (await read_body(request, StaffAnswerBody))["body"]
    try:
        posted = await request.app[COMMUNITY].reply(staff, _post_id(request), text)
    except CommunityError as exc:
        return _refused(exc)
    answered: StaffAnswered = {"id": posted.id, "notice": posted.notice}
    return web.json_response(answered, status=201)


@routes.post("/api/community/questions/{id:\\d+}/accept")
async def staff_accept(request: web.Request) -> web.Response:
    staff = await _staff(request)
    answer_id = (await read_body(request, StaffAcceptBody))["answer"]
    try:
        await request.app[COMMUNITY].accept(staff, _post_id(request), answer_id)
    except CommunityError as exc:
        return _refused(exc)
    return web.json_response(DONE)


@routes.post(
    "/api/community/{kind:question|answer}/{id:\\d+}/{action:hide|unhide|lock|unlock|approve}"
)
async def moderate(request: web.Request) -> web.Response:
    staff = await _staff(request)
    try:
        await request.app[COMMUNITY].moderate(
            staff,
            request.match_info["action"],
            request.match_info["kind"],
            _post_id(request),
        )
    except CommunityError as exc:
        return _refused(exc)
    return web.json_response(DONE)


def _flagged_json(f: Flagged) -> FlaggedPost:
    return {
        "kind": f.kind, "id": f.id, "question_id": f.question_id, "language": f.language,
        "title": f.title, "body": f.body, "author_name": f.author_name, "reports": f.reports,
        "created_at": f.created_at, "url": f"/community/{f.language}/{f.question_id}",
    }  # fmt: skip


@routes.get("/api/community/moderation")
async def review_queue(request: web.Request) -> web.Response:
    """The console's moderation view: reported posts, and answers awaiting promotion."""
    await _staff(request)
    flagged, awaiting = await request.app[COMMUNITY].review_queue()
    queue: ReviewQueue = {
        "flagged": [_flagged_json(f) for f in flagged],
        "awaiting_promotion": [_question_json(q) for q in awaiting],
    }
    return web.json_response(queue)


@routes.get("/api/admin/community")
async def dashboard(request: web.Request) -> web.Response:
    await _staff(request, "admin")
    service = request.app[COMMUNITY]
    unanswered = await service.unanswered()
    viewed = await service.most_viewed_without_entry()
    figures: CommunityDashboard = {
        "unanswered_48h": [_question_json(q) for q in unanswered],
        "most_viewed_without_entry": [_question_json(q) for q in viewed],
    }
    return web.json_response(figures)


@routes.post("/api/admin/community/questions/{id:\\d+}/promote")
async def promote(request: web.Request) -> web.Response:
    admin = await _staff(request, "admin")
    try:
        path = await request.app[COMMUNITY].promote(
            admin, _post_id(request), request.app[SETTINGS].kb
        )
    except CommunityError as exc:
        return _refused(exc)
    live = path.name.removeprefix("draft-")
    promoted: Promoted = {
        "draft": f"{path.parent.name}/{path.name}",
        "publish_by_renaming_to": f"{path.parent.name}/{live}",
        "help_url": f"/help/{path.parent.name}/{quote(live.removesuffix('.md'))}",
    }
    return web.json_response(promoted, status=201)
