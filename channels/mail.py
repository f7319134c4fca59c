"""Email replies' HTTP edge (README "A person takes over").

POST /api/handoffs/{id}/email   agents: {"text"} answered by email to the address the
                                customer left; 201 {"seq", "text"}
POST /api/mail/inbound          the mail provider's inbound webhook: {"to", "text",
                                "message_id"?}; `to` is the signed reply address
"""

from __future__ import annotations

from aiohttp import web

from bot.errors import InputError
from channels.api import _handoff_id, _text
from channels.auth import require_role
from channels.errors import read_json_object
from channels.keys import EMAIL

routes = web.RouteTableDef()


@routes.post("/api/handoffs/{id}/email")
async def send_email(request: web.Request) -> web.Response:
    agent = await require_role(request, "agent")
    event = await request.app[EMAIL].send(_handoff_id(request), agent, await _text(request))
    return web.json_response({"seq": event.seq, "text": event.data["text"]}, status=201)


@routes.post("/api/mail/inbound")
async def inbound(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    to, text, message_id = body.get("to"), body.get("text"), body.get("message_id")
    if not isinstance(to, str) or not isinstance(text, str):
        raise InputError("'to' and 'text' are required strings", code="invalid_email")
    handoff, handled = await request.app[EMAIL].inbound(
        to, text, message_id if isinstance(message_id, str) else None
    )
    return web.json_response(
        {
            "conversation_id": handoff.conversation_id,
            "duplicate": handled.outcome.duplicate,
        },
        status=201,
    )
