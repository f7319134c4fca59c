"""Data protection for admins over HTTP, as `balcao customer export|forget` does it:

    GET  /api/admin/customers/{id}/export   everything about one customer, as JSON (with
                                            her files listed; each is served to staff by
                                            GET /api/attachments/{id})
    POST /api/admin/customers/{id}/forget   erase her everywhere: what was removed, and
                                            the warehouse exports that may still hold her

Both are audited under the admin's email, and refused to agents (403).
"""

from __future__ import annotations

import json
import time

from aiohttp import web

from bot.errors import InputError
from channels.auth import require_role
from channels.errors import json_error
from channels.keys import PRIVACY
from channels.wire.privacy import Forgotten

routes = web.RouteTableDef()
MAX_ID = 200


def _customer_id(request: web.Request) -> str:
    customer_id = request.match_info["id"].strip()
    if not customer_id or len(customer_id) > MAX_ID:
        raise InputError(f"the customer id must be 1 to {MAX_ID} characters", code="invalid_id")
    return customer_id


@routes.get("/api/admin/customers/{id}/export")
async def export_customer(request: web.Request) -> web.Response:
    admin = await require_role(request, "admin")
    customer_id = _customer_id(request)
    try:
        document = await request.app[PRIVACY].export(
            customer_id, actor=admin.email, now=time.time()
        )
    except InputError as exc:
        if exc.code == "unknown_customer":
            return json_error(404, exc.code, exc.message)
        raise
    return web.json_response(document, dumps=_dumps)


@routes.post("/api/admin/customers/{id}/forget")
async def forget_customer(request: web.Request) -> web.Response:
    admin = await require_role(request, "admin")
    customer_id = _customer_id(request)
    now = time.time()
    privacy = request.app[PRIVACY]
    erased = await privacy.forget(customer_id, actor=admin.email, now=now)
    exports = await privacy.warehouse_exports(before=now)
    forgotten: Forgotten = {
        "customer_id": customer_id,
        "removed": {kind: n for kind, n in sorted(erased.counts.items()) if n},
        "warehouse_exports": [{"target": target, "at": at} for target, at in exports],
    }
    return web.json_response(forgotten)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
