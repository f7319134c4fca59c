"""Parse what clients send into core values; every refusal is an InputError with a stable code."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.conversation import IncomingMessage
from bot.errors import InputError, MessageTooLongError
from bot.knowledge import LANGUAGES

SENDER_PATTERN = re.compile(r"^[\w.@:+\-]{1,128}$")
MESSAGE_ID_PATTERN = re.compile(r"^[\w\-]{1,64}$")


def parse_sender(value: Any) -> str:
    if not isinstance(value, str) or not SENDER_PATTERN.match(value):
        raise InputError(
            "'sender' must be 1-128 letters, digits or . @ : + - _", code="invalid_sender"
        )
    return value


def parse_message(
    body: Mapping[str, Any], *, limit: int, text_key: str = "message"
) -> IncomingMessage:
    """An IncomingMessage from a REST body or a widget frame."""
    text = body.get(text_key)
    if not isinstance(text, str):
        raise InputError(f"'{text_key}' is required and must be a string", code="missing_message")
    text = text.strip()
    payload = body.get("payload")
    if payload is not None and not isinstance(payload, str):
        raise InputError("'payload' must be a string", code="invalid_payload")
    if payload is None and text.startswith("/"):
        payload = text  # Rasa's convention: "/intent" is a button payload
    if not text and not payload:
        raise InputError(f"'{text_key}' must not be empty", code="empty_message")
    if len(text) > limit:
        raise MessageTooLongError(len(text), limit)
    if payload is not None and len(payload) > 256:
        raise InputError("'payload' is longer than 256 characters", code="invalid_payload")
    metadata = body.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise InputError("'metadata' must be an object", code="invalid_metadata")
    message_id = body.get("id")
    if message_id is not None and (
        not isinstance(message_id, str) or not MESSAGE_ID_PATTERN.match(message_id)
    ):
        raise InputError("'id' must be 1-64 letters, digits, '-' or '_'", code="invalid_id")
    language = metadata.get("language") or body.get("language")
    return IncomingMessage(
        text=text,
        message_id=message_id,
        payload=payload,
        metadata=metadata,
        language=language if language in LANGUAGES else None,
    )
