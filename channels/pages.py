"""Pages: the demo shop with the widget embedded, and the widget's static files."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static"
routes = web.RouteTableDef()


@routes.get("/")
async def demo_shop(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "demo.html")


def add_static(app: web.Application) -> None:
    app.router.add_static("/static/", STATIC, name="static", append_version=False)
