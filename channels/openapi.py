"""GET /api/openapi.json: the JSON API described for clients and for schema fuzzers.

What is written here by hand is each route's summary, parameters, security and error
statuses. The bodies come from channels/wire: each request body from `BODIES`, each
2xx answer of a route in `RESPONSES` from its TypedDict (a route described there has no
hand-written 2xx here), the sockets' frames from their modules.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot import __version__
from channels.wire import console as console_frames
from channels.wire import schema
from channels.wire import widget as widget_frames
from channels.wire.api import BODIES, RESPONSES, ErrorBody
from channels.wire.rest import RestReply

routes = web.RouteTableDef()

_ERROR = {"$ref": "#/components/schemas/Error"}
_SECURED: list[dict[str, list[str]]] = [{"bearer": []}]


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    names = {
        400: "Bad input",
        401: "Missing, expired or forged token",
        403: "Not allowed",
        404: "Not found",
        409: "Someone else changed it first",
        413: "Body too large",
        429: "Too many attempts",
    }
    return {str(c): _json(_ERROR, names[c]) for c in codes}


_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]


def _handoff_action(summary: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": _SECURED,
        "parameters": _ID,
        "responses": _errors(400, 401, 403, 404, 409),
    }


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Balcão API",
        "version": __version__,
        "description": "Channels for customers, and the API of the agent console.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": schema(ErrorBody),
            "RestReply": schema(RestReply),
        },
    },
    "paths": {
        "/health": {
            "get": {
                "summary": "Is the server up, and its knowledge loaded",
                "responses": {"200": _json({"type": "object"})},
            }
        },
        "/webhooks/rest/": {
            "get": {
                "summary": "Rasa REST channel status",
                "responses": {"200": _json({"type": "object"})},
            }
        },
        "/webhooks/rest/webhook": {
            "post": {
                "summary": "A customer's message (Rasa's REST channel shape)",
                "responses": _errors(400, 401, 413, 429),
            }
        },
        "/api/auth/login": {
            "post": {
                "summary": "Log in as an agent or admin",
                "responses": _errors(400, 401, 429),
            }
        },
        "/api/auth/logout": {
            "post": {
                "summary": "End this session",
                "security": _SECURED,
                "responses": _errors(401),
            }
        },
        "/api/me": {
            "get": {
                "summary": "The logged-in agent",
                "security": _SECURED,
                "responses": _errors(401),
            }
        },
        "/api/handoffs": {
            "get": {
                "summary": "The queue: the waiting at its head, in the order to serve them, and"
                " the assigned (X-Waiting-Count: how many wait in all); or, with"
                " awaiting=email, the open handoffs whose customer left an email",
                "security": _SECURED,
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["waiting", "assigned", "resolved"]},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                    {
                        "name": "awaiting",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["email"]},
                    },
                ],
                "responses": _errors(400, 401),
            }
        },
        "/api/attachments/{id}": {
            "get": {
                "summary": "A customer's file (PNG, JPEG, WebP or PDF), as a download",
                "security": _SECURED,
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "the file"}, **_errors(401, 404)},
            }
        },
        "/api/conversations": {
            "get": {
                "summary": "Search handed-off conversations (titles, reasons and words)",
                "security": _SECURED,
                "parameters": [
                    {
                        "name": "q",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 200},
                    }
                ],
                "responses": _errors(400, 401),
            }
        },
        "/api/handoffs/{id}": {
            "get": _handoff_action(
                "A handoff with the transcript and, if verified, the customer panel"
            )
        },
        "/api/handoffs/{id}/claim": {"post": _handoff_action("Take a waiting conversation")},
        "/api/handoffs/{id}/messages": {"post": _handoff_action("Write to the customer")},
        "/api/handoffs/{id}/email": {
            "post": _handoff_action(
                "Answer by email the address the customer left (SMTP; 409 if none or unset)"
            )
        },
        "/api/mail/inbound": {
            "post": {
                "summary": "The mail provider's inbound webhook: a customer's email answer;"
                " `to` is the signed reply address",
                "responses": _errors(400, 404),
            }
        },
        "/api/shop/events": {
            "post": {
                "summary": "The shop platform's signed change events (X-Balcao-Signature)",
                "parameters": [
                    {
                        "name": "X-Balcao-Signature",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": _json({"type": "object"}),
                    **_errors(400, 401),
                    "503": {"description": "Notices are off"},
                },
            }
        },
        "/api/notices/unsubscribe": {
            method: {
                "summary": "One-click unsubscribe (RFC 8058) by a signed link; no login",
                "parameters": [
                    {"name": "t", "in": "query", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "Unsubscribed"}, **_errors(400)},
            }
            for method in ("get", "post")
        },
        "/api/handoffs/{id}/notes": {
            "post": _handoff_action("Add an internal note (never shown to the customer)")
        },
        "/api/handoffs/{id}/transfer": {
            "post": _handoff_action(
                "Hand the conversation to another online agent",
            )
        },
        "/api/handoffs/{id}/resolve": {
            "post": _handoff_action(
                "Close it; the bot takes the conversation back and asks for a rating"
            )
        },
        "/api/handoffs/{id}/goodwill": {
            "get": _handoff_action(
                "What may still be granted to this customer in the period, and their orders"
            ),
            "post": _handoff_action(
                "Grant a refund or credit within the limit for the customer's tier"
            ),
        },
        "/api/agents": {
            "get": {
                "summary": "Agents with their status and load",
                "security": _SECURED,
                "responses": _errors(401),
            }
        },
        "/api/agents/me/status": {
            "post": {
                "summary": "Set my status",
                "security": _SECURED,
                "responses": _errors(400, 401),
            }
        },
        "/api/canned": {
            "get": {
                "summary": "Canned responses",
                "security": _SECURED,
                "parameters": [
                    {
                        "name": "language",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": _errors(401),
            }
        },
    },
}


_RANGE = [
    {
        "name": "from",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "start, ISO date or UNIX seconds",
    },
    {"name": "to", "in": "query", "required": False, "schema": {"type": "string"}},
]


def _route(
    summary: str,
    method: str = "get",
    params: list[dict[str, Any]] | None = None,
    errors: tuple[int, ...] = (400, 401, 403, 404),
) -> dict[str, Any]:
    """A route for logged-in agents (what it shows may depend on the role)."""
    op: dict[str, Any] = {"summary": summary, "security": _SECURED, "responses": _errors(*errors)}
    if params:
        op["parameters"] = params
    return {method: op}


def _admin(
    summary: str, method: str = "get", params: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return _route(summary + " (admin)", method, params)


def _path(*names: str, **schemas: dict[str, Any]) -> list[dict[str, Any]]:
    """Path parameters, text unless given a schema."""
    return [
        {"name": n, "in": "path", "required": True, "schema": schemas.get(n, {"type": "string"})}
        for n in names
    ]


_ROW_ID: dict[str, Any] = {"type": "integer", "minimum": 1}
_POST: dict[str, dict[str, Any]] = {
    "kind": {"type": "string", "enum": ["question", "answer"]},
    "id": _ROW_ID,
    "action": {"type": "string", "enum": ["hide", "unhide", "lock", "unlock", "approve"]},
}

SPEC["paths"].update(
    {
        "/api/analytics/summary": _admin(
            "Conversations, automated resolution, escalations, "
            "fallbacks, waits and CSAT, per language and day",
            params=_RANGE,
        ),
        "/api/analytics/conversations": _route(
            "Conversations in the period with their rating and comment", "get", _RANGE
        ),
        "/api/analytics/conversations/{conversation_id}": _route(
            "One transcript; verified personal data hidden unless the viewer is an admin",
            "get",
            _path("conversation_id"),
            (400, 401, 404),
        ),
        "/api/analytics/unanswered": _admin(
            "What the assistant could not answer, grouped", params=_RANGE
        ),
        "/api/analytics/unanswered/{cluster}/draft": _admin(
            "Write a draft knowledge file from a group of unanswered questions",
            "post",
            _path("cluster"),
        ),
        "/api/analytics/suggestions": _admin("Customers' suggested answers waiting for review"),
        "/api/analytics/suggestions/{id}/accept": _admin(
            "Accept a suggestion as an example or as the answer", "post", _path("id", id=_ROW_ID)
        ),
        "/api/analytics/suggestions/{id}/dismiss": _admin(
            "Dismiss a suggestion", "post", _path("id", id=_ROW_ID)
        ),
        "/api/analytics/proactive": _admin(
            "Notices per trigger, tier and lifecycle stage: outcomes against the holdout"
        ),
        "/api/admin/customers/{id}/export": _admin(
            "Everything about one customer, her files listed (audited)", "get", _path("id")
        ),
        "/api/admin/customers/{id}/forget": _admin(
            "Erase one customer everywhere; what was removed (audited)", "post", _path("id")
        ),
        "/api/feedback": {
            "post": {
                "summary": "A customer rates an answer (and may suggest a better one) or the conversation",
                "responses": _errors(400, 403, 404, 429),
            }
        },
        # the community's JSON API (channels/community.py)
        "/api/community/questions/{id}/answers": _route(
            "An agent answers a community question as staff", "post", _path("id", **_POST)
        ),
        "/api/community/questions/{id}/accept": _route(
            "An agent accepts an answer", "post", _path("id", **_POST)
        ),
        "/api/community/{kind}/{id}/{action}": _route(
            "An agent hides, unhides, locks, unlocks or approves (keeps, off the review"
            " queue) a question or answer; audited in the same transaction",
            "post",
            _path("kind", "id", "action", **_POST),
        ),
        "/api/community/moderation": _route(
            "The review queue: reported posts no agent has decided on, most reported"
            " first, and accepted answers awaiting promotion"
        ),
        "/api/admin/community": _admin(
            "Community questions unanswered for 48 h, and the most viewed with no entry"
        ),
        "/api/admin/community/questions/{id}/promote": _admin(
            "Write a knowledge-base draft from a question and its accepted answer",
            "post",
            _path("id", **_POST),
        ),
    }
)


def _request_bodies() -> None:
    """Each JSON body the handlers read (channels/wire/api.py `BODIES`), as they read it."""
    for (method, path), kind in BODIES.items():
        SPEC["paths"][path][method.lower()]["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schema(kind)}},
        }


def _responses() -> None:
    """Each JSON answer a route in RESPONSES gives (channels/wire/api.py), as declared."""
    for (method, path), (status, kind) in RESPONSES.items():
        op = SPEC["paths"][path][method.lower()]
        written = [code for code in op["responses"] if code.startswith("2")]
        if written:  # a programming error: the answer would be described twice
            raise LookupError(f"{method} {path}: {written} is written by hand and in RESPONSES")
        op["responses"] = {str(status): _json(schema(kind)), **op["responses"]}


_request_bodies()
_responses()
# the sockets' frames (GET /ws, GET /api/agent/ws): OpenAPI has no words for a socket,
# so its client frames and server frames are listed as schemas
for _name, _kind in {
    **{f"Widget{k.title()}Request": v for k, v in widget_frames.CLIENT_FRAMES.items()},
    **widget_frames.SERVER_FRAMES,
    **{f"Console{k.title()}Request": v for k, v in console_frames.CLIENT_FRAMES.items()},
    **console_frames.SERVER_FRAMES,
}.items():
    SPEC["components"]["schemas"][_name] = schema(_kind)


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(SPEC)
