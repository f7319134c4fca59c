"""Serving customers' files: to agents (GET /api/attachments/{id}, bearer token) and to
the customer whose conversation it is (GET /attachments/{id}?t=<link token>).

The customer's link carries a token made for that one file that runs out after
bot.core.attachments.LINK_SECONDS (the widget frame gives it, and `attachment_link` a fresh
one), never the session id: a URL with the session in it would leak the conversation
through server logs, Referer headers and the browser's history.

Never rendered as a page: the type is the one sniffed on upload, `nosniff`, a download
`Content-Disposition`, and a sandboxing CSP in case a browser opens it anyway.
"""

from __future__ import annotations

from aiohttp import web

from bot.core.attachments import Attachment
from bot.errors import NotFoundError
from channels.auth import require_role
from channels.keys import ATTACHMENTS

routes = web.RouteTableDef()


def _file(attachment: Attachment, data: bytes) -> web.Response:
    return web.Response(
        body=data,
        content_type=attachment.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{attachment.filename}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
            "Cross-Origin-Resource-Policy": "same-origin",
        },
    )


@routes.get("/api/attachments/{id}")
async def for_agent(request: web.Request) -> web.Response:
    await require_role(request, "agent")
    found = await request.app[ATTACHMENTS].open(request.match_info["id"], None)
    return _file(*found)


@routes.get("/attachments/{id}")
async def for_customer(request: web.Request) -> web.Response:
    token = request.query.get("t", "")
    if not token or len(token) > 64:
        raise NotFoundError("no such attachment")
    found = await request.app[ATTACHMENTS].open_signed(request.match_info["id"], token)
    return _file(*found)
