"""The agents' JSON API (what the console uses too), described at /api/openapi.json."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from aiohttp import web

from bot.core import events as ev
from bot.core.events import Event
from bot.core.goodwill import parse_amount
from bot.errors import InputError, NotFoundError, PermissionDeniedError
from bot.services.desk import QUEUE_HEAD
from bot.services.goodwill import Allowance
from channels.auth import require_role
from channels.keys import AGENTS, CANNED, DESK, EMAIL, GOODWILL, INBOX, INSIGHTS, SERVICE
from channels.parsing import parse_limit, parse_row_id
from channels.wire.api import GoodwillBody, StatusBody, TextBody, TransferBody, read_body
from channels.wire.desk import AgentMessage, Grant
from channels.wire.desk import Allowance as AllowanceJson

routes = web.RouteTableDef()


def _handoff_id(request: web.Request) -> int:
    handoff_id = parse_row_id(request.match_info["id"])
    if handoff_id is None:
        raise NotFoundError("no such handoff")
    return handoff_id


async def _text(request: web.Request) -> str:
    return (await read_body(request, TextBody))["text"]


@routes.get("/api/handoffs")
async def list_handoffs(request: web.Request) -> web.Response:
    await require_role(request, "agent")
    status = request.query.get("status")
    if status not in (None, "waiting", "assigned", "resolved"):
        raise InputError("status must be waiting, assigned or resolved", code="invalid_status")
    now = time.time()
    if request.query.get("awaiting") == "email":  # the customer left an email for the answer
        handoffs = await request.app[EMAIL].awaiting()
        return web.json_response(
            [{**h.summary(now), "contact_email": h.contact_email} for h in handoffs]
        )
    limit = parse_limit(request.query.get("limit"), default=QUEUE_HEAD, most=1000)
    handoffs, waiting = await request.app[DESK].queue_page(status, limit)
    return web.json_response(
        await request.app[INBOX].summaries(handoffs, now),
        headers={"X-Waiting-Count": str(waiting)},
    )


@routes.get("/api/conversations")
async def search_conversations(request: web.Request) -> web.Response:
    """Handed-off conversations (open and resolved) whose words contain every word of q."""
    await require_role(request, "agent")
    query = request.query.get("q", "")
    if len(query) > 200:
        raise InputError("'q' is longer than 200 characters", code="query_too_long")
    return web.json_response(await request.app[INBOX].search(query, time.time()))


@routes.get("/api/handoffs/{id}")
async def get_handoff(request: web.Request) -> web.Response:
    await require_role(request, "agent")
    handoff = await request.app[DESK].get(_handoff_id(request))
    state = await request.app[SERVICE].state(handoff.conversation_id)
    transcript = [
        {"seq": e.seq, "kind": e.kind, "timestamp": e.timestamp, **_visible(e.data)}
        for e in state.events
        if e.kind in (ev.USER, ev.BOT, ev.AGENT, ev.NOTE, ev.HANDOFF)
    ]
    inbox = request.app[INBOX]
    customer = None
    customer_id = state.slots.get("customer_id")
    if customer_id and state.slots.get("verified"):
        customer = await request.app[INSIGHTS].panel(str(customer_id))
    return web.json_response(
        {
            "handoff": {**handoff.summary(time.time()), "title": await inbox.title(handoff)},
            "earlier": await inbox.earlier(handoff, time.time()),
            "transcript": transcript,
            "customer": customer,
            "verified": bool(state.slots.get("verified")),
            "contact_email": state.slots.get("contact_email"),
        }
    )


def _visible(data: dict[str, Any]) -> dict[str, Any]:
    keep = ("text", "buttons", "entry", "decision", "agent", "name", "status", "auto", "attachment")
    return {k: data[k] for k in keep if k in data}


@routes.post("/api/handoffs/{id}/claim")
async def claim(request: web.Request) -> web.Response:
    agent = await require_role(request, "agent")
    handoff = await request.app[DESK].claim(_handoff_id(request), agent)
    return web.json_response(handoff.summary(time.time()))


@routes.post("/api/handoffs/{id}/messages")
async def send_message(request: web.Request) -> web.Response:
    agent = await require_role(request, "agent")
    event = await request.app[DESK].send(_handoff_id(request), agent, await _text(request))
    return web.json_response(_written(event), status=201)


@routes.post("/api/handoffs/{id}/notes")
async def add_note(request: web.Request) -> web.Response:
    agent = await require_role(request, "agent")
    desk = request.app[DESK]
    handoff = await desk.get(_handoff_id(request))
    if handoff.status == "assigned" and handoff.agent != agent.email and not agent.is_admin:
        raise PermissionDeniedError("this conversation is held by another agent")
    event = await desk.note(handoff.id, agent, await _text(request))
    return web.json_response(_written(event), status=201)


@routes.post("/api/handoffs/{id}/transfer")
async def transfer(request: web.Request) -> web.Response:
    agent = await require_role(request, "agent")
    target = (await read_body(request, TransferBody))["agent"]
    handoff = await request.app[DESK].transfer(_handoff_id(request), agent, target.lower())
    return web.json_response(handoff.summary(time.time()))


@routes.post("/api/handoffs/{id}/resolve")
async def resolve(request: web.Request) -> web.Response:
    agent = await require_role(request, "agent")
    handoff = await request.app[DESK].resolve(_handoff_id(request), agent)
    return web.json_response(handoff.summary(time.time()))


def _written(event: Event) -> AgentMessage:
    """What an agent wrote (to the customer, by email, or as a note), as stored."""
    return {"seq": event.seq, "text": event.data["text"]}


def _allowance(allowance: Allowance) -> AllowanceJson:
    def money(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "tier": allowance.tier,
        "limit": money(allowance.limit),
        "granted": str(allowance.granted),
        "remaining": money(allowance.remaining),
        "currency": allowance.currency,
        "period_days": allowance.period_days,
        "orders": list(allowance.orders),
    }


@routes.get("/api/handoffs/{id}/goodwill")
async def goodwill_allowance(request: web.Request) -> web.Response:
    """What the agent may still grant this conversation's customer, and their orders."""
    agent = await require_role(request, "agent")
    allowance = await request.app[GOODWILL].allowance(_handoff_id(request), agent)
    return web.json_response(_allowance(allowance))


