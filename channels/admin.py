"""The admin dashboard and its JSON API (admin role), and customers' feedback on answers.

GET  /admin                                         the dashboard page (static HTML + JS)
GET  /api/analytics/summary?from=&to=               figures: total, by_day, by_language
GET  /api/analytics/unanswered?from=&to=&limit=     questions not answered, grouped
POST /api/analytics/unanswered/{cluster}/draft      write knowledge/<lang>/draft-<slug>.md
GET  /api/analytics/suggestions                     customers' proposed answers
POST /api/analytics/suggestions/{id}/accept         {"mode": "example" | "answer"}
POST /api/analytics/suggestions/{id}/dismiss
POST /api/feedback                                   public: {conversation, channel?, entry,
                                                     helpful, seq, token, suggestion?}
                                                     or {conversation, channel?, rating}

`from`/`to` are UTC dates (YYYY-MM-DD, `to` included) or UNIX seconds; the default
is the last 30 days. Every /api/analytics route calls `require_role(request, "admin")`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.core import events as ev
from bot.core.analytics import summarise, unanswered
from bot.core.events import Event
from bot.core.identity import verify_answer_token
from bot.core.transcripts import conversation_row, transcript
from bot.core.unanswered import cluster_questions
from bot.errors import InputError, KnowledgeError, NotFoundError
from bot.ports import AnalyticsStore, AuditLog
from bot.services.curation import add_example, replace_answer, write_draft
from channels import rest, widget
from channels.auth import require_role
from channels.errors import json_error
from channels.keys import (
    ANALYTICS,
    ANSWER_KEY,
    AUDIT,
    LIMITS,
    LOG,
    RELOADER,
    SERVICE,
    SETTINGS,
    STORE,
)
from channels.parsing import parse_row_id, parse_sender
from channels.wire.analytics import Draft, FeedbackRecorded, SuggestionAccepted, SuggestionDismissed
from channels.wire.api import AcceptBody, FeedbackBody, read_body

logger = logging.getLogger(__name__)

routes = web.RouteTableDef()

STATIC = Path(__file__).parent / "static"
DEFAULT_DAYS = 30
MAX_CLUSTERS = 50
ACCEPT_MODES = ("example", "answer")


def _sqlite_only(what: str) -> web.HTTPNotImplemented:
    """501 for features with no PostgreSQL adapter yet (README: Running as several processes)."""
    message = f"{what} work with the SQLite store only for now"
    return web.HTTPNotImplemented(
        text=f'{{"error": {{"code": "sqlite_only", "message": "{message}"}}}}',
        content_type="application/json",
    )


def _analytics(request: web.Request) -> AnalyticsStore:
    store = request.app.get(ANALYTICS)
    if store is None:
        raise _sqlite_only("analytics and the audit log")
    return store


async def _audit(request: web.Request) -> AuditLog:
    log = request.app.get(AUDIT)
    if log is None:
        raise _sqlite_only("analytics and the audit log")
    return log


def _instant(value: str, name: str, end: bool) -> float:
    problem = InputError(
        f"'{name}' must be a date (YYYY-MM-DD) or UNIX seconds", code="invalid_range"
    )
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):  # NaN and infinities are not JSON
            raise problem
        return seconds
    try:
        day = date.fromisoformat(value)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return (start + timedelta(days=1) if end else start).timestamp()
    except (ValueError, OverflowError):  # OverflowError: the day after 9999-12-31
        raise problem from None


def time_range(request: web.Request, now: float | None = None) -> tuple[float, float]:
    """[start, end) from ?from=&to= (UTC dates, `to` included), by default the last 30 days."""
    today = datetime.fromtimestamp(now if now is not None else time.time(), UTC).date()
    asked_to = request.query.get("to", "")
    asked_from = request.query.get("from", "")
    end = _instant(asked_to, "to", True) if asked_to else _instant(today.isoformat(), "to", True)
    start = _instant(asked_from, "from", False) if asked_from else end - DEFAULT_DAYS * 86_400.0
    if start >= end:
        raise InputError("'from' must be before 'to'", code="invalid_range")
    return start, end


@routes.get("/admin")
async def dashboard(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "admin.html")


@routes.get("/api/analytics/summary")
async def summary(request: web.Request) -> web.Response:
    await require_role(request, "admin")
    start, end = time_range(request)
    logs = await _analytics(request).logs(start, end)
    figures = summarise(logs, request.app[SETTINGS].default_language)
    return web.json_response({"from": start, "to": end, **figures.as_dict()})


async def _clusters(request: web.Request) -> list[Any]:
    start, end = time_range(request)
    logs = await _analytics(request).logs(start, end)
    return cluster_questions(unanswered(logs, request.app[SETTINGS].default_language))


@routes.get("/api/analytics/conversations")
async def list_conversations(request: web.Request) -> web.Response:
    """Conversations in the period, newest first, with their rating and comment."""
    await require_role(request, "agent")
    start, end = time_range(request)
    logs = await _analytics(request).logs(start, end)
    rows = [conversation_row(log) for log in logs if log.events]
    rows.sort(key=lambda r: r["started"] or 0, reverse=True)
    return web.json_response({"conversations": rows[:500], "total": len(rows)})


@routes.get("/api/analytics/conversations/{conversation_id}")
async def show_transcript(request: web.Request) -> web.Response:
    """One transcript; verified personal data is hidden from everyone but admins."""
    viewer = await require_role(request, "agent")
    conversation_id = request.match_info["conversation_id"]
    if await request.app[SERVICE].store.info(conversation_id) is None:
        raise NotFoundError("no such conversation")
    state = await request.app[SERVICE].state(conversation_id)
    lines = transcript(state.events, hide_personal=not viewer.is_admin, language=state.language)
    return web.json_response({"conversation_id": conversation_id, "transcript": lines})


@routes.get("/api/analytics/unanswered")
async def list_unanswered(request: web.Request) -> web.Response:
    await require_role(request, "admin")
    try:
        limit = min(int(request.query.get("limit", "20")), MAX_CLUSTERS)
    except ValueError:
        raise InputError("'limit' must be a number", code="invalid_limit") from None
    clusters = await _clusters(request)
    return web.json_response(
        {"clusters": [c.as_dict() for c in clusters[: max(limit, 0)]], "total": len(clusters)}
    )


@routes.post("/api/analytics/unanswered/{cluster}/draft")
async def draft(request: web.Request) -> web.Response:
    agent = await require_role(request, "admin")
    wanted = request.match_info["cluster"]
    cluster = next((c for c in await _clusters(request) if c.id == wanted), None)
    if cluster is None:
        return json_error(404, "unknown_cluster", "no such group of questions in this time range")
    kb_dir = request.app[SETTINGS].kb
    path = await asyncio.to_thread(write_draft, kb_dir, cluster.language, list(cluster.examples))
    await (await _audit(request)).record(
        at=time.time(), actor=agent.email, action="draft.written", subject=f"cluster:{cluster.id}",
        details={"file": str(path.relative_to(kb_dir))},
    )  # fmt: skip
    await request.app[RELOADER].check()
    logger.info("draft %s written by an admin", path.name)
    written: Draft = {
        "path": str(path.relative_to(kb_dir)),
        "entry": path.stem,
        "language": cluster.language,
    }
    return web.json_response(written, status=201)


@routes.get("/api/analytics/suggestions")
async def suggestions(request: web.Request) -> web.Response:
    await require_role(request, "admin")
    found = await _analytics(request).suggestions()
    kb = request.app[RELOADER].kb
    listed = []
    for suggestion in found:
        item = suggestion.as_dict()
        entry = kb.get(suggestion.entry, suggestion.language or "en") if suggestion.entry else None
        item["question"] = entry.question if entry else None
        item["current_answer"] = entry.answer if entry else None
        listed.append(item)
    return web.json_response({"suggestions": listed})


def _event_id(request: web.Request) -> int:
    event_id = parse_row_id(request.match_info["id"])
    if event_id is None:
        raise InputError("the suggestion id is a positive number", code="invalid_suggestion")
    return event_id


@routes.post("/api/analytics/suggestions/{id}/accept")
async def accept(request: web.Request) -> web.Response:
    agent = await require_role(request, "admin")
    event_id = _event_id(request)
    mode = (await read_body(request, AcceptBody))["mode"]
    suggestion = await _analytics(request).suggestion(event_id)
    if suggestion is None:
        return json_error(404, "unknown_suggestion", "no such suggestion waiting")
    settings = request.app[SETTINGS]
    entry = (
        request.app[RELOADER].kb.get(
            suggestion.entry, suggestion.language or settings.default_language
        )
        if suggestion.entry
        else None
    )
    if entry is None or not entry.source:
        return json_error(
            409, "unknown_entry", "the suggestion names no entry of the knowledge base"
        )
    path = Path(entry.source)
    edit = add_example if mode == "example" else replace_answer

    def apply() -> None:
        if not path.resolve().is_relative_to(settings.kb.resolve()):
            raise InputError(
                "the entry's file is outside the knowledge folder", code="unknown_entry"
            )
        edit(path, suggestion.text)

    try:
        await asyncio.to_thread(apply)
    except KnowledgeError as exc:
        return json_error(422, "invalid_entry", exc.problem)
    await (await _audit(request)).record(
        at=time.time(), actor=agent.email, action="suggestion.accepted", subject=f"event:{event_id}",
        details={"mode": mode, "entry": entry.id, "language": entry.language},
    )  # fmt: skip
    await request.app[RELOADER].check()
    accepted: SuggestionAccepted = {
        "entry": entry.id,
        "language": entry.language,
        "mode": mode,
        "path": str(path.relative_to(settings.kb)),
    }
    return web.json_response(accepted)


@routes.post("/api/analytics/suggestions/{id}/dismiss")
async def dismiss(request: web.Request) -> web.Response:
    agent = await require_role(request, "admin")
    event_id = _event_id(request)
    if await _analytics(request).suggestion(event_id) is None:
        return json_error(404, "unknown_suggestion", "no such suggestion waiting")
    await (await _audit(request)).record(
        at=time.time(),
        actor=agent.email,
        action="suggestion.dismissed",
        subject=f"event:{event_id}",
    )
    dismissed: SuggestionDismissed = {"dismissed": event_id}
    return web.json_response(dismissed)


# --- customers' feedback (public, like the widget) ------------------------------------


@routes.post("/api/feedback")
async def feedback(request: web.Request) -> web.Response:
    """A customer rates an answer (and may suggest a better one), or rates the conversation.

    An answer is rated with the `seq` and `token` that came with it (REST replies carry
    them): a stranger who knows a sender id cannot rate its answers, and each answer is
    rated once, so nobody can push someone else's conversation to a person."""
    body = await read_body(request, FeedbackBody)
    channel = body.get("channel", widget.CHANNEL)
    sender = parse_sender(body["conversation"])
    if channel == widget.CHANNEL:
        conversation_id = widget.conversation_id(sender)
    elif channel == rest.CHANNEL:
        conversation_id = rest.conversation_id(sender, rest.origin(request))
    else:
        raise InputError("'channel' must be 'web' or 'rest'", code="invalid_channel")
    if not await request.app[LIMITS].allow_feedback(
        conversation_id, request.app[LIMITS].address(request)
    ):
        response = json_error(429, "rate_limited", "too many ratings; wait a minute")
        response.headers["Retry-After"] = "60"
        return await request.app[LIMITS].held_refusal(request, response)
    now = time.time()
    events = _feedback_events(body, request, now)
    helpful = next((e for e in events if e.kind == ev.FEEDBACK and "helpful" in e.data), None)
    seq, token = body.get("seq"), body.get("token")
    if helpful is not None and not (
        isinstance(seq, int)
        and not isinstance(seq, bool)
        and isinstance(token, str)
        and verify_answer_token(request.app[ANSWER_KEY], conversation_id, seq, token)
    ):
        return json_error(
            403, "invalid_token", "rate an answer with the 'seq' and 'token' that came with it"
        )
    store = request.app[STORE]
    info = await store.info(conversation_id)
    if info is None:
        return json_error(404, "unknown_conversation", "no such conversation")
    service = request.app[SERVICE]
    if helpful is not None:
        assert isinstance(seq, int)
        # through the dialogue, so a second unhelpful answer still calls a person
        suggestion = next((e.data["text"] for e in events if e.kind == ev.SUGGESTION), None)
        handled = await service.rate_answer(
            conversation_id,
            helpful.data["entry"],
            helpful.data["helpful"],
            seq=seq,
            suggestion=suggestion,
            sender=info.sender,
            channel=info.channel,
        )
        stored = list(handled.events)
        replies = [r.to_event_data() for r in handled.replies]
        rated: FeedbackRecorded = {"recorded": [e.kind for e in stored], "replies": replies}
        return web.json_response(rated, status=201)
    stored = await request.app[LOG].append(
        conversation_id, events, sender=info.sender, channel=info.channel
    )
    recorded: FeedbackRecorded = {"recorded": [e.kind for e in stored]}
    return web.json_response(recorded, status=201)


def _feedback_events(body: FeedbackBody, request: web.Request, now: float) -> list[Event]:
    rating = body.get("rating")
    if rating is not None:
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            raise InputError("'rating' must be a whole number from 1 to 5", code="invalid_rating")
        return [Event(ev.FEEDBACK, {"rating": rating}, now)]
    entry, helpful = body.get("entry"), body.get("helpful")
    if not isinstance(entry, str) or entry not in request.app[RELOADER].kb.ids:
        raise InputError("'entry' must name an entry of the knowledge base", code="invalid_entry")
    if not isinstance(helpful, bool):
        raise InputError("'helpful' must be true or false", code="invalid_helpful")
    events = [Event(ev.FEEDBACK, {"helpful": helpful, "entry": entry}, now)]
    suggestion = body.get("suggestion")
    if suggestion is not None:
        if not isinstance(suggestion, str):
            raise InputError("'suggestion' must be text", code="invalid_suggestion")
        text = suggestion.strip()
        limit = request.app[SETTINGS].max_message_chars
        if len(text) > limit:
            raise InputError(
                f"the suggestion is longer than {limit} characters", code="suggestion_too_long"
            )
        if text:
            events.append(Event(ev.SUGGESTION, {"entry": entry, "text": text}, now))
    return events
