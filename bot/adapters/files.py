"""Attachments as files in a folder next to the SQLite database: `<id>.<ext>` and a small
`<id>.json` with its conversation, type, size and time. File I/O runs in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

from bot.core.attachments import ATTACHMENT_ID, EXTENSIONS, Attachment


class FileAttachmentStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _meta(self, attachment_id: str) -> Path:
        return self.folder / f"{attachment_id}.json"

    async def save(self, attachment: Attachment, data: bytes) -> None:
        def write() -> None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / attachment.filename).write_bytes(data)
            meta = {
                "conversation_id": attachment.conversation_id,
                "type": attachment.content_type,
                "size": attachment.size,
                "created_at": attachment.created_at,
            }
            self._meta(attachment.id).write_text(json.dumps(meta), encoding="utf-8")

        await asyncio.to_thread(write)

    def _describe(self, attachment_id: str) -> Attachment | None:
        try:
            meta = json.loads(self._meta(attachment_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("type") not in EXTENSIONS:
            return None
        return Attachment(
            attachment_id,
            str(meta["conversation_id"]),
            meta["type"],
            int(meta["size"]),
            float(meta["created_at"]),
        )

    async def listing(self) -> list[Attachment]:
        """Read from the files' descriptions, so that a file whose conversation event was
        never written (the store failed after the save) is found too."""

        def read() -> list[Attachment]:
            found = [
                self._describe(path.stem)
                for path in sorted(self.folder.glob("*.json"))
                if ATTACHMENT_ID.match(path.stem)
            ]
            return [a for a in found if a is not None]

        return await asyncio.to_thread(read)

    async def load(self, attachment_id: str) -> tuple[Attachment, bytes] | None:
        if not ATTACHMENT_ID.match(attachment_id):
            return None

        def read() -> tuple[Attachment, bytes] | None:
            attachment = self._describe(attachment_id)
            if attachment is None:
                return None
            try:
                return attachment, (self.folder / attachment.filename).read_bytes()
            except OSError:
                return None

        return await asyncio.to_thread(read)

    async def delete(self, attachment_id: str) -> None:
        if not ATTACHMENT_ID.match(attachment_id):
            return

        def remove() -> None:
            for path in self.folder.glob(f"{attachment_id}.*"):
                with contextlib.suppress(OSError):
                    path.unlink()

        await asyncio.to_thread(remove)
