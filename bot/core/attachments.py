"""Attachments a customer sends (photos of a damaged item, a PDF invoice), the pure part.

The type is read from the first bytes (magic numbers), never from a name or a declared
type: a file that is not a PNG, JPEG, WebP image or a PDF is refused, whatever it is
called. Stored under a random id; the id is what the conversation's event records.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
ATTACHMENT_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def sniff(head: bytes) -> str | None:
    """The content type the bytes really are, or None if not one we accept."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


@dataclass(frozen=True)
class Attachment:
    id: str
    conversation_id: str
    content_type: str
    size: int
    created_at: float

    @property
    def filename(self) -> str:
        return f"{self.id}.{EXTENSIONS[self.content_type]}"

    def public(self) -> dict[str, object]:
        """What the conversation's event and the wire frames carry."""
        return {"id": self.id, "type": self.content_type, "size": self.size}


LINK_SECONDS = 600  # how long a customer's download link works


def _mac(key: bytes, attachment_id: str, expires: int) -> str:
    digest = hmac.new(key, f"attachment:{attachment_id}:{expires}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:18]).decode()


def link_token(key: bytes, attachment_id: str, now: float, seconds: int = LINK_SECONDS) -> str:
    """A token that opens this one attachment until `now + seconds`: `<expiry>.<mac>`.

    It stands in the download URL instead of the customer's session id, which would leak
    the whole conversation through server logs, Referer headers and the browser's history.
    """
    expires = int(now) + seconds
    return f"{expires}.{_mac(key, attachment_id, expires)}"


def token_opens(key: bytes, attachment_id: str, token: str, now: float) -> bool:
    """Whether `token` was made for this attachment and has not run out."""
    expires, _, mac = token.partition(".")
    if not (expires.isascii() and expires.isdecimal() and len(expires) <= 12 and mac.isascii()):
        return False
    return int(expires) >= now and hmac.compare_digest(mac, _mac(key, attachment_id, int(expires)))
