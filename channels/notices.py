"""Notices' HTTP edge: the shop's signed webhook, one-click unsubscribe, the proactive figures.

POST /api/shop/events           {"type": "order.updated" | "product.updated" |
                                 "customer.updated", "data": {...CSV columns}}
                                header X-Balcao-Signature: t=<unix>,v1=<hex HMAC-SHA256
                                of "<t>.<raw body>" with BALCAO_SHOP_SECRET>
GET|POST /api/notices/unsubscribe?t=<signed token>   no login (RFC 8058 one-click)
GET /api/analytics/proactive    admins: notices per trigger, tier and lifecycle stage, and
                                outcome, against the holdout
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from aiohttp import web

from bot.services.notices import NoticeService
from channels.auth import require_role
from channels.errors import json_error
from channels.keys import NOTICES, SETTINGS
from channels.parsing import load_json
from channels.wire import parse
from channels.wire.api import ShopEventBody

routes = web.RouteTableDef()
MAX_AGE = 300  # seconds a signed webhook call stays good
STAMP = re.compile(r"[0-9]{1,12}")


def _service(request: web.Request) -> NoticeService:
    service = request.app.get(NOTICES)
    if service is None:
        raise web.HTTPServiceUnavailable(
            text='{"error": {"code": "notices_off", "message": "notices are not running"}}',
            content_type="application/json",
        )
    return service


def signature_ok(header: str, body: bytes, secret: str, now: float) -> bool:
    """Whether `X-Balcao-Signature` signs `body` with `secret`, made in the last 5 minutes."""
    if not secret:
        return False
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    stamp = (fields.get("t") or [""])[0]
    if not STAMP.fullmatch(stamp) or abs(now - int(stamp)) > MAX_AGE:
        return False
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(
        given.isascii() and hmac.compare_digest(expected, given) for given in fields.get("v1", [])
    )


@routes.post("/api/shop/events")
async def shop_event(request: web.Request) -> web.Response:
    service = _service(request)
    body = await request.read()
    header = request.headers.get("X-Balcao-Signature", "")
    secret = request.app[SETTINGS].shop_secret.reveal()
    if not signature_ok(header, body, secret, time.time()):
        return json_error(401, "bad_signature", "missing, wrong or expired signature")
    if not await service.store.first_signature(header, service.clock()):
        return json_error(401, "replayed", "this call was seen before")
    event = parse(ShopEventBody, load_json(body, "the body"))
    queued = await service.shop_event(event["type"], event["data"])
    return web.json_response({"ok": True, "notices": queued})


@routes.get("/api/notices/unsubscribe")
@routes.post("/api/notices/unsubscribe")
async def unsubscribe(request: web.Request) -> web.Response:
    scope = await _service(request).unsubscribe(request.query.get("t", ""))
    if request.method == "POST":
        return web.json_response({"ok": True, "unsubscribed": scope})
    return web.Response(
        text=f"<!doctype html><meta charset=utf-8><title>Unsubscribed</title>"
        f"<p>Done: you will get no more {scope} messages from us.</p>",
        content_type="text/html",
    )


@routes.get("/api/analytics/proactive")
async def proactive(request: web.Request) -> web.Response:
    await require_role(request, "admin")
    return web.json_response(await _service(request).proactive())
