"""Security headers on the pages staff log in to (/console, /admin), and on the public
help center and community (/help, /community), which are server-rendered without script.

Both pages load only their own scripts and styles (no inline code), so the policy can be
strict: a script injected into them would not run, and no other site may frame them
(clickjacking) or learn their URLs through the Referer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STAFF_PAGES = frozenset({"/console", "/admin"})
PUBLIC_PAGES = ("/help", "/community")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    strict = request.path.rstrip("/") in STAFF_PAGES or request.path.startswith(PUBLIC_PAGES)
    if strict and not response.prepared:
        response.headers.update(SECURITY_HEADERS)
    elif not response.prepared:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
