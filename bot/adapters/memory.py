"""In-memory adapters: fakes for unit tests that honour the same protocols."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.core.events import LANGUAGE, Event
from bot.ports import ConversationInfo


class MemoryConversationStore:
    def __init__(self) -> None:
        self._events: dict[str, list[Event]] = {}
        self._info: dict[str, ConversationInfo] = {}

    async def append(
        self, conversation_id: str, events: Sequence[Event], *, sender: str, channel: str
    ) -> list[Event]:
        if not events:
            return []
        log = self._events.setdefault(conversation_id, [])
        stored = [e.with_seq(len(log) + i) for i, e in enumerate(events, start=1)]
        log.extend(stored)
        info = self._info.get(conversation_id) or ConversationInfo(
            conversation_id, sender, channel, stored[0].timestamp, stored[0].timestamp
        )
        language = next((e.data["language"] for e in reversed(stored) if e.kind == LANGUAGE), None)
        self._info[conversation_id] = replace(
            info, updated_at=stored[-1].timestamp, language=language or info.language
        )
        return stored

    async def load(self, conversation_id: str) -> list[Event]:
        return list(self._events.get(conversation_id, ()))

    async def info(self, conversation_id: str) -> ConversationInfo | None:
        return self._info.get(conversation_id)

    async def list_conversations(
        self, *, limit: int = 50, offset: int = 0
    ) -> list[ConversationInfo]:
        ordered = sorted(self._info.values(), key=lambda i: -i.updated_at)
        return ordered[offset : offset + limit]
