"""Email replies' HTTP edge (README "A person takes over").

POST /api/handoffs/{id}/email   agents: {"text"} answered by email to the address the
                                customer left; 201 {"seq", "text"}
POST /api/mail/inbound          the mail provider's inbound webhook: {"to", "text",
                                "message_id"?}; `to` is the signed reply address
"""

from __future__ import annotations

from aiohttp import web

from channels.api import _handoff_id, _text
from channels.auth import require_role
from channels.keys import EMAIL
from channels.wire.api import InboundMailBody, read_body

routes = web.RouteTableDef()


@routes.post("/api/handoffs/{id}/email")
async def send_email(request: web.Request) -> web.Response:
    agent = await require_role(request, "agent")
    event = await request.app[EMAIL].send(_handoff_id(request), agent, await _text(request))
    return web.json_response({"seq": event.seq, "text": event.data["text"]}, status=201)


@routes.post("/api/mail/inbound")
async def inbound(request: web.Request) -> web.Response:
    body = await read_body(request, InboundMailBody)
    handoff, handled = await request.app[EMAIL].inbound(
        body["to"], body["text"], body.get("message_id")
    )
    return web.json_response(
        {
            "conversation_id": handoff.conversation_id,
            "duplicate": handled.outcome.duplicate,
        },
        status=201,
    )
