"""The Rasa-compatible REST channel.

POST /webhooks/rest/webhook {"sender", "message", "metadata"?}
  -> 200 [{"recipient_id", "text"?, "buttons"?: [{"title","payload"}], "custom"?}]
GET  /webhooks/rest/ -> {"status": "ok"}
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.core.conversation import Reply
from channels.errors import json_error, read_json_object
from channels.keys import LIMITS, SERVICE, SETTINGS
from channels.parsing import parse_message, parse_sender

routes = web.RouteTableDef()

CHANNEL = "rest"


def conversation_id(sender: str) -> str:
    return f"rest:{sender}"


def rasa_reply(recipient: str, reply: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {"recipient_id": recipient}
    if reply.text:
        out["text"] = reply.text
    if reply.buttons:
        out["buttons"] = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
    if reply.custom is not None:
        out["custom"] = dict(reply.custom)
    return out


@routes.get("/webhooks/rest/")
async def status(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.post("/webhooks/rest/webhook")
async def webhook(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    body = await read_json_object(request)
    sender = parse_sender(body.get("sender"))
    message = parse_message(
        body,
        limit=settings.max_message_chars,
        secret=settings.secret.reveal(),
        max_metadata_bytes=settings.max_metadata_bytes,
        max_metadata_depth=settings.max_metadata_depth,
    )
    if not await request.app[LIMITS].allow_message(conversation_id(sender), request.remote):
        response = json_error(429, "rate_limited", "too many messages; wait a minute")
        response.headers["Retry-After"] = "60"
        return response
    handled = await request.app[SERVICE].handle(
        conversation_id(sender), message, sender=sender, channel=CHANNEL
    )
    # what an agent wrote since the customer's last message comes first, in order
    replies = (*handled.pending, *handled.replies)
    return web.json_response([rasa_reply(sender, r) for r in replies])
