"""The JSON API's request bodies (agents, admins, customers' feedback, mail and shop
webhooks; the community's are in `community`) and the error body; which route takes which
body (`BODIES`), and which route answers with which status and body (`RESPONSES`, the
bodies declared in `desk`, `analytics`, `community` and `privacy`).

`read_body(request, Kind)` is how a handler reads its body: the JSON object checked
against `Kind`, which must be the body `BODIES` names for the route, so the document
(channels/openapi.py, which builds each requestBody from `BODIES`) cannot describe
another shape than the handler reads. The document's 2xx answers are built from
`RESPONSES`; tests/channels/test_responses.py drives every route of it on a real server
and checks each answer against its declaration, field for field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired, TypeVar

from aiohttp import web
from pydantic import Field
from typing_extensions import TypedDict

from channels.errors import read_json_object
from channels.wire import Code, desk, parse
from channels.wire import analytics as an
from channels.wire import community as co
from channels.wire import privacy as pr
from channels.wire.community import StaffAcceptBody, StaffAnswerBody
from channels.wire.rest import RestMessage, RestReply

T = TypeVar("T")


class ErrorDetail(TypedDict):
    code: str
    message: str


class ErrorBody(TypedDict):
    """Every 4xx/5xx of the JSON API."""

    error: ErrorDetail


class LoginBody(TypedDict):
    email: Annotated[str, Code("missing_credentials")]
    password: Annotated[str, Code("missing_credentials")]


class TextBody(TypedDict):
    """An agent's message, email answer or internal note (the desk refuses an empty one,
    and one over 4,000 characters)."""

    text: Annotated[str, Code("missing_text")]


class TransferBody(TypedDict):
    agent: Annotated[str, Code("missing_agent")]


class GoodwillBody(TypedDict):
    """A refund or credit: `amount` a number or its text, at most two decimals."""

    kind: Literal["refund", "credit"]
    amount: Annotated[float | str, Code("invalid_amount")]
    order_id: NotRequired[Annotated[str, Field(max_length=64), Code("invalid_order")]]
    currency: NotRequired[str | None]


class StatusBody(TypedDict):
    status: Literal["online", "away", "offline"]


class AcceptBody(TypedDict):
    mode: Literal["example", "answer"]


class FeedbackBody(TypedDict):
    """Rates an answer (`entry`, `helpful`, with the `seq` and `token` that came with it,
    maybe a `suggestion`) or the whole conversation (`rating`)."""

    conversation: Annotated[str, Code("invalid_sender")]
    channel: NotRequired[Literal["web", "rest"]]
    entry: NotRequired[str]
    helpful: NotRequired[bool]
    seq: NotRequired[Annotated[int, Code("invalid_token")]]
    token: NotRequired[Annotated[str, Code("invalid_token")]]
    suggestion: NotRequired[str | None]
    rating: NotRequired[Annotated[int, Field(ge=1, le=5)]]
    comment: NotRequired[str | None]


class InboundMailBody(TypedDict):
    """The mail provider's inbound webhook: `to` is the signed reply address."""

    to: Annotated[str, Code("invalid_email")]
    text: Annotated[str, Code("invalid_email")]
    message_id: NotRequired[str | None]


class ShopEventBody(TypedDict):
    """The shop's change events; `data` holds the CSV export's columns."""

    type: Annotated[
        Literal["order.updated", "product.updated", "customer.updated"], Code("unknown_event")
    ]
    data: Annotated[dict[str, Any], Code("invalid_event")]


BODIES: dict[tuple[str, str], type[Any]] = {
    ("POST", "/webhooks/rest/webhook"): RestMessage,
    ("POST", "/api/auth/login"): LoginBody,
    ("POST", "/api/handoffs/{id}/messages"): TextBody,
    ("POST", "/api/handoffs/{id}/email"): TextBody,
    ("POST", "/api/handoffs/{id}/notes"): TextBody,
    ("POST", "/api/handoffs/{id}/transfer"): TransferBody,
    ("POST", "/api/handoffs/{id}/goodwill"): GoodwillBody,
    ("POST", "/api/agents/me/status"): StatusBody,
    ("POST", "/api/analytics/suggestions/{id}/accept"): AcceptBody,
    ("POST", "/api/feedback"): FeedbackBody,
    ("POST", "/api/mail/inbound"): InboundMailBody,
    ("POST", "/api/shop/events"): ShopEventBody,  # read raw first: the signature signs it
    ("POST", "/api/community/questions/{id}/answers"): StaffAnswerBody,
    ("POST", "/api/community/questions/{id}/accept"): StaffAcceptBody,
}

