"""GET /api/openapi.json: the JSON API described for clients and for schema fuzzers."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot import __version__
from channels.wire import console as console_frames
from channels.wire import schema
from channels.wire import widget as widget_frames
from channels.wire.api import BODIES, ErrorBody
from channels.wire.rest import RestReply

routes = web.RouteTableDef()

_ERROR = {"$ref": "#/components/schemas/Error"}
_HANDOFF = {"$ref": "#/components/schemas/Handoff"}
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


def _handoff_action(
    summary: str, status: int = 200, schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": _SECURED,
        "parameters": _ID,
        "responses": {str(status): _json(schema or _HANDOFF), **_errors(400, 401, 403, 404, 409)},
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
            "Handoff": {
                "type": "object",
                "required": [
                    "id",
                    "conversation_id",
                    "sender",
                    "priority",
                    "tier",
                    "language",
                    "reason",
                    "waiting_s",
                ],
                "properties": {
                    "id": {"type": "integer"},
                    "conversation_id": {"type": "string"},
                    "sender": {"type": "string"},
                    "channel": {"type": "string"},
                    "status": {"type": "string", "enum": ["waiting", "assigned", "resolved"]},
                    "priority": {"type": "integer"},
                    "tier": {"type": "string", "nullable": True},
                    "language": {"type": "string"},
                    "reason": {"type": "string"},
                    "waiting_s": {"type": "number"},
                    "agent": {"type": "string", "nullable": True},
                    "account_manager": {"type": "string", "nullable": True},
                    "offline": {"type": "boolean"},
                    "flags": {"type": "array", "items": {"type": "string"}},
                    "created_at": {"type": "number"},
                },
            },
            "Agent": {
                "type": "object",
                "properties": {
                    "email": {"type": "string"},
                    "name": {"type": "string"},
                    "role": {"type": "string", "enum": ["agent", "admin"]},
                    "languages": {"type": "array", "items": {"type": "string"}},
                    "skills": {"type": "array", "items": {"type": "string"}},
                    "max_chats": {"type": "integer"},
                    "status": {"type": "string", "enum": ["online", "away", "offline"]},
                },
            },
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
                "responses": {
                    "200": _json(
                        {"type": "array", "items": {"$ref": "#/components/schemas/RestReply"}}
                    ),
                    **_errors(400, 401, 413, 429),
                },
            }
        },
        "/api/auth/login": {
            "post": {
                "summary": "Log in as an agent or admin",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["token"],
                            "properties": {
                                "token": {"type": "string"},
                                "expires_at": {"type": "number"},
                                "agent": {"$ref": "#/components/schemas/Agent"},
                            },
                        }
                    ),
                    **_errors(400, 401, 429),
                },
            }
        },
        "/api/auth/logout": {
            "post": {
                "summary": "End this session",
                "security": _SECURED,
                "responses": {"200": _json({"type": "object"}), **_errors(401)},
            }
        },
        "/api/me": {
            "get": {
                "summary": "The logged-in agent",
                "security": _SECURED,
                "responses": {"200": _json({"$ref": "#/components/schemas/Agent"}), **_errors(401)},
            }
        },
        "/api/handoffs": {
            "get": {
                "summary": "The queue",
                "security": _SECURED,
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["waiting", "assigned", "resolved"]},
                    }
                ],
                "responses": {
                    "200": _json({"type": "array", "items": _HANDOFF}),
                    **_errors(400, 401),
                },
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
                "responses": {
                    "200": _json({"type": "array", "items": {"type": "object"}}),
                    **_errors(400, 401),
                },
            }
        },
        "/api/handoffs/{id}": {
            "get": _handoff_action(
                "A handoff with the transcript and, if verified, the customer panel",
                schema={"type": "object"},
            )
        },
        "/api/handoffs/{id}/claim": {"post": _handoff_action("Take a waiting conversation")},
        "/api/handoffs/{id}/messages": {
            "post": _handoff_action("Write to the customer", 201, {"type": "object"})
        },
        "/api/handoffs/{id}/email": {
            "post": _handoff_action(
                "Answer by email the address the customer left (SMTP; 409 if none or unset)",
                201,
                {"type": "object"},
            )
        },
        "/api/mail/inbound": {
            "post": {
                "summary": "The mail provider's inbound webhook: a customer's email answer;"
                " `to` is the signed reply address",
                "responses": {"201": _json({"type": "object"}), **_errors(400, 404)},
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
            "post": _handoff_action(
                "Add an internal note (never shown to the customer)", 201, {"type": "object"}
            )
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
                "What may still be granted to this customer in the period, and their orders",
                200,
                {"type": "object"},
            ),
            "post": _handoff_action(
                "Grant a refund or credit within the limit for the customer's tier",
                201,
                {"type": "object"},
            ),
        },
        "/api/agents": {
            "get": {
                "summary": "Agents with their status and load",
                "security": _SECURED,
                "responses": {
                    "200": _json(
                        {"type": "array", "items": {"$ref": "#/components/schemas/Agent"}}
                    ),
                    **_errors(401),
                },
            }
        },
        "/api/agents/me/status": {
            "post": {
                "summary": "Set my status",
                "security": _SECURED,
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/Agent"}),
                    **_errors(400, 401),
                },
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
                "responses": {
                    "200": _json({"type": "array", "items": {"type": "object"}}),
                    **_errors(401),
                },
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


def _admin(
    summary: str, method: str = "get", params: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary + " (admin)",
        "security": _SECURED,
        "responses": {"200": _json({"type": "object"}), **_errors(400, 401, 403, 404)},
    }
    if params:
        op["parameters"] = params
    return {method: op}


def _agent(summary: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    """A GET any agent may call (what it shows may depend on the role)."""
    return {
        "get": {
            "summary": summary,
            "security": _SECURED,
            "parameters": params,
            "responses": {"200": _json({"type": "object"}), **_errors(400, 401, 404)},
        }
    }


def _path_param(name: str, kind: str = "string") -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": kind}}]


SPEC["paths"].update(
    {
        "/api/analytics/summary": _admin(
            "Conversations, automated resolution, escalations, "
            "fallbacks, waits and CSAT, per language and day",
            params=_RANGE,
        ),
        "/api/analytics/conversations": _agent(
            "Conversations in the period with their rating and comment", _RANGE
        ),
        "/api/analytics/conversations/{conversation_id}": _agent(
            "One transcript; verified personal data hidden unless the viewer is an admin",
            _path_param("conversation_id"),
        ),
        "/api/analytics/unanswered": _admin(
            "What the assistant could not answer, grouped", params=_RANGE
        ),
        "/api/analytics/unanswered/{cluster}/draft": _admin(
            "Write a draft knowledge file from a group of unanswered questions",
            "post",
            _path_param("cluster"),
        ),
        "/api/analytics/suggestions": _admin("Customers' suggested answers waiting for review"),
        "/api/analytics/suggestions/{id}/accept": _admin(
            "Accept a suggestion as an example or as the answer",
            "post",
            _path_param("id", "integer"),
        ),
        "/api/analytics/suggestions/{id}/dismiss": _admin(
            "Dismiss a suggestion", "post", _path_param("id", "integer")
        ),
        "/api/analytics/proactive": _admin(
            "Notices per trigger, tier and lifecycle stage: outcomes against the holdout"
        ),
        "/api/admin/customers/{id}/export": _admin(
            "Everything about one customer, her files listed (audited)", "get", _path_param("id")
        ),
        "/api/admin/customers/{id}/forget": _admin(
            "Erase one customer everywhere; what was removed (audited)", "post", _path_param("id")
        ),
        "/api/feedback": {
            "post": {
                "summary": "A customer rates an answer (and may suggest a better one) or the conversation",
                "responses": {"201": _json({"type": "object"}), **_errors(400, 403, 404, 429)},
            }
        },
    }
)


_COMMUNITY_PARAMS: dict[str, dict[str, Any]] = {
    "id": {"type": "integer", "minimum": 1},
    "kind": {"type": "string", "enum": ["question", "answer"]},
    "action": {"type": "string", "enum": ["hide", "unhide", "lock", "unlock", "approve"]},
}


def _community(summary: str, method: str, params: list[str], status: int = 200) -> dict[str, Any]:
    """A route of the community's JSON API (channels/community.py): agents, or admins."""
    return {
        method: {
            "summary": summary,
            "security": _SECURED,
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": _COMMUNITY_PARAMS[name]}
                for name in params
            ],
            "responses": {str(status): _json({"type": "object"}), **_errors(400, 401, 403, 404)},
        }
    }


SPEC["paths"].update(
    {
        "/api/community/questions/{id}/answers": _community(
            "An agent answers a community question as staff", "post", ["id"], 201
        ),
        "/api/community/questions/{id}/accept": _community(
            "An agent accepts an answer", "post", ["id"]
        ),
        "/api/community/{kind}/{id}/{action}": _community(
            "An agent hides, unhides, locks, unlocks or approves (keeps, off the review"
            " queue) a question or answer; audited in the same transaction",
            "post",
            ["kind", "id", "action"],
        ),
        "/api/community/moderation": _community(
            "The review queue: reported posts no agent has decided on, most reported"
            " first, and accepted answers awaiting promotion",
            "get",
            [],
        ),
        "/api/admin/community": _community(
            "Community questions unanswered for 48 h, and the most viewed with no entry (admin)",
            "get",
            [],
        ),
        "/api/admin/community/questions/{id}/promote": _community(
            "Write a knowledge-base draft from a question and its accepted answer (admin)",
            "post",
            ["id"],
            201,
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


_request_bodies()
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
