"""The agent console's socket frames (GET /api/agent/ws; channels/console.py,
static/console.js). Client frames are checked against these on arrival."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from typing_extensions import TypedDict

from channels.wire import Code, parse_typed
from channels.wire.desk import Agent, QueueItem

HandoffId = Annotated[int, Code("invalid_handoff")]

# --- client -> server ------------------------------------------------------------------


class AuthFrame(TypedDict):
    """First, within BALCAO_AGENT_AUTH_SECONDS: the login's bearer token."""

    type: Literal["auth"]
    token: NotRequired[Annotated[str | None, Code("unauthorized")]]


class WatchFrame(TypedDict):
    """Follow (watch) or stop following (unwatch) one conversation live."""

    type: Literal["watch", "unwatch"]
    handoff_id: HandoffId


class TypingFrame(TypedDict):
    """The agent is typing to the customer of `handoff_id`."""

    type: Literal["typing"]
    handoff_id: HandoffId
    on: bool


ClientFrame = AuthFrame | WatchFrame | TypingFrame
CLIENT_FRAMES: dict[str, type[Any]] = {
    "auth": AuthFrame,
    "watch": WatchFrame,
    "unwatch": WatchFrame,
    "typing": TypingFrame,
}


def parse_frame(frame: dict[str, Any]) -> ClientFrame:
    """A client frame checked against the shape its `type` names."""
    checked: ClientFrame = parse_typed(CLIENT_FRAMES, frame)
    return checked


# --- server -> client ------------------------------------------------------------------


class ReadyFrame(TypedDict):
    type: Literal["ready"]
    agent: Agent


class QueueFrame(TypedDict):
    """The queue, whenever it changes: its head and the assigned, as GET /api/handoffs
    lists them, and how many wait in all."""

    type: Literal["queue"]
    handoffs: list[QueueItem]
    waiting: int


class EventFrame(TypedDict):
    """A stored event of a watched conversation."""

    type: Literal["event"]
    handoff_id: int
    seq: int
    kind: str
    data: dict[str, Any]
    timestamp: float


class TypingOut(TypedDict):
    type: Literal["typing"]
    handoff_id: int
    who: Literal["customer"]
    on: bool
    at: float


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    message: str


ServerFrame = ReadyFrame | QueueFrame | EventFrame | TypingOut | ErrorFrame
SERVER_FRAMES: dict[str, type[Any]] = {
    "ConsoleReady": ReadyFrame,
    "ConsoleQueue": QueueFrame,
    "ConsoleEvent": EventFrame,
    "ConsoleTyping": TypingOut,
    "ConsoleError": ErrorFrame,
}