# (method, route) -> (status, body) of each JSON answer the document describes exactly
RESPONSES: dict[tuple[str, str], tuple[int, Any]] = {
    ("POST", "/webhooks/rest/webhook"): (200, list[RestReply]),
    ("POST", "/api/auth/login"): (200, desk.Session),
    ("POST", "/api/auth/logout"): (200, desk.LoggedOut),
    ("GET", "/api/me"): (200, desk.Agent),
    ("GET", "/api/handoffs"): (200, list[desk.QueueItem] | list[desk.AwaitingEmail]),
    ("GET", "/api/conversations"): (200, list[desk.FoundConversation]),
    ("GET", "/api/handoffs/{id}"): (200, desk.HandoffDetail),
    ("POST", "/api/handoffs/{id}/claim"): (200, desk.Handoff),
    ("POST", "/api/handoffs/{id}/messages"): (201, desk.AgentMessage),
    ("POST", "/api/handoffs/{id}/email"): (201, desk.AgentMessage),
    ("POST", "/api/handoffs/{id}/notes"): (201, desk.AgentMessage),
    ("POST", "/api/handoffs/{id}/transfer"): (200, desk.Handoff),
    ("POST", "/api/handoffs/{id}/resolve"): (200, desk.Handoff),
    ("GET", "/api/handoffs/{id}/goodwill"): (200, desk.Allowance),
    ("POST", "/api/handoffs/{id}/goodwill"): (201, desk.Grant),
    ("GET", "/api/agents"): (200, list[desk.AgentLoad]),
    ("POST", "/api/agents/me/status"): (200, desk.Agent),
    ("GET", "/api/canned"): (200, list[desk.Canned]),
    ("POST", "/api/mail/inbound"): (201, desk.InboundMail),
    ("POST", "/api/feedback"): (201, an.FeedbackRecorded),
    ("GET", "/api/analytics/summary"): (200, an.Summary),
    ("GET", "/api/analytics/conversations"): (200, an.Conversations),
    ("GET", "/api/analytics/conversations/{conversation_id}"): (200, an.Transcript),
    ("GET", "/api/analytics/unanswered"): (200, an.Unanswered),
    ("POST", "/api/analytics/unanswered/{cluster}/draft"): (201, an.Draft),
    ("GET", "/api/analytics/suggestions"): (200, an.Suggestions),
    ("POST", "/api/analytics/suggestions/{id}/accept"): (200, an.SuggestionAccepted),
    ("POST", "/api/analytics/suggestions/{id}/dismiss"): (200, an.SuggestionDismissed),
    ("GET", "/api/analytics/proactive"): (200, an.Proactive),
    ("GET", "/api/admin/customers/{id}/export"): (200, pr.Export),
    ("POST", "/api/admin/customers/{id}/forget"): (200, pr.Forgotten),
    ("POST", "/api/community/questions/{id}/answers"): (201, co.StaffAnswered),
    ("POST", "/api/community/questions/{id}/accept"): (200, co.Done),
    ("POST", "/api/community/{kind}/{id}/{action}"): (200, co.Done),
    ("GET", "/api/community/moderation"): (200, co.ReviewQueue),
    ("GET", "/api/admin/community"): (200, co.CommunityDashboard),
    ("POST", "/api/admin/community/questions/{id}/promote"): (201, co.Promoted),
}


async def read_body(request: web.Request, kind: type[T]) -> T:
    """The request's JSON body as `kind`, or an InputError naming the bad field."""
    resource = request.match_info.route.resource
    route = (request.method, resource.canonical if resource is not None else request.path)
    declared = BODIES.get(route)
    if declared is not kind:  # a programming error: the document would describe another
        raise LookupError(f"{route} reads a {kind.__name__}, BODIES says {declared}")
    return parse(kind, await read_json_object(request))
