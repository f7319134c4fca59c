"""The agent's inbox: how a conversation is titled, found again, and its customer's history.

A conversation is titled by its customer's name once they are verified, else by its
language and the first words the customer wrote ("PT · a minha encomenda chegou…"): never
by a raw session id. Titles are cached per handoff: a verified name for good, a guess for
GUESS_SECONDS, after which a verified name replaces it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.core import events as ev
from bot.core.conversation import ConversationState
from bot.core.handoff import Handoff
from bot.ports import ConversationWriter, CustomerStore, HandoffStore

TITLE_WORDS = 6
SEARCH_LIMIT = 500  # most recent handoffs a search looks through
GUESS_SECONDS = 30.0  # a guessed title is kept this long; a verified name replaces it after
MAX_CACHED = 10_000  # titles kept at most; past this the cache starts again
ALL_STATUSES = ("waiting", "assigned", "resolved")


def first_words(text: str, words: int = TITLE_WORDS) -> str:
    parts = text.split()
    head = " ".join(parts[:words])
    return head + ("…" if len(parts) > words else "")


def title_of(state: ConversationState, language: str, name: str | None) -> str:
    """Pure: the customer's name when verified, else language + first words."""
    if name and state.slots.get("verified"):
        return name
    first = next((e.data.get("text", "") for e in state.events if e.kind == ev.USER), "")
    words = first_words(str(first)) if first else "(no message yet)"
    return f"{language.upper()} · {words}"


class Inbox:
    def __init__(
        self,
        handoffs: HandoffStore,
        conversations: ConversationWriter,
        customers: CustomerStore,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.handoffs = handoffs
        self.conversations = conversations
        self.customers = customers
        self.clock = clock
        self._titles: dict[int, str] = {}  # only verified names are final
        # guesses (language + first words) for GUESS_SECONDS: a queue frame titles up to 200
        # conversations, each a read of its state, and frames follow every queue change
        self._guesses: dict[int, tuple[float, str]] = {}

    async def title(self, handoff: Handoff) -> str:
        cached = self._titles.get(handoff.id)
        if cached is not None:
            return cached
        now = self.clock()
        guess = self._guesses.get(handoff.id)
        if guess is not None and now - guess[0] < GUESS_SECONDS:
            return guess[1]
        state = await self.conversations.state(handoff.conversation_id)
        name = None
        customer_id = state.slots.get("customer_id")
        if customer_id and state.slots.get("verified"):
            customer = await self.customers.customer(str(customer_id))
            name = customer.name if customer else None
        title = title_of(state, handoff.language, name)
        if len(self._titles) + len(self._guesses) > MAX_CACHED:
            self._titles.clear()
            self._guesses.clear()
        if name:
            self._titles[handoff.id] = title
            self._guesses.pop(handoff.id, None)
        else:
            self._guesses[handoff.id] = (now, title)
        return title

    async def summaries(self, handoffs: Iterable[Handoff], now: float) -> list[dict[str, Any]]:
        return [{**h.summary(now), "title": await self.title(h)} for h in handoffs]

    async def earlier(self, handoff: Handoff, now: float) -> list[dict[str, Any]]:
        """The same customer's other conversations, newest first (verified customers only,
        or the same browser session)."""
        everything = await self.handoffs.list(ALL_STATUSES)
        same = [
            h
            for h in everything
            if h.id != handoff.id
            and (
                (handoff.customer_id and h.customer_id == handoff.customer_id)
                or h.conversation_id == handoff.conversation_id
            )
        ]
        same.sort(key=lambda h: h.created_at, reverse=True)
        return await self.summaries(same[:20], now)

    async def search(self, query: str, now: float, limit: int = 30) -> list[dict[str, Any]]:
        """Conversations whose title, reason or words contain every word of `query`."""
        words = [w.casefold() for w in query.split() if w]
        if not words:
            return []
        everything = await self.handoffs.list(ALL_STATUSES)
        everything.sort(key=lambda h: h.created_at, reverse=True)
        found: list[dict[str, Any]] = []
        for handoff in everything[:SEARCH_LIMIT]:
            state = await self.conversations.state(handoff.conversation_id)
            title = await self.title(handoff)
            texts = [title, handoff.reason.replace("_", " "), handoff.contact_email or ""]
            texts += [
                str(e.data.get("text", ""))
                for e in state.events
                if e.kind in (ev.USER, ev.BOT, ev.AGENT, ev.NOTE)
            ]
            haystack = "\n".join(texts).casefold()
            if all(w in haystack for w in words):
                snippet = _snippet(texts, words[0])
                found.append({**handoff.summary(now), "title": title, "snippet": snippet})
                if len(found) >= limit:
                    break
        return found


def _snippet(texts: list[str], word: str) -> str:
    for text in texts:
        at = text.casefold().find(word)
        if at >= 0:
            start = max(0, at - 40)
            return ("…" if start else "") + text[start : at + 80]
    return ""
