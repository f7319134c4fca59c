"""Parse what clients send into core values; every refusal is an InputError with a stable code."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from bot.config import Secret
from bot.core.conversation import IncomingMessage
from bot.core.identity import verify_identity
from bot.errors import InputError, MessageTooLongError
from bot.knowledge.entries import LANGUAGES

SENDER_PATTERN = re.compile(r"^[\w.@:+\-]{1,128}$")
MESSAGE_ID_PATTERN = re.compile(r"^[\w\-]{1,64}$")
HASH_PATTERN = re.compile(r"\s*[0-9A-Fa-f]{64}\s*")  # hex HMAC-SHA256
MAX_ROW_ID = 2**63 - 1  # SQLite's largest INTEGER: a bigger one overflows in the driver
MAX_JSON_DEPTH = 32  # deeper than any body or frame a client has reason to send


def load_json(raw: str | bytes, what: str = "the body") -> object:
    """A client's JSON, or an InputError (`invalid_json`): not JSON, nested deeper than
    MAX_JSON_DEPTH (the decoder's recursion gives out long before a 64 KB body does), or
    text that is not Unicode (a lone surrogate such as "\\ud800" cannot be stored)."""
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InputError(f"{what} is not valid JSON", code="invalid_json") from None
    check_json(value, what, max_depth=MAX_JSON_DEPTH, code="invalid_json")
    return value


def check_json(value: object, what: str, *, max_depth: int, code: str) -> None:
    """Walk a decoded JSON value without recursion: an InputError (`code`) if it nests
    deeper than `max_depth`, `invalid_json` if it holds a lone surrogate."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            children: list[object] = [item]
        elif isinstance(item, dict):
            level += 1
            children = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            level += 1
            children = item
        else:
            continue
        if level > max_depth:
            raise InputError(f"{what} is nested more than {max_depth} levels deep", code=code)
        for child in children:
            if isinstance(child, str):
                if not child.isascii() and not _is_unicode(child):
                    raise InputError(
                        f"{what} holds text that is not valid Unicode", code="invalid_json"
                    )
            elif isinstance(child, dict | list):
                stack.append((child, level))


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_metadata(metadata: Mapping[str, Any], *, max_bytes: int, max_depth: int) -> None:
    """Refuse message metadata bigger or deeper than a server stores with every message."""
    check_json(dict(metadata), "'metadata'", max_depth=max_depth, code="metadata_too_deep")
    size = len(json.dumps(metadata, ensure_ascii=False).encode("utf-8"))
    if size > max_bytes:
        raise InputError(
            f"'metadata' is {size} bytes; at most {max_bytes} are kept with a message",
            code="metadata_too_large",
        )


def parse_row_id(value: object) -> int | None:
    """A stored row's id from a path segment or a JSON number; None if it can name no row."""
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ROW_ID:
        return None
    return value


def parse_limit(value: str | None, *, default: int, most: int) -> int:
    """A `limit` query parameter: a whole number from 1 to `most`; `default` when absent."""
    if value is None:
        return default
    try:
        limit = int(value)
    except ValueError:
        raise InputError("'limit' must be a whole number", code="invalid_limit") from None
    if not 1 <= limit <= most:
        raise InputError(f"'limit' must be from 1 to {most}", code="invalid_limit")
    return limit


def parse_sender(value: Any) -> str:
    if not isinstance(value, str) or not SENDER_PATTERN.fullmatch(value):
        raise InputError(
            "'sender' must be 1-128 letters, digits or . @ : + - _", code="invalid_sender"
        )
    return value


def parse_identity(metadata: Mapping[str, Any], secret: Secret | None) -> str | None:
    """The customer id the host site vouches for, None if it sent none; an error if forged.
    The secret is read only when an identity is there to check."""
    customer_id = metadata.get("customer_id")
    given = metadata.get("identifier_hash") or metadata.get("customer_hash")
    if customer_id is None and given is None:
        return None
    if not isinstance(customer_id, str) or not isinstance(given, str) or len(customer_id) > 128:
        raise InputError(
            "identity needs 'customer_id' and 'identifier_hash' as text", code="invalid_identity"
        )
    key = secret.reveal() if secret is not None else ""
    if not key:
        raise InputError(
            "this server does not accept identities (BALCAO_SECRET is not set)",
            code="identity_disabled",
        )
    # checked before comparing: hmac.compare_digest refuses non-ASCII text with a TypeError
    if not HASH_PATTERN.fullmatch(given) or not verify_identity(key, customer_id, given):
        raise InputError("'identifier_hash' does not match 'customer_id'", code="invalid_identity")
    return customer_id


def parse_message(
    body: Mapping[str, Any],
    *,
    limit: int,
    text_key: str = "message",
    secret: Secret | None = None,
    max_metadata_bytes: int = 2048,
    max_metadata_depth: int = 4,
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
    if metadata:  # none sent (the usual message): nothing to check, no identity in it
        check_metadata(metadata, max_bytes=max_metadata_bytes, max_depth=max_metadata_depth)
    message_id = body.get("id")
    if message_id is not None and (
        not isinstance(message_id, str) or not MESSAGE_ID_PATTERN.fullmatch(message_id)
    ):
        raise InputError("'id' must be 1-64 letters, digits, '-' or '_'", code="invalid_id")
    language = metadata.get("language") or body.get("language")
    identity = parse_identity(metadata, secret) if metadata else None
    safe_metadata = (
        {k: v for k, v in metadata.items() if k not in ("identifier_hash", "customer_hash")}
        if metadata
        else metadata
    )
    return IncomingMessage(
        text=text,
        message_id=message_id,
        payload=payload,
        metadata=safe_metadata,
        language=language if language in LANGUAGES else None,
        identity=identity,
    )
