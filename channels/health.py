"""GET /health: is the server up, is its knowledge base loaded, which understanding runs."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot import __version__
from bot.errors import KnowledgeError
from channels.keys import RELOADER, SETTINGS

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
            "last_error": _public_error(reloader.last_error, request.app[SETTINGS].kb),
        },
        "understanding": _understanding(engine),
    }
    return web.json_response(body)


def _public_error(error: KnowledgeError | None, kb: Path) -> str | None:
    """The knowledge error with its file named inside the knowledge folder: no absolute
    path of the server's disk is shown to whoever asks /health."""
    if error is None:
        return None
    path = Path(error.path)
    try:
        name = str(path.resolve().relative_to(kb.resolve()))
    except (ValueError, OSError):
        name = path.name
    problem = error.problem.replace(str(kb.resolve()) + "/", "").replace(str(kb) + "/", "")
    return f"{name}:{error.line}: {problem}" if error.line else f"{name}: {problem}"


def _understanding(engine: object) -> dict[str, object]:
    """Whether the sentence encoder runs, and by which runtime ('onnxruntime', 'numpy')."""
    encoder = getattr(engine, "encoder", None)
    return {
        "encoder": encoder is not None,
        "encoder_runtime": getattr(encoder, "runtime", None),
    }
