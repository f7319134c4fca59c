"""Pages: the demo shop with the widget embedded, and the widget's static files."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aiohttp import web

from bot.knowledge.entries import LANGUAGES
from channels.keys import SETTINGS

STATIC = Path(__file__).parent / "static"
routes = web.RouteTableDef()


@cache
def _demo_template() -> str:
    return (STATIC / "demo.html").read_text(encoding="utf-8")


@routes.get("/")
async def demo_shop(request: web.Request) -> web.Response:
    """The demo shop; `?lang=pt` picks the widget's language (one of a fixed set, never echoed raw)."""
    asked = request.query.get("lang", "")
    language = asked if asked in LANGUAGES else request.app[SETTINGS].default_language
    html = _demo_template().replace("{{language}}", language)
    return web.Response(text=html, content_type="text/html")


def add_static(app: web.Application) -> None:
    app.router.add_static("/static/", STATIC, name="static", append_version=False)
