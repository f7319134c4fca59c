"""The Rasa-compatible REST channel's bodies (POST /webhooks/rest/webhook; channels/rest.py)."""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from typing_extensions import TypedDict

from channels.wire import Code


class RestMessage(TypedDict):
    """A customer's message, in Rasa's REST channel shape."""

    sender: Annotated[str, Code("invalid_sender")]
    message: Annotated[str, Code("missing_message")]
    metadata: NotRequired[Annotated[dict[str, Any] | None, Code("invalid_metadata")]]
    payload: NotRequired[str | None]
    id: NotRequired[str | None]
    language: NotRequired[str | None]


class RestButton(TypedDict):
    title: str
    payload: str


class RestFeedback(TypedDict):
    """On an answer that can be rated: send these to POST /api/feedback."""

    entry: str
    seq: int
    token: str


class RestReply(TypedDict):
    recipient_id: str
    text: NotRequired[str]
    buttons: NotRequired[list[RestButton]]
    custom: NotRequired[dict[str, Any]]
    feedback: NotRequired[RestFeedback]
