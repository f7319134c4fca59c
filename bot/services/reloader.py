"""KnowledgeReloader: keeps the current Brain, rebuilding it when the knowledge files change.

The running server answers with the old brain while a new one is built on a
worker thread; a broken edit is logged and the last good brain stays.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from bot.core.dialogue import Brain
from bot.errors import KnowledgeError
from bot.knowledge.entries import KnowledgeBase, fingerprint, load_knowledge
from bot.ports import MatcherFactory

logger = logging.getLogger(__name__)


def build_brain(directory: Path, matcher_factory: MatcherFactory) -> Brain:
    kb = load_knowledge(directory)
    return Brain(kb, matcher_factory(kb))


class KnowledgeReloader:
    def __init__(
        self,
        directory: Path,
        matcher_factory: MatcherFactory,
        on_change: Callable[[Brain], None] | None = None,
    ) -> None:
        self.directory = directory
        self.matcher_factory = matcher_factory
        self.brain = build_brain(directory, matcher_factory)
        self.last_error: KnowledgeError | None = None
        self.on_change = on_change
        self._seen = self.brain.kb.version
        self._checking = asyncio.Lock()

    def current(self) -> Brain:
        return self.brain

    @property
    def kb(self) -> KnowledgeBase:
        return self.brain.kb

    async def check(self) -> bool:
        """Reload if the files changed. True if this call put a new brain in place.

        Checks take turns: one called while another builds (an admin's accept beside the
        background poll) waits for that build, so that when it returns the brain in place
        is as new as the files it was called after."""
        async with self._checking:
            return await self._check()

    async def _check(self) -> bool:
        version = await asyncio.to_thread(fingerprint, self.directory)
        if version == self._seen:
            return False
        self._seen = version
        try:
            brain = await asyncio.to_thread(build_brain, self.directory, self.matcher_factory)
        except KnowledgeError as exc:
            self.last_error = exc
            logger.error("knowledge not reloaded, keeping the last good version: %s", exc)
            return False
        except OSError as exc:
            logger.error("knowledge not reloaded, keeping the last good version: %s", exc)
            return False
        self.brain = brain
        self.last_error = None
        logger.info("knowledge reloaded: %d entries", len(brain.kb))
        if self.on_change is not None:
            self.on_change(brain)
        return True

    async def watch(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.check()
