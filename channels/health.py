"""GET /health: is the server up, is its knowledge base loaded, which understanding runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from bot import __version__
from bot.errors import KnowledgeError, StorageError
from channels.keys import RELOADER, SETTINGS, STORE_PROBE

routes = web.RouteTableDef()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    reloader = request.app[RELOADER]
    kb = reloader.kb
    engine = getattr(reloader.brain.matcher, "engine", None)
    store = await _store(request.app)
    body = {
        "status": "ok" if store == "ok" else "failing",
        "store": store,
        "version": __version__,
        "knowledge": {
            "entries": len(kb),
            "languages": list(kb.languages),
            "last_error": _public_error(reloader.last_error, request.app[SETTINGS].kb),
        },
        "understanding": _understanding(engine),
    }
    return web.json_response(body, status=200 if store == "ok" else 503)


async def _store(app: web.Application) -> str:
    """'ok' when the store takes a write within two seconds, else why not (no paths)."""
    probe = app.get(STORE_PROBE)
    if probe is None:
        return "ok"
    try:
        await asyncio.wait_for(probe(), 2.0)
    except StorageError as exc:
        return "failing: " + str(exc).split(": ", 1)[-1]
    except TimeoutError:
        return "failing: no answer within 2 s"
    return "ok"


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
    """Whether the sentence encoder runs, and by which runtime ('numpy', the only one)."""
    encoder = getattr(engine, "encoder", None)
    return {
        "encoder": encoder is not None,
        "encoder_runtime": getattr(encoder, "runtime", None),
    }
