"""The Rasa-compatible REST channel.

POST /webhooks/rest/webhook {"sender", "message", "metadata"?}
  -> 200 [{"recipient_id", "text"?, "buttons"?: [{"title","payload"}], "custom"?,
           "feedback"?: {"entry", "seq", "token"}}]     an answer that can be rated
GET  /webhooks/rest/ -> {"status": "ok"}

With BALCAO_REST_TOKENS set, POSTs need `Authorization: Bearer <token>` (401 without);
each token names an origin, and a sender's conversation is that origin's own
(`rest:<origin>/<sender>`): nothing, a verification least of all, carries over to the
same sender id used with another token. Without tokens the channel is public, as Rasa's:
whoever knows a sender id speaks as that sender, so senders must be unguessable.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.config import Secret
from bot.core import events as ev
from bot.core.identity import answer_token
from channels.errors import json_error
from channels.keys import ANSWER_KEY, LIMITS, REST_TOKENS, SERVICE, SETTINGS
from channels.parsing import parse_message, parse_sender
from channels.wire.api import read_body
from channels.wire.rest import RestFeedback, RestMessage, RestReply

routes = web.RouteTableDef()

CHANNEL = "rest"


def conversation_id(sender: str, origin: str | None = None) -> str:
    """`rest:<sender>` on a public channel; `rest:<origin>/<sender>` for a token's origin
    (a sender id has no `/`, so the two never meet)."""
    return f"rest:{origin}/{sender}" if origin else f"rest:{sender}"


def rest_tokens(secret: Secret) -> tuple[tuple[str, bytes], ...]:
    """(origin name, token) pairs from BALCAO_REST_TOKENS (read once, by the app)."""
    pairs = []
    for item in secret.reveal().split(","):
        name, _, token = item.strip().rpartition("=")
        if token:
            pairs.append((name.strip() or "default", token.encode("utf-8")))
    return tuple(pairs)


def origin(request: web.Request) -> str | None:
    """The origin a REST request authenticated as (its token's name); None when the
    channel is public; a JSON 401 when tokens are required and this one is none of them."""
    tokens = request.app[REST_TOKENS]
    if not tokens:
        return None
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    found = None
    if scheme.lower() == "bearer" and given.strip():
        presented = given.strip().encode("utf-8", "replace")
        for name, token in tokens:  # every token compared: the time says nothing of which
            if hmac.compare_digest(presented, token):
                found = name
    if found is None:
        body = {"error": {"code": "unauthorized", "message": "a valid channel token is needed"}}
        raise web.HTTPUnauthorized(
            text=json.dumps(body),
            content_type="application/json",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found


def rasa_reply(
    recipient: str, data: Mapping[str, Any], feedback: RestFeedback | None = None
) -> RestReply:
    """Rasa's shape of one reply, from a stored bot or agent event's data (the one source
    of replies: `Reply.to_event_data` wrote it, with buttons as title/payload objects)."""
    out: RestReply = {"recipient_id": recipient}
    if data.get("text"):
        out["text"] = data["text"]
    if data.get("buttons"):
        out["buttons"] = [{"title": b["title"], "payload": b["payload"]} for b in data["buttons"]]
    if data.get("custom") is not None:
        out["custom"] = dict(data["custom"])
    if feedback is not None:
        out["feedback"] = feedback
    return out


@routes.get("/webhooks/rest/")
async def status(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.post("/webhooks/rest/webhook")
async def webhook(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    body = await read_body(request, RestMessage)
    sender = parse_sender(body["sender"])
    conversation = conversation_id(sender, origin(request))
    message = parse_message(
        body,
        limit=settings.max_message_chars,
        secret=settings.secret,
        max_metadata_bytes=settings.max_metadata_bytes,
        max_metadata_depth=settings.max_metadata_depth,
    )
    if not await request.app[LIMITS].allow_message(
        conversation, request.app[LIMITS].address(request)
    ):
        response = json_error(429, "rate_limited", "too many messages; wait a minute")
        response.headers["Retry-After"] = "60"
        return await request.app[LIMITS].held_refusal(request, response)
    handled = await request.app[SERVICE].handle(
        conversation, message, sender=sender, channel=CHANNEL, address=request.remote
    )
    # what an agent wrote since the customer's last message comes first, in order
    out = [rasa_reply(sender, event.data) for event in handled.pending]
    if handled.outcome.duplicate:
        out += [rasa_reply(sender, r.to_event_data()) for r in handled.replies]
    else:
        key = request.app[ANSWER_KEY]
        for event in handled.events:
            if event.kind != ev.BOT:
                continue
            entry = event.data.get("entry")
            feedback: RestFeedback | None = None
            if entry:  # the token rates this answer, in this conversation, once
                token = answer_token(key, conversation, event.seq)
                feedback = {"entry": entry, "seq": event.seq, "token": token}
            out.append(rasa_reply(sender, event.data, feedback))
    return web.json_response(out)
