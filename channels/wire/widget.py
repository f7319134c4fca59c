"""The website widget's socket frames (GET /ws; channels/widget.py, static/widget.js).

Client frames are checked against these on arrival (`parse_frame`); server frames are
what `channels.widget` sends. /api/openapi.json shows both under components/schemas.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from channels.wire import Code, parse_typed

MAX_QUERY = 200  # characters of a home-screen search, as the help center's (channels/help.py)

# --- client -> server ------------------------------------------------------------------


class HelloFrame(TypedDict):
    """First frame: resume `session_id` (or start one) in the page's `language`; metadata
    may carry the identity the host site vouches for (customer_id, identifier_hash)."""

    type: Literal["hello"]
    session_id: NotRequired[str | None]
    language: NotRequired[str | None]
    metadata: NotRequired[Annotated[dict[str, Any] | None, Code("invalid_metadata")]]
    # an entry id to open the conversation asking about; anything else is ignored, not
    # refused: a page's bad `data-topic` must not cost the customer the chat
    topic: NotRequired[Any]


class MessageFrame(TypedDict):
    """A customer's message; `id` is the client's, echoed in the ack."""

    type: Literal["message"]
    id: NotRequired[str | None]
    text: Annotated[str, Code("missing_message")]
    payload: NotRequired[str | None]
    language: NotRequired[str | None]
    metadata: NotRequired[Annotated[dict[str, Any] | None, Code("invalid_metadata")]]


class TypingFrame(TypedDict):
    type: Literal["typing"]
    on: bool


class FeedbackFrame(TypedDict):
    """Rates answer `seq` (once), maybe with a better answer."""

    type: Literal["feedback"]
    entry: Annotated[str, Field(max_length=128), Code("invalid_feedback")]
    seq: Annotated[int, Code("invalid_feedback")]
    helpful: Annotated[bool, Code("invalid_feedback")]
    suggestion: NotRequired[Annotated[str | None, Code("invalid_feedback")]]


class PingFrame(TypedDict):
    type: Literal["ping"]


class AttachmentFrame(TypedDict):
    """The next binary frame is a file; `id` names it in the ack."""

    type: Literal["attachment"]
    id: Annotated[str, Field(min_length=1, max_length=64)]


class AttachmentLinkFrame(TypedDict):
    """Asks for a fresh download link of one of the conversation's files."""

    type: Literal["attachment_link"]
    id: Annotated[str, Field(min_length=1, max_length=64), Code("invalid_id")]


class SearchFrame(TypedDict):
    """The home screen's instant search over the help center."""

    type: Literal["search"]
    q: Annotated[str, Field(max_length=MAX_QUERY), Code("invalid_query")]


ClientFrame = (
    HelloFrame
    | MessageFrame
    | TypingFrame
    | FeedbackFrame
    | PingFrame
    | AttachmentFrame
    | AttachmentLinkFrame
    | SearchFrame
)
CLIENT_FRAMES: dict[str, type[Any]] = {
    "hello": HelloFrame,
    "message": MessageFrame,
    "typing": TypingFrame,
    "feedback": FeedbackFrame,
    "ping": PingFrame,
    "attachment": AttachmentFrame,
    "attachment_link": AttachmentLinkFrame,
    "search": SearchFrame,
}


def parse_frame(frame: dict[str, Any]) -> ClientFrame:
    """A client frame checked against the shape its `type` names."""
    checked: ClientFrame = parse_typed(CLIENT_FRAMES, frame)
    return checked


# --- server -> client ------------------------------------------------------------------


class TeamStatus(TypedDict):
    open: bool
    online: bool
    back: str | None


class MessageOut(TypedDict):
    """A stored message (the customer's, the bot's or an agent's), as the widget shows it."""

    type: Literal["message"]
    seq: int | None
    role: Literal["user", "bot", "agent"]
    text: str
    timestamp: float
    buttons: NotRequired[list[dict[str, Any]]]
    custom: NotRequired[dict[str, Any]]
    notice: NotRequired[str]
    attachment: NotRequired[dict[str, Any]]
    entry: NotRequired[str]
    name: NotRequired[str]
    id: NotRequired[str]


class WelcomeFrame(TypedDict):
    type: Literal["welcome"]
    session_id: str
    resumed: bool
    language: str
    greeting: str
    team: TeamStatus
    history: list[MessageOut]


class AckFrame(TypedDict):
    type: Literal["ack"]
    id: str | None
    seq: int | None
    duplicate: bool


class TypingOut(TypedDict):
    type: Literal["typing"]
    on: bool
    who: NotRequired[Literal["agent"]]


class QueueFrame(TypedDict):
    type: Literal["queue"]
    position: int
    wait_s: float


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    message: str
    id: NotRequired[str]


class PongFrame(TypedDict):
    type: Literal["pong"]


class ResetFrame(TypedDict):
    type: Literal["reset"]
    reason: Literal["forgotten"]


class NoticeFrame(TypedDict):
    type: Literal["notice"]
    id: int | None
    title: str
    text: str


ServerFrame = (
    WelcomeFrame
    | MessageOut
    | AckFrame
    | TypingOut
    | QueueFrame
    | ErrorFrame
    | PongFrame
    | ResetFrame
    | NoticeFrame
)
SERVER_FRAMES: dict[str, type[Any]] = {
    "WidgetWelcome": WelcomeFrame,
    "WidgetMessage": MessageOut,
    "WidgetAck": AckFrame,
    "WidgetTyping": TypingOut,
    "WidgetQueue": QueueFrame,
    "WidgetError": ErrorFrame,
    "WidgetPong": PongFrame,
    "WidgetReset": ResetFrame,
    "WidgetNotice": NoticeFrame,
}
