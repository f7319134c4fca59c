"""Attachments: receive a customer's file into their conversation, hand it to the people
in that conversation only (agents by their login, the customer by a short-lived link
token scoped to the one file), and list a conversation's files (for export, forget, retention).

A file is checked by its content (bot.core.attachments.sniff) and its size, stored under a
random id, and recorded as a customer event `{"text": "", "attachment": {id, type, size}}`
in the conversation, which the console shows and the broker relays.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from bot.core import events as ev
from bot.core.attachments import Attachment, link_token, sniff, token_opens
from bot.core.events import Event
from bot.errors import InputError, NotFoundError
from bot.ports import AttachmentStore, ConversationWriter


class AttachmentService:
    def __init__(
        self,
        store: AttachmentStore,
        conversations: ConversationWriter,
        max_bytes: int,
        key: bytes,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.conversations = conversations
        self.max_bytes = max_bytes
        self.key = key
        self.clock = clock

    async def receive(
        self, conversation_id: str, data: bytes, *, sender: str, channel: str
    ) -> Event:
        if self.max_bytes <= 0:
            raise InputError("attachments are turned off", code="attachments_off")
        if len(data) > self.max_bytes:
            raise InputError(
                f"the file is larger than {self.max_bytes} bytes", code="attachment_too_large"
            )
        content_type = sniff(data[:16])
        if content_type is None:
            raise InputError(
                "only PNG, JPEG or WebP images and PDF files can be sent",
                code="attachment_type",
            )
        now = self.clock()
        attachment = Attachment(
            secrets.token_urlsafe(18), conversation_id, content_type, len(data), now
        )
        await self.store.save(attachment, data)
        [event] = await self.conversations.append(
            conversation_id,
            [Event(ev.USER, {"text": "", "attachment": attachment.public()}, now)],
            sender=sender,
            channel=channel,
        )
        return event

    async def open(
        self, attachment_id: str, conversation_id: str | None
    ) -> tuple[Attachment, bytes]:
        """The file, for an agent (`conversation_id` None) or for the customer of
        `conversation_id` only; anyone else gets the same 404 as for a missing file."""
        found = await self.store.load(attachment_id)
        if found is None or (
            conversation_id is not None and found[0].conversation_id != conversation_id
        ):
            raise NotFoundError("no such attachment")
        return found

    def token(self, attachment_id: str) -> str:
        """A short-lived token that opens this attachment only (for its customer's link)."""
        return link_token(self.key, attachment_id, self.clock())

    async def token_in(self, conversation_id: str, attachment_id: str) -> str:
        """A fresh token for an attachment of `conversation_id`; NotFoundError for another's."""
        if attachment_id not in await self.attachments_of(conversation_id):
            raise NotFoundError("no such attachment")
        return self.token(attachment_id)

    async def open_signed(self, attachment_id: str, token: str) -> tuple[Attachment, bytes]:
        """The file, for whoever holds a live token made for it; else the same 404 as for
        a missing file."""
        if not token_opens(self.key, attachment_id, token, self.clock()):
            raise NotFoundError("no such attachment")
        return await self.open(attachment_id, None)

    async def attachments_of(self, conversation_id: str) -> list[str]:
        """The ids of a conversation's attachments (export, forget and retention use it)."""
        state = await self.conversations.state(conversation_id)
        return [
            str(e.data["attachment"]["id"])
            for e in state.events
            if e.kind == ev.USER and isinstance(e.data.get("attachment"), dict)
        ]

    async def forget(self, conversation_id: str) -> int:
        """Delete a conversation's files; how many."""
        ids = await self.attachments_of(conversation_id)
        for attachment_id in ids:
            await self.store.delete(attachment_id)
        return len(ids)