@routes.post("/api/handoffs/{id}/goodwill")
async def goodwill(request: web.Request) -> web.Response:
    """Grant a refund or credit within the customer's limit for the period."""
    agent = await require_role(request, "agent")
    body = await read_body(request, GoodwillBody)
    kind = body["kind"]
    amount = parse_amount(body["amount"])
    currency, order_id = body.get("currency"), body.get("order_id", "")
    grant = await request.app[GOODWILL].grant(
        _handoff_id(request), agent, kind, amount, currency, order_id.strip()
    )
    transaction = grant.transaction
    granted: Grant = {
        "transaction_id": transaction.transaction_id,
        "kind": kind,
        "amount": str(amount),
        "currency": transaction.currency,
        "order_id": transaction.order_id,
        "status": transaction.status,
        "tier": grant.tier,
        "allowance": _allowance(grant.allowance),
    }
    return web.json_response(granted, status=201)


@routes.get("/api/agents")
async def list_agents(request: web.Request) -> web.Response:
    await require_role(request, "agent")
    loads = await request.app[DESK].handoffs.loads()
    agents = await request.app[AGENTS].all()
    return web.json_response([{**a.public(), "load": loads.get(a.email, 0)} for a in agents])


@routes.post("/api/agents/me/status")
async def set_status(request: web.Request) -> web.Response:
    agent = await require_role(request, "agent")
    status = (await read_body(request, StatusBody))["status"]
    updated = await request.app[DESK].set_status(agent, status)
    return web.json_response(updated.public())


@routes.get("/api/canned")
async def canned(request: web.Request) -> web.Response:
    await require_role(request, "agent")
    language = request.query.get("language")
    items = [c for c in request.app[CANNED] if language in (None, c["language"])]
    return web.json_response(items)
