"""Limits at the edge: who may open a WebSocket, and how fast anyone may send.

- Origin: a browser's WebSocket upgrade must come from the server's own origin or
  one of BALCAO_ALLOWED_ORIGINS (`*` allows any); clients that send no Origin
  (not browsers) are let through.
- Messages, ratings (widget `feedback` frames, POST /api/feedback) and typing notices per
  minute per conversation and per client address (sliding windows, through the
  RateLimiter port so several processes share the counts on Redis).
- The client address is the peer's, or the one a trusted proxy forwards
  (BALCAO_TRUSTED_PROXIES, channels/proxies.py).
- WebSockets per client address (counted in this process), the customers' and the agent
  console's apart: a flood of one kind cannot take the other's place.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter

from aiohttp import web

from bot.config import Settings
from bot.core.metrics import Metrics
from bot.ports import RateLimiter
from channels.errors import json_error
from channels.proxies import client_address, parse_networks

logger = logging.getLogger(__name__)

WINDOW_S = 60.0
HOUR_S = 3600.0
# refusals held at once per address; past these a refusal is answered at once, so holding
# them never costs more than this many waiting coroutines per address
MAX_HELD = 20


class Limits:
    def __init__(self, settings: Settings, limiter: RateLimiter, metrics: Metrics) -> None:
        self.settings = settings
        self.limiter = limiter
        self.metrics = metrics
        self.origins = {
            o.strip().rstrip("/").lower() for o in settings.allowed_origins.split(",") if o.strip()
        }
        self.proxies = parse_networks(settings.trusted_proxies)
        self._connections: Counter[str] = Counter()
        self._agent_sockets: Counter[str] = Counter()
        self._login_attempts: dict[str, dict[str, float]] = {}  # address -> attempt -> time
        self._held: Counter[str] = Counter()  # refusals being held, per address

    def address(self, request: web.Request) -> str | None:
        """The client's address: the peer, or whom a trusted proxy says it forwards."""
        return client_address(request.remote, request.headers, self.proxies)

    def origin_refusal(self, request: web.Request) -> web.Response | None:
        """A 403 for a WebSocket upgrade from a foreign origin, else None."""
        origin = request.headers.get("Origin")
        if origin is None or "*" in self.origins:
            return None
        origin = origin.rstrip("/").lower()
        own = f"{request.scheme}://{request.host}".lower()
        if origin == own or origin in self.origins:
            return None
        self.metrics.rejected.inc(limit="origin")
        logger.warning("refused a WebSocket from origin %s", origin[:100])
        return json_error(403, "origin_not_allowed", "this origin may not open a chat here")

    def open_connection(self, request: web.Request) -> web.Response | None:
        """Count a new socket for its address; a 429 if the address has too many."""
        address = self.address(request) or "?"
        if self._connections[address] >= self.settings.max_connections_per_ip:
            self.metrics.rejected.inc(limit="connections")
            return json_error(429, "too_many_connections", "too many open chats from this address")
        self._connections[address] += 1
        return None

    def close_connection(self, request: web.Request) -> None:
        address = self.address(request) or "?"
        self._connections[address] -= 1
        if self._connections[address] <= 0:
            del self._connections[address]

    def open_agent_socket(self, request: web.Request) -> web.Response | None:
        """Count a new agent console socket; a 429 if the address holds too many."""
        address = self.address(request) or "?"
        if self._agent_sockets[address] >= self.settings.agent_sockets_per_ip:
            self.metrics.rejected.inc(limit="agent_sockets")
            logger.warning("refused an agent socket: too many from one address")
            return json_error(
                429, "too_many_connections", "too many agent connections from this address"
            )
        self._agent_sockets[address] += 1
        return None

    def close_agent_socket(self, request: web.Request) -> None:
        address = self.address(request) or "?"
        self._agent_sockets[address] -= 1
        if self._agent_sockets[address] <= 0:
            del self._agent_sockets[address]

    async def held_refusal(self, request: web.Request, response: web.Response) -> web.Response:
        """Answer a rate-limited request after BALCAO_REFUSAL_DELAY_MS.

        A client refused for sending too fast is usually one that sends again as soon as it
        is answered: issue #15's feedback flood and login storm kept the event loop busy
        with refusals, and every customer's turn waited behind them at each of its awaits.
        Held a moment (a sleeping coroutine costs no CPU), it sends a few a second instead of
        hundreds, as nginx's limit_req delays the excess."""
        delay = self.settings.refusal_delay_ms / 1000
        address = self.address(request) or "?"
        if delay <= 0 or self._held[address] >= MAX_HELD:
            return response
        self._held[address] += 1
        try:
            await asyncio.sleep(delay)
        finally:
            self._held[address] -= 1
            if self._held[address] <= 0:
                del self._held[address]
        return response

    # -- failed logins per address, as this process reserved them ------------------------

    def login_address_full(self, address: str | None, now: float) -> bool:
        """This process alone already holds the address's whole allowance of login attempts
        in the window: the store (which also counts other processes') would refuse too, so
        a storm is refused here without a write that every other request waits behind."""
        held = self._login_attempts.get(address or "?")
        if not held:
            return False
        since = now - self.settings.login_window_minutes * 60
        for attempt in [a for a, at in held.items() if at <= since]:
            del held[attempt]
        return len(held) >= self.settings.login_attempts_per_address

    def login_reserved(self, address: str | None, attempt: str, now: float) -> None:
        self._login_attempts.setdefault(address or "?", {})[attempt] = now

    def login_released(self, address: str | None, attempt: str) -> None:
        held = self._login_attempts.get(address or "?", {})
        held.pop(attempt, None)
        if not held:
            self._login_attempts.pop(address or "?", None)

    @property
    def open_sockets(self) -> int:
        return sum(self._connections.values())

    async def allow_message(self, conversation: str, address: str | None) -> bool:
        """Count a message; False (and counted as refused) when over a limit."""
        settings = self.settings
        return await self._allow(
            "messages", "msg", conversation, settings.messages_per_minute,
            address, settings.ip_messages_per_minute,
        )  # fmt: skip

    async def allow_feedback(self, conversation: str, address: str | None) -> bool:
        """Count a rating (of an answer or of the conversation); False when over a limit."""
        settings = self.settings
        return await self._allow(
            "feedback", "fb", conversation, settings.feedback_per_minute,
            address, settings.ip_feedback_per_minute,
        )  # fmt: skip

    async def allow_community_post(self, person: str, address: str | None) -> bool:
        """Count a community question, answer, vote or report of a person."""
        settings = self.settings
        return await self._allow(
            "community", "com", person, settings.community_posts_per_minute,
            address, settings.ip_community_posts_per_minute,
        )  # fmt: skip

    async def allow_sign_in_link(self, email: str, address: str | None) -> bool:
        """Count a request for an emailed sign-in link, per address and per email (keyed by
        its digest: no address is written to the limiter's store); False when over a limit."""
        settings = self.settings
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        allowed = await self.limiter.hit_all(
            (
                (f"link:ip:{address or '?'}", settings.ip_sign_in_links_per_hour),
                (f"link:mail:{digest}", settings.sign_in_links_per_hour),
            ),
            HOUR_S,
        )
        if not allowed:
            self.metrics.rejected.inc(limit="sign_in_links")
        return allowed

    async def allow_typing(self, conversation: str, address: str | None) -> bool:
        """Count a customer's typing notice; the address shares the messages' allowance."""
        settings = self.settings
        return await self._allow(
            "typing", "typ", conversation, settings.typing_per_minute,
            address, settings.ip_messages_per_minute,
        )  # fmt: skip

    async def allow_search(self, conversation: str, address: str | None) -> bool:
        """Count a help search typed in the widget's home screen; it has typing's allowance."""
        settings = self.settings
        return await self._allow(
            "search", "srch", conversation, settings.typing_per_minute,
            address, settings.ip_messages_per_minute,
        )  # fmt: skip

    async def _allow(
        self,
        limit: str,
        prefix: str,
        conversation: str,
        per_conversation: int,
        address: str | None,
        per_address: int,
    ) -> bool:
        # the address first: a flood over many conversations stops at its first check
        allowed = await self.limiter.hit_all(
            (
                (f"{prefix}:ip:{address or '?'}", per_address),
                (f"{prefix}:conv:{conversation}", per_conversation),
            ),
            WINDOW_S,
        )
        if not allowed:
            self.metrics.rejected.inc(limit=limit)
        return allowed
