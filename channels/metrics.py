"""GET /metrics: Prometheus text exposition of the process's metrics.

Off with BALCAO_METRICS=false (404); with BALCAO_METRICS_TOKEN set, a scraper must send
`Authorization: Bearer <token>` (401 otherwise). Open by default, as the server listens
on 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from channels.auth import Unauthorized, bearer_token
from channels.errors import json_error
from channels.keys import DESK, METRICS, SETTINGS

routes = web.RouteTableDef()


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if not settings.metrics:
        return json_error(404, "not_found", "metrics are turned off (BALCAO_METRICS)")
    expected = settings.metrics_token.reveal()
    if expected and not hmac.compare_digest(
        (bearer_token(request) or "").encode(), expected.encode()
    ):
        raise Unauthorized("metrics need Authorization: Bearer <BALCAO_METRICS_TOKEN>")
    registry = request.app[METRICS]
    registry.queue.set((await request.app[DESK].queue_page("waiting", 0))[1])
    return web.Response(text=registry.render(), content_type="text/plain", charset="utf-8")
