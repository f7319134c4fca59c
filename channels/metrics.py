"""GET /metrics: Prometheus text exposition of the process's metrics."""

from __future__ import annotations

from aiohttp import web

from channels.keys import DESK, METRICS

routes = web.RouteTableDef()


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    registry = request.app[METRICS]
    registry.queue.set(len(await request.app[DESK].queue("waiting")))
    return web.Response(text=registry.render(), content_type="text/plain", charset="utf-8")
