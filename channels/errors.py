"""Translate errors into JSON responses once, at the HTTP edge."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.errors import (
    BusyError,
    ConflictError,
    DeskError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    StorageError,
)
from channels.parsing import load_json

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except InputError as exc:
        return json_error(400, exc.code, exc.message)
    except NotFoundError as exc:
        return json_error(404, exc.code, exc.message)
    except ConflictError as exc:
        return json_error(409, exc.code, exc.message)
    except PermissionDeniedError as exc:
        return json_error(403, exc.code, exc.message)
    except DeskError as exc:
        return json_error(400, exc.code, exc.message)
    except BusyError as exc:
        response = json_error(503, exc.code, exc.message)
        response.headers["Retry-After"] = "1"
        return response
    except StorageError:
        logger.exception("storage failure on %s", request.path)
        return json_error(503, "storage_unavailable", "the store is unavailable; try again")
    except web.HTTPRequestEntityTooLarge:
        return json_error(413, "body_too_large", "the request body is too large")
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        return json_error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)


async def read_json_object(request: web.Request) -> dict[str, object]:
    """The request body as a JSON object, or an InputError saying what is wrong."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise
    body = load_json(raw)
    if not isinstance(body, dict):
        raise InputError("the body must be a JSON object", code="invalid_json")
    return body
