"""The agent console: its page (/console) and its live WebSocket (/api/agent/ws).

Client -> server frames:
    {"type": "auth", "token"}                  first, within BALCAO_AGENT_AUTH_SECONDS
    {"type": "watch", "handoff_id"}            follow one conversation live
    {"type": "unwatch", "handoff_id"}
    {"type": "typing", "handoff_id", "on"}     shown to the customer
Server -> client frames:
    {"type": "ready", "agent"}
    {"type": "queue", "handoffs": [...]}       whenever the queue changes
    {"type": "event", "handoff_id", "seq", "kind", "data", "timestamp"}
    {"type": "typing", "handoff_id", "who": "customer", "on"}
    {"type": "forgotten", "conversations": [...]}   erased by `forget` (CLI, admin API, any
                                               process): the console drops them from every
                                               list and closes the one it shows
    {"type": "error", "code", "message"}

A store (or Redis) failing fails the frame that needed it, with an `unavailable` error
frame; the socket stays open, and its login recheck tries again at the next interval.

Limits: BALCAO_AGENT_SOCKETS_PER_IP sockets per address (429 at the upgrade); a socket
that has not authenticated within BALCAO_AGENT_AUTH_SECONDS is closed (4408). The login
is checked again on every frame, every BALCAO_AGENT_RECHECK_SECONDS, and at once when
the agent logs out anywhere: a logged-out, expired, disabled or removed agent's socket
is closed (4401) and streams nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import weakref
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from bot.core import events as ev
from bot.core.agents import Agent
from bot.errors import BalcaoError, InputError, StorageError
from bot.ports import FORGOTTEN_TOPIC, QUEUE_TOPIC, agent_topic, conversation_topic
from channels.auth import agent_for_token
from channels.keys import BROKER, DESK, LIMITS, SETTINGS
from channels.parsing import parse_row_id
from channels.wire.console import ClientFrame, parse_frame

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()
STATIC = Path(__file__).parent / "static"
SOCKETS: web.AppKey[weakref.WeakSet[web.WebSocketResponse]] = web.AppKey("console_sockets")
SHOWN_KINDS = (ev.USER, ev.BOT, ev.AGENT, ev.NOTE, ev.HANDOFF)
CLOSE_UNAUTHORIZED = 4401  # no valid login: never had one, logged out, expired, disabled
CLOSE_AUTH_TIMEOUT = 4408  # no auth frame in time


@routes.get("/console")
async def console_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "console.html")


@routes.get("/api/agent/ws")
async def agent_socket(request: web.Request) -> web.StreamResponse:
    limits = request.app[LIMITS]
    refusal = limits.origin_refusal(request) or limits.open_agent_socket(request)
    if refusal is not None:
        return refusal
    try:
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=request.app[SETTINGS].max_body_bytes)
        await ws.prepare(request)
        request.app[SOCKETS].add(ws)
        session = _AgentSession(request.app, ws)
        try:
            await session.serve()
        finally:
            await session.stop()
    finally:
        limits.close_agent_socket(request)
    return ws


class _AgentSession:
    def __init__(self, app: web.Application, ws: web.WebSocketResponse) -> None:
        self.app = app
        self.ws = ws
        self.agent: Agent | None = None
        self.token = ""
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.closing: asyncio.Task[bool] | None = None
        self.authenticated = asyncio.Event()

    async def send(self, frame: dict[str, Any]) -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionResetError):
                await self.ws.send_str(json.dumps(frame, ensure_ascii=False))

    async def error(self, code: str, message: str) -> None:
        await self.send({"type": "error", "code": code, "message": message})

    async def close(self, code: int, reason: str) -> None:
        """Stop relaying and close the socket. The closing handshake runs in a task of its
        own, so that the handler's clean-up (which cancels this session's tasks) waits for
        it instead of cutting it short."""
        current = asyncio.current_task()
        for task in list(self.tasks.values()):  # nothing more is relayed from now on
            if task is not current:
                task.cancel()
        if self.closing is None:
            self.closing = asyncio.create_task(self.ws.close(code=code, message=reason.encode()))
        await asyncio.shield(self.closing)

    async def guard(self) -> None:
        """Close the socket if it does not authenticate in time, then recheck its login."""
        settings = self.app[SETTINGS]
        try:
            await asyncio.wait_for(self.authenticated.wait(), settings.agent_auth_seconds)
        except TimeoutError:
            await self.error("auth_timeout", "send the auth frame first")
            await self.close(CLOSE_AUTH_TIMEOUT, "authentication timeout")
            return
        while True:
            await asyncio.sleep(settings.agent_recheck_seconds)
            if not await self._recheck_quietly():
                return

    async def recheck(self) -> bool:
        """Is the login still valid? If not, say so and close the socket."""
        agent = await agent_for_token(self.app, self.token)
        if agent is None:
            await self.error("session_ended", "logged out, expired or disabled: log in again")
            await self.close(CLOSE_UNAUTHORIZED, "session ended")
            return False
        self.agent = agent
        return True

    async def serve(self) -> None:
        guard = asyncio.create_task(self.guard())
        try:
            await self.read_frames()
        finally:
            if self.closing is not None:  # the guard may be closing the socket: let it finish
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(self.closing)
            guard.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await guard

    async def read_frames(self) -> None:
        async for msg in self.ws:
            if msg.type != WSMsgType.TEXT:
                await self.error("binary_not_supported", "send JSON text frames")
                continue
            try:
                frame = json.loads(msg.data)
                if not isinstance(frame, dict):
                    raise ValueError
            except ValueError:
                await self.error("invalid_json", "the frame must be a JSON object")
                continue
            try:
                checked = parse_frame(frame)  # channels/wire/console.py
            except InputError as exc:
                if frame.get("type") == "auth":  # a token that is not text is no token
                    await self.refuse()
                else:
                    await self.error(exc.code, exc.message)
                continue
            try:
                await self.on_frame(checked)
            except StorageError:  # this frame fails, the socket stays (#18)
                logger.warning("a console frame failed: the store is unavailable", exc_info=True)
                await self.error("unavailable", "the service is briefly unavailable; try again")
            except BalcaoError as exc:
                await self.error(getattr(exc, "code", "refused"), exc.message)

    async def on_frame(self, frame: ClientFrame) -> None:
        kind = frame["type"]
        if frame["type"] == "auth":
            token = frame.get("token") or ""
            agent = await agent_for_token(self.app, token)
            if agent is None:
                await self.refuse()
                return
            self.agent, self.token = agent, token
            self.authenticated.set()
            await self.send({"type": "ready", "agent": agent.public()})
            self.follow("sessions", agent_topic(agent.email), None)
            self.follow("queue", QUEUE_TOPIC, None)
            self.follow("forgotten", FORGOTTEN_TOPIC, None)
            await self.send(await self.app[DESK].queue_frame())  # this console's first view
            return
        if self.agent is None:
            await self.error("unauthorized", "send auth first")
            return
        if not await self.recheck():
            return
        handoff_id = parse_row_id(frame["handoff_id"])
        if handoff_id is None:
            await self.error("invalid_handoff", "'handoff_id' must be a number")
            return
        if kind == "watch":
            handoff = await self.app[DESK].get(handoff_id)
            self.follow(f"h{handoff_id}", conversation_topic(handoff.conversation_id), handoff_id)
        elif kind == "unwatch":
            task = self.tasks.pop(f"h{handoff_id}", None)
            if task is not None:
                task.cancel()
        elif frame["type"] == "typing":
            handoff = await self.app[DESK].get(handoff_id)
            if handoff.agent == self.agent.email:
                await self.app[BROKER].publish(
                    conversation_topic(handoff.conversation_id),
                    {"type": "typing", "who": "agent", "on": frame["on"]},
                )

    async def refuse(self) -> None:
        """No valid login in the auth frame: say so and close the socket."""
        await self.error("unauthorized", "invalid or expired token")
        await self.close(CLOSE_UNAUTHORIZED, "unauthorized")

    def follow(self, key: str, topic: str, handoff_id: int | None) -> None:
        if key not in self.tasks:
            self.tasks[key] = asyncio.create_task(self.relay(topic, handoff_id))

    async def relay(self, topic: str, handoff_id: int | None) -> None:
        async for update in self.app[BROKER].subscribe(topic):
            kind = update.get("type")
            if topic == FORGOTTEN_TOPIC:
                if update.get("erased") and isinstance(update.get("conversations"), list):
                    conversations = [str(c) for c in update["conversations"]]
                    await self.send({"type": "forgotten", "conversations": conversations})
            elif kind == "sessions_changed":
                # recheck in its own task: closing the socket cancels this relay
                self.tasks["recheck"] = asyncio.create_task(self._recheck_in_background())
            elif kind == "queue" and handoff_id is None:
                await self.send(update)
            elif kind == "events" and handoff_id is not None:
                for item in update["events"]:
                    if item["kind"] in SHOWN_KINDS:
                        await self.send({"type": "event", "handoff_id": handoff_id, **item})
            elif kind == "typing" and update.get("who") == "customer" and handoff_id is not None:
                await self.send(
                    {
                        "type": "typing",
                        "handoff_id": handoff_id,
                        "who": "customer",
                        "on": update.get("on", False),
                        "at": time.time(),
                    }
                )

    async def _recheck_in_background(self) -> None:
        await self._recheck_quietly()

    async def _recheck_quietly(self) -> bool:
        """`recheck`, where the store failing keeps the socket: False only once it closed."""
        try:
            return await self.recheck()
        except StorageError:
            logger.warning("could not recheck an agent's login: the store is unavailable")
            return True

    async def stop(self) -> None:
        if self.closing is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self.closing)
        for task in list(self.tasks.values()):
            task.cancel()
        for task in list(self.tasks.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def close_sockets(app: web.Application) -> None:
    sockets: weakref.WeakSet[web.WebSocketResponse] = app[SOCKETS]
    for ws in list(sockets):
        await ws.close(code=1001, message=b"server shutdown")
