"""PrivacyService: export, erasure and retention, the same for the CLI and the server.

`forget` reaches every copy of a customer's data:
- the store's rows (PrivacyStore.forget_customer): rows naming her, conversations a
  `customer_id` slot ties to her, conversations whose text mentions her email, phone or
  order numbers (those she had before verifying), and audit details that mention them;
- knowledge drafts ("Draft an entry") written from her words (file name or body);
- every running process's cached copies: an invalidation on the broker's
  FORGOTTEN_TOPIC (Redis across processes) that each ConversationLog listens to, and a
  `forgotten` message on each conversation's topic that closes its open widget sockets.
Retention publishes the same invalidation for the conversations it blanked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.core.privacy import mentions
from bot.ports import FORGOTTEN_TOPIC, Broker, Erasure, PrivacyStore, conversation_topic

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
    def __init__(self, store: PrivacyStore, broker: Broker, kb_dir: Path | None = None) -> None:
        self.store = store
        self.broker = broker
        self.kb_dir = kb_dir

    async def export(self, customer_id: str, *, actor: str, now: float) -> dict[str, Any]:
        return await self.store.export_customer(customer_id, actor=actor, now=now)

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
        await self.invalidate(erasure.conversations, close=True)
        return erasure

    async def retention(self, days: int, *, actor: str, now: float) -> Erasure:
        erasure = await self.store.apply_retention(days, actor=actor, now=now)
        await self.invalidate(erasure.conversations, close=False)
        return erasure

    async def warehouse_exports(self, before: float) -> list[tuple[str, float]]:
        return await self.store.warehouse_exports(before)

    async def invalidate(self, conversations: Sequence[str], *, close: bool) -> None:
        """Tell every process to drop its cached copies (and, after forget, close sockets)."""
        if not conversations:
            return
        await self.broker.publish(FORGOTTEN_TOPIC, {"conversations": list(conversations)})
        if close:
            for conversation_id in conversations:
                await self.broker.publish(conversation_topic(conversation_id), {"type": FORGOTTEN})
