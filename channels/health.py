"""GET /health: is the server up, is its knowledge base loaded, which understanding runs."""

from __future__ import annotations

from aiohttp import web

from bot import __version__
from channels.keys import RELOADER

routes = web.RouteTableDef()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    reloader = request.app[RELOADER]
    kb = reloader.kb
    engine = getattr(reloader.brain.matcher, "engine", None)
    body = {
        "status": "ok",
        "version": __version__,
        "knowledge": {
            "entries": len(kb),
            "languages": list(kb.languages),
            "last_error": str(reloader.last_error) if reloader.last_error else None,
        },
        "understanding": _understanding(engine),
    }
    return web.json_response(body)


def _understanding(engine: object) -> dict[str, object]:
    """Whether the sentence encoder runs, and by which runtime ('onnxruntime', 'numpy')."""
    encoder = getattr(engine, "encoder", None)
    return {
        "encoder": encoder is not None,
        "encoder_runtime": getattr(encoder, "runtime", None),
    }
