"""Attachments a customer sends (photos of a damaged item, a PDF invoice), the pure part.

The type is read from the first bytes (magic numbers), never from a name or a declared
type: a file that is not a PNG, JPEG, WebP image or a PDF is refused, whatever it is
called. Stored under a random id; the id is what the conversation's event records.
"""

from __future__ import annotations

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
