"""PrivacyService: export, erasure and retention, the same for the CLI and the server.

`forget` reaches every copy of a customer's data:
- the store's rows (PrivacyStore.forget_customer): rows naming her, conversations a
  `customer_id` slot ties to her, conversations whose text mentions her email, phone or
  order numbers (those she had before verifying), and audit details that mention them;
- knowledge drafts ("Draft an entry") written from her words (file name or body);
- every running process's cached copies: an invalidation on the broker's
  FORGOTTEN_TOPIC (Redis across processes) that each ConversationLog listens to, and a
  `forgotten` message on each conversation's topic that closes its open widget sockets.
- the files she sent (attachments of her conversations), from disk: after the store's
  transaction, so a crash in between leaves files no conversation names, which retention
  removes by age.
Retention publishes the same invalidation for the conversations it blanked, and deletes
files older than its cutoff. Export lists her files (`attachments`: what, where, and the
admin route that serves each); `export_files` hands over their bytes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.core.attachments import Attachment
from bot.core.privacy import mentions, retention_cutoff
from bot.ports import (
    FORGOTTEN_TOPIC,
    AttachmentStore,
    Broker,
    Erasure,
    PrivacyStore,
    conversation_topic,
)

logger = logging.getLogger(__name__)

FORGOTTEN = "forgotten"  # type of the message on a conversation's topic


def remove_drafts(kb_dir: Path, terms: Sequence[str]) -> list[str]:
    """Delete knowledge/<lang>/draft-*.md whose name or body mentions one of `terms`;
    returns their paths relative to `kb_dir`."""
    removed: list[str] = []
    if not terms or not kb_dir.is_dir():
        return removed
    for path in sorted(kb_dir.glob("*/draft-*.md")):
        try:
            body = path.read_text(encoding="utf-8")
        except OSError:
            continue
        if mentions(path.name, terms) or mentions(body, terms):
            path.unlink(missing_ok=True)
            removed.append(str(path.relative_to(kb_dir)))
    return removed


class PrivacyService:
    def __init__(
        self,
        store: PrivacyStore,
        broker: Broker,
        kb_dir: Path | None = None,
        attachments: AttachmentStore | None = None,
    ) -> None:
        self.store = store
        self.broker = broker
        self.kb_dir = kb_dir
        self.attachments = attachments

    async def export(self, customer_id: str, *, actor: str, now: float) -> dict[str, Any]:
        document = await self.store.export_customer(customer_id, actor=actor, now=now)
        ids = {str(c["id"]) for c in document["conversations"]}
        document["attachments"] = [
            {**a.public(), "conversation_id": a.conversation_id, "created_at": a.created_at,
             "file": a.filename, "url": f"/api/attachments/{a.id}"}
            for a in await self._files(lambda a: a.conversation_id in ids)
        ]  # fmt: skip
        return document

    async def export_files(self, document: dict[str, Any]) -> list[tuple[str, bytes]]:
        """(file name, bytes) of each file an export lists."""
        found: list[tuple[str, bytes]] = []
        for listed in document.get("attachments", []):
            loaded = await self.attachments.load(listed["id"]) if self.attachments else None
            if loaded is not None:
                found.append((loaded[0].filename, loaded[1]))
        return found

    async def _files(self, wanted: Callable[[Attachment], bool]) -> list[Attachment]:
        if self.attachments is None:
            return []
        return [a for a in await self.attachments.listing() if wanted(a)]

    async def _delete(self, files: Sequence[Attachment]) -> int:
        if self.attachments is None:
            return 0
        for attachment in files:
            await self.attachments.delete(attachment.id)
        return len(files)

    async def forget(self, customer_id: str, *, actor: str, now: float) -> Erasure:
        terms = await self.store.search_terms(customer_id)
        drafts: list[str] = []
        if self.kb_dir is not None:
            drafts = await asyncio.to_thread(remove_drafts, self.kb_dir, terms)
        erasure = await self.store.forget_customer(
            customer_id,
            terms=terms,
            also_redact=[Path(d).stem.lower() for d in drafts],
            actor=actor,
            now=now,
            extra={"drafts": len(drafts)},
        )
        erased = set(erasure.conversations)
        files = await self._delete(await self._files(lambda a: a.conversation_id in erased))
        await self.invalidate(erasure.conversations, close=True)
        return Erasure({**erasure.counts, "attachments": files}, erasure.conversations)

    async def retention(self, days: int, *, actor: str, now: float) -> Erasure:
        erasure = await self.store.apply_retention(days, actor=actor, now=now)
        cutoff = retention_cutoff(now, days)
        files = await self._delete(await self._files(lambda a: a.created_at < cutoff))
        await self.invalidate(erasure.conversations, close=False)
        return Erasure({**erasure.counts, "attachments": files}, erasure.conversations)

    async def warehouse_exports(self, before: float) -> list[tuple[str, float]]:
        return await self.store.warehouse_exports(before)

    async def invalidate(self, conversations: Sequence[str], *, close: bool) -> None:
        """Tell every process to drop its cached copies (and, after forget, close sockets)."""
        if not conversations:
            return
        # `erased`: forget (agents' consoles drop them), not retention (text blanked only)
        await self.broker.publish(
            FORGOTTEN_TOPIC, {"conversations": list(conversations), "erased": close}
        )
        if close:
            for conversation_id in conversations:
                await self.broker.publish(conversation_topic(conversation_id), {"type": FORGOTTEN})
