"""The website widget's WebSocket: GET /ws.

Client -> server frames (JSON text):
    {"type": "hello", "session_id"?: str, "language"?: str,
     "metadata"?: {"customer_id", "identifier_hash"},     identity vouched for by the host site
     "topic"?: str}                                     an entry id: the help center's "ask
                                                       about this" opened the widget on it
    {"type": "search", "q": str}                       the home screen's help search
    {"type": "message", "id": str, "text": str, "payload"?: str}
    {"type": "typing", "on": bool}                     shown to the agent
    {"type": "feedback", "entry": str, "seq": int, "helpful": bool, "suggestion"?: str}
                                                       rates answer `seq`, once
    {"type": "ping"}
    {"type": "attachment", "id": str} then one binary frame: a PNG/JPEG/WebP/PDF file of at
                                       most BALCAO_ATTACHMENT_MAX_BYTES, acked like a message
    {"type": "attachment_link", "id": str}  a fresh download link for a file of this
                                       conversation (the one in its frame has run out)
Server -> client frames:
    {"type": "welcome", "session_id", "language", "greeting", "history": [message...],
     "team": {"open", "online", "back"},               the header's availability line
     "home": {"topics": [topic...], "topic": topic | null}}   the home screen: the most
                                                       asked topics, and the hello's topic
                                                       if it is a published entry;
                                                       topic = {"id", "question", "url"}
    {"type": "results", "q", "results": [topic...]}    answers search: the help center's
    {"type": "message", "seq", "role": "user"|"bot"|"agent", "text", "buttons"?, "custom"?,
     "id"?, "entry"? (an answer that can be rated), "name"? (the agent's),
     "notice"?: "offline" (replaced by the widget once a person joins), "timestamp",
     "attachment"?: {"id", "type", "size", "url"}}   url: /attachments/<id>?t=<token made
                                                       for that file, short-lived>
    {"type": "attachment_link", "id", "url"}           answers attachment_link
    {"type": "ack", "id", "seq"?, "duplicate": bool}
    {"type": "typing", "on": bool, "who"?: "agent"}     the bot's only when a turn takes
                                                       longer than TYPING_DELAY, and
                                                       not while the server is busy
    {"type": "queue", "position", "wait_s"}            while waiting for a person
    {"type": "error", "code", "message", "id"?}
    {"type": "pong"}
    {"type": "reset", "reason": "forgotten"}           the conversation was erased (`balcao
                                                       customer forget`): the socket then
                                                       closes (4001); drop the stored session
    {"type": "notice", "id", "title", "text"}        a message Balcão sent first (README
                                                       "Reaching out"), or "stop" confirmed;
                                                       to an identified customer's open
                                                       widget as soon as it is sent, once

After a message the sending socket gets its `ack` (with the message's `seq`: the
widget marks the copy it shows as sent) and then the turn's bot frames; the
customer's own message is not echoed back to it, but goes to the conversation's
other tabs. A turn that answers within TYPING_DELAY sends no typing frames.

Session ids are issued by the server (unguessable) and kept by the widget in
localStorage; a reconnecting widget says hello with it and gets its history. A session
the host site vouched for (metadata identity) resumes only under that same identity, and
one verified as a customer never under another: else the hello starts a fresh one. In
the history, messages that carried personal details show as a placeholder unless the
customer they belong to is verified now (BALCAO_VERIFICATION_MINUTES).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from aiohttp import WSMsgType, web

from bot.core.events import AGENT, BOT, USER, Event
from bot.core.texts import say
from bot.errors import InputError, NotFoundError, StorageError
from bot.knowledge import helpcenter
from bot.knowledge.entries import LANGUAGES, Entry
from bot.ports import conversation_topic, customer_topic
from bot.services.notices import LOW_SCORE, NoticeService
from bot.services.privacy import FORGOTTEN
from channels.help import search_entries
from channels.keys import (
    ATTACHMENTS,
    BROKER,
    DESK,
    LIMITS,
    LOOP,
    METRICS,
    NOTICES,
    RELOADER,
    SERVICE,
    SETTINGS,
    TOPICS,
)
from channels.parsing import load_json, parse_identity, parse_message
from channels.wire.widget import (
    AttachmentFrame,
    AttachmentLinkFrame,
    ClientFrame,
    FeedbackFrame,
    HelloFrame,
    MessageFrame,
    SearchFrame,
    parse_frame,
)

logger = logging.getLogger(__name__)

FORGOTTEN_CLOSE = 4001  # close code of a socket whose conversation was erased
routes = web.RouteTableDef()

CHANNEL = "web"
TYPING_DELAY = 0.3  # seconds a turn runs before the widget shows the bot typing
TYPING_EVERY = 2.0  # seconds between "still typing" notices passed on to the agent
HOME_TOPICS = 5  # the most asked topics on the home screen
SEARCH_RESULTS = 5  # the home screen's instant results
SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")
SOCKETS: web.AppKey[weakref.WeakSet[web.WebSocketResponse]] = web.AppKey("widget_sockets")


def conversation_id(session_id: str) -> str:
    return f"web:{session_id}"


def message_frame(event: Event) -> dict[str, Any] | None:
    """The widget frame for a stored event, or None if the widget does not show it."""
    if event.kind not in (USER, BOT, AGENT):
        return None
    data = event.data
    frame: dict[str, Any] = {
        "type": "message",
        "seq": event.seq,
        "role": event.kind,
        "text": data.get("text", ""),
        "timestamp": event.timestamp,
    }
    for key in ("buttons", "custom", "notice", "attachment"):
        if data.get(key):
            frame[key] = data[key]
    if event.kind == BOT and data.get("entry"):
        frame["entry"] = data["entry"]  # an answer the customer can rate
    if event.kind == AGENT:
        frame["name"] = data.get("name", "")
    if event.kind == USER and data.get("message_id"):
        frame["id"] = data["message_id"]
    return frame


def topic_item(entry: Entry) -> dict[str, str]:
    """An entry on the home screen: asked by its id (a button payload), read in the help center."""
    return {
        "id": entry.id,
        "question": entry.question,
        "url": f"/help/{entry.language}/{quote(entry.id)}",
    }


def attachment_url(attachment_id: str, token: str) -> str:
    """The customer's download path of a file (channels/attachments.py serves it)."""
    return f"/attachments/{quote(attachment_id)}?t={token}"


def error_frame(code: str, message: str, message_id: str | None = None) -> dict[str, Any]:
    frame = {"type": "error", "code": code, "message": message}
    if message_id:
        frame["id"] = message_id
    return frame


@routes.get("/ws")
async def widget_socket(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    limits = request.app[LIMITS]
    refusal = limits.origin_refusal(request) or limits.open_connection(request)
    if refusal is not None:
        return refusal
    try:
        largest = max(settings.max_body_bytes, settings.attachment_max_bytes + 1)
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=largest)
        await ws.prepare(request)
        request.app[SOCKETS].add(ws)
        session = _Session(request, ws)
        try:
            await session.serve()
        finally:
            await session.stop()
    finally:
        limits.close_connection(request)
    return ws


class _Session:
    def __init__(self, request: web.Request, ws: web.WebSocketResponse) -> None:
        self.app = request.app
        self.address = request.app[LIMITS].address(request)
        self.ws = ws
        self.session_id: str | None = None
        self.language: str | None = None
        self.page_language: str | None = None
        self.identity: str | None = None
        self.listener: asyncio.Task[None] | None = None
        self.notice_listener: asyncio.Task[None] | None = None
        self.typing_on = False
        self.typing_at = float("-inf")
        self.origin = secrets.token_hex(8)  # this socket, in what the broker fans out
        self.announced: str | None = None  # the client id of the file the next binary frame is

    async def send(self, frame: dict[str, Any]) -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionResetError):
                await self.ws.send_str(json.dumps(frame, ensure_ascii=False))

    async def serve(self) -> None:
        async for msg in self.ws:
            if msg.type == WSMsgType.TEXT:
                await self.on_text(msg.data)
            elif msg.type == WSMsgType.BINARY and self.announced is not None:
                await self.on_file(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await self.send(error_frame("binary_not_supported", "send JSON text frames"))
            elif msg.type == WSMsgType.ERROR:
                logger.info("widget socket closed with %s", self.ws.exception())

    async def on_text(self, raw: str) -> None:
        if len(raw) > self.app[SETTINGS].max_body_bytes:  # the socket takes files; text stays small
            await self.send(error_frame("frame_too_large", "the frame is too large"))
            return
        try:
            frame = load_json(raw, "the frame")
        except InputError as exc:
            await self.send(error_frame(exc.code, exc.message))
            return
        if not isinstance(frame, dict):
            await self.send(error_frame("invalid_json", "the frame must be a JSON object"))
            return
        kind = frame.get("type")
        try:
            checked = parse_frame(frame)  # channels/wire/widget.py
        except InputError as exc:
            message_id = frame.get("id")
            await self.send(
                error_frame(
                    exc.code, exc.message, message_id if isinstance(message_id, str) else None
                )
            )
            return
        try:
            await self.dispatch(checked)
        except StorageError:  # a store or Redis failing: this frame fails, the socket stays
            logger.warning("a %s frame failed: the store is unavailable", kind, exc_info=True)
            message_id = frame.get("id")
            await self.send(
                error_frame(
                    "unavailable",
                    "the service is briefly unavailable; send it again",
                    message_id if isinstance(message_id, str) else None,
                )
            )

    async def dispatch(self, frame: ClientFrame) -> None:
        if frame["type"] == "hello":
            await self.on_hello(frame)
        elif frame["type"] == "message":
            await self.on_message(frame)
        elif frame["type"] == "typing":
            await self.on_typing(frame["on"])
        elif frame["type"] == "feedback":
            await self.on_feedback(frame)
        elif frame["type"] == "ping":
            await self.send({"type": "pong"})
        elif frame["type"] == "attachment":
            await self.on_announce(frame)
        elif frame["type"] == "attachment_link":
            await self.on_attachment_link(frame)
        elif frame["type"] == "search":
            await self.on_search(frame)

    async def on_hello(self, frame: HelloFrame) -> None:
        if self.session_id is not None:
            await self.send(error_frame("already_started", "hello was already sent"))
            return
        service = self.app[SERVICE]
        settings = self.app[SETTINGS]
        metadata = frame.get("metadata") or {}
        try:
            if not isinstance(metadata, dict):
                raise InputError("'metadata' must be an object", code="invalid_metadata")
            self.identity = parse_identity(metadata, settings.secret)
        except InputError as exc:
            await self.send(error_frame(exc.code, exc.message))  # carries on as a stranger
        asked = frame.get("session_id")
        session_id = None
        if (
            isinstance(asked, str)
            and SESSION_PATTERN.match(asked)
            and await service.store.info(conversation_id(asked)) is not None
            and not await service.belongs_elsewhere(conversation_id(asked), self.identity)
        ):
            session_id = asked  # else a fresh conversation: that one is someone else's
        self.session_id = session_id or secrets.token_urlsafe(24)
        state = await service.state(conversation_id(self.session_id))
        language = frame.get("language")
        if state.language is None and language in LANGUAGES:
            self.page_language = language
        self.language = state.language or self.page_language or settings.default_language
        history = await service.history(
            conversation_id(self.session_id), settings.history_limit, identity=self.identity
        )
        await self.send(
            {
                "type": "welcome",
                "session_id": self.session_id,
                "resumed": session_id is not None,
                "language": self.language,
                "greeting": say("welcome", self.language),
                "team": await self.app[DESK].availability(self.language),
                "history": [f for f in map(self.frame, history) if f is not None],
                "home": await self.home(frame.get("topic")),
            }
        )
        self.listener = asyncio.create_task(self.listen(conversation_id(self.session_id)))
        notices = self.app.get(NOTICES)
        if notices is not None and self.identity is not None:
            self.notice_listener = asyncio.create_task(self.listen_notices(notices, self.identity))
            # its first step subscribes: listening before the unshown are taken, so that a
            # notice sent in between is not left for the next visit
            await asyncio.sleep(0)
        await self.show_notices()

    async def on_notice_words(self, notices: NoticeService, text: str) -> bool:
        """A satisfaction score, a watch ("tell me when it is back") or "stop" from an
        identified customer: answered here (README "Reaching out"), not by the bot."""
        if await self.on_score(notices, text):
            return True
        key = None
        if await notices.watch_from_chat(self.identity, text):
            key = "watch_saved"
        elif await notices.stop_from_chat(self.identity, text):
            key = "notices_stopped"
        if key is None:
            return False
        await self.send(
            {"type": "notice", "id": None, "title": "", "text": say(key, self.language)}
        )
        return True

    async def on_score(self, notices: NoticeService, text: str) -> bool:
        """A 1-5 answer to a satisfaction check; a low one goes to a person, served first."""
        assert self.session_id is not None
        score = await notices.satisfaction(self.identity, text)
        if score is None:
            return False
        low = score <= LOW_SCORE
        key = "satisfaction_sorry" if low else "satisfaction_thanks"
        await self.send(
            {"type": "notice", "id": None, "title": "", "text": say(key, self.language)}
        )
        if low:
            conversation = conversation_id(self.session_id)
            state = await self.app[SERVICE].state(conversation)
            await self.app[DESK].open(
                conversation, state, "at_risk", sender=self.session_id, channel=CHANNEL
            )
        return True

    async def show_notices(self) -> None:
        """Notices sent to this identified customer that no widget has shown yet."""
        notices = self.app.get(NOTICES)
        if notices is None or self.identity is None:
            return
        for notice_id, title, text in await notices.take_unshown(self.identity):
            await self.send({"type": "notice", "id": notice_id, "title": title, "text": text})

    async def listen_notices(self, notices: NoticeService, customer_id: str) -> None:
        """Notices sent while this widget is open: shown at once, by the one socket of the
        customer's that takes each (NoticeService.take_unshown), in whatever process."""
        async for update in self.app[BROKER].subscribe(customer_topic(customer_id)):
            notice_id = update.get("id")
            if update.get("type") != "notice" or not isinstance(notice_id, int):
                continue
            for shown_id, title, text in await notices.take_unshown(customer_id, notice_id):
                await self.send({"type": "notice", "id": shown_id, "title": title, "text": text})

    async def listen(self, conversation: str) -> None:
        topic = conversation_topic(conversation)
        async for update in self.app[BROKER].subscribe(topic, origin=self.origin):
            kind = update.get("type")
            if kind == FORGOTTEN:  # the customer was erased: nothing of hers may stay on screen
                await self.send({"type": "reset", "reason": "forgotten"})
                self.session_id = None
                # shielded: closing ends `serve`, whose cleanup cancels this listener
                await asyncio.shield(self.ws.close(code=FORGOTTEN_CLOSE, message=b"forgotten"))
                return
            if kind == "queue":
                await self.send(
                    {"type": "queue", "position": update["position"], "wait_s": update["wait_s"]}
                )
            elif kind == "typing" and update.get("who") == "agent":
                await self.send({"type": "typing", "on": update.get("on", False), "who": "agent"})
            for item in update.get("events", ()):
                event = Event(item["kind"], item["data"], item["timestamp"], item["seq"])
                frame = self.frame(event)
                if frame is not None:
                    await self.send(frame)

    async def home(self, topic: object) -> dict[str, Any]:
        """The home screen: the most asked topics (filled from the help center's entries
        while there are too few conversations), and the asked `topic` if it is published."""
        assert self.language is not None
        kb = self.app[RELOADER].current().kb
        asked = await self.app[TOPICS].entry_ids(self.language)
        entries = [e for e in (helpcenter.article(kb, self.language, i) for i in asked) if e]
        shown = {e.id for e in entries}
        entries += [e for e in helpcenter.published(kb, self.language) if e.id not in shown]
        found = (
            helpcenter.article(kb, self.language, topic)
            if isinstance(topic, str) and len(topic) <= 128
            else None
        )
        return {
            "topics": [topic_item(e) for e in entries[:HOME_TOPICS]],
            "topic": topic_item(found) if found is not None else None,
        }

    async def on_search(self, frame: SearchFrame) -> None:
        query = frame["q"]  # text of MAX_QUERY at most (channels/wire/widget.py)
        if self.session_id is None or self.language is None:
            await self.send(error_frame("hello_required", "send hello first"))
        elif not await self.app[LIMITS].allow_search(
            conversation_id(self.session_id), self.address
        ):
            await self.send(error_frame("rate_limited", "too many searches; wait a minute"))
        else:
            found = await search_entries(self.app[RELOADER].current(), self.language, query)
            results = [topic_item(e) for e in found[:SEARCH_RESULTS]]
            await self.send({"type": "results", "q": query, "results": results})

    def frame(self, event: Event) -> dict[str, Any] | None:
        """`message_frame`, with a file's download link made for this customer."""
        frame = message_frame(event)
        attachment = frame.get("attachment") if frame is not None else None
        if frame is not None and isinstance(attachment, dict) and "id" in attachment:
            token = self.app[ATTACHMENTS].token(str(attachment["id"]))
            frame["attachment"] = {**attachment, "url": attachment_url(attachment["id"], token)}
        return frame

    async def on_attachment_link(self, frame: AttachmentLinkFrame) -> None:
        file_id = frame["id"]  # 1-64 characters (channels/wire/widget.py)
        if self.session_id is None:
            await self.send(error_frame("hello_required", "send hello first"))
            return
        try:
            token = await self.app[ATTACHMENTS].token_in(conversation_id(self.session_id), file_id)
        except NotFoundError as exc:
            await self.send(error_frame(exc.code, exc.message))
            return
        await self.send(
            {"type": "attachment_link", "id": file_id, "url": attachment_url(file_id, token)}
        )

    async def on_announce(self, frame: AttachmentFrame) -> None:
        """The next binary frame is a file: `{"type": "attachment", "id"}` says so first."""
        file_id = frame.get("id")
        if self.session_id is None:
            await self.send(error_frame("hello_required", "send hello first"))
        elif not isinstance(file_id, str) or not 0 < len(file_id) <= 64:
            await self.send(error_frame("invalid_id", "'id' must be a short string"))
        else:
            self.announced = file_id

    async def on_file(self, data: bytes) -> None:
        file_id, self.announced = self.announced, None
        assert self.session_id is not None and file_id is not None
        conversation = conversation_id(self.session_id)
        if not await self.app[LIMITS].allow_message(conversation, self.address):
            await self.send(
                error_frame("rate_limited", "too many messages; wait a minute", file_id)
            )
            return
        try:
            event = await self.app[ATTACHMENTS].receive(
                conversation_id(self.session_id),
                data,
                sender=self.session_id,
                channel=CHANNEL,
            )
        except InputError as exc:
            await self.send(error_frame(exc.code, exc.message, file_id))
            return
        await self.send({"type": "ack", "id": file_id, "seq": event.seq, "duplicate": False})

    async def on_typing(self, on: bool) -> None:
        """Pass the customer's typing to the agent: never stored, only a change or a
        reminder every TYPING_EVERY seconds, within the conversation's allowance."""
        if self.session_id is None:
            return
        now = asyncio.get_running_loop().time()
        if on == self.typing_on and now - self.typing_at < TYPING_EVERY:
            return
        conversation = conversation_id(self.session_id)
        if not await self.app[LIMITS].allow_typing(conversation, self.address):
            return  # advisory: dropped without an answer
        self.typing_on, self.typing_at = on, now
        await self.app[BROKER].publish(
            conversation_topic(conversation), {"type": "typing", "who": "customer", "on": on}
        )

    async def on_feedback(self, frame: FeedbackFrame) -> None:
        entry, helpful, seq = frame.get("entry"), frame.get("helpful"), frame.get("seq")
        suggestion = frame.get("suggestion")
        if self.session_id is None:
            await self.send(error_frame("hello_required", "send hello first"))
            return
        if (
            not isinstance(entry, str)
            or not isinstance(helpful, bool)
            or len(entry) > 128
            or not isinstance(seq, int)
            or isinstance(seq, bool)
        ):
            await self.send(
                error_frame(
                    "invalid_feedback",
                    "send entry (text), seq (the answer's) and helpful (true/false)",
                )
            )
            return
        if suggestion is not None and (
            not isinstance(suggestion, str)
            or len(suggestion) > self.app[SETTINGS].max_message_chars
        ):
            await self.send(error_frame("invalid_feedback", "the suggestion must be short text"))
            return
        if not await self.app[LIMITS].allow_feedback(
            conversation_id(self.session_id), self.address
        ):
            await self.send(error_frame("rate_limited", "too many ratings; wait a minute"))
            return
        try:
            await self.app[SERVICE].rate_answer(
                conversation_id(self.session_id),
                entry,
                helpful,
                seq=seq,
                suggestion=(suggestion or "").strip() or None,
                sender=self.session_id,
                channel=CHANNEL,
            )
        except InputError as exc:
            await self.send(error_frame(exc.code, exc.message))

    async def on_message(self, frame: MessageFrame) -> None:
        message_id = frame.get("id") if isinstance(frame.get("id"), str) else None
        if self.session_id is None:
            await self.send(error_frame("hello_required", "send hello first", message_id))
            return
        settings = self.app[SETTINGS]
        try:
            message = parse_message(
                frame,
                limit=settings.max_message_chars,
                text_key="text",
                secret=settings.secret,
                max_metadata_bytes=settings.max_metadata_bytes,
                max_metadata_depth=settings.max_metadata_depth,
            )
        except InputError as exc:
            await self.send(error_frame(exc.code, exc.message, message_id))
            return
        if message.language is None and self.page_language:
            # the page's language until the conversation has one of its own
            message = replace(message, language=self.page_language)
            self.page_language = None
        if self.identity is not None and message.identity is None:
            message = replace(message, identity=self.identity)
        if not await self.app[LIMITS].allow_message(conversation_id(self.session_id), self.address):
            await self.send(
                error_frame("rate_limited", "too many messages; wait a minute", message_id)
            )
            return
        notices = self.app.get(NOTICES)
        if notices is not None and await self.on_notice_words(notices, message.text):
            await self.send(
                {"type": "ack", "id": message.message_id, "seq": None, "duplicate": False}
            )
            return
        typing = _Typing(self.send, self.app[LOOP].busy)
        try:
            handled = await self.app[SERVICE].handle(
                conversation_id(self.session_id),
                message,
                sender=self.session_id,
                channel=CHANNEL,
                origin=self.origin,
                address=self.address,
            )
        except Exception:  # the chat edge answers politely and logs the traceback
            logger.exception("message handling failed")
            self.app[METRICS].errors.inc(kind="message")
            await self.send(error_frame("internal", say("error", self.language), message_id))
            await typing.stop()
            return
        self.language = handled.state.language or self.language
        user_seq = next((e.seq for e in handled.events if e.kind == USER), None)
        await self.send(
            {
                "type": "ack",
                "id": message.message_id,
                "seq": user_seq,
                "duplicate": handled.outcome.duplicate,
            }
        )
        # the turn's bot messages, here rather than through the listener (published with
        # this socket's origin, the broker gives them, and the customer's own message, to
        # the conversation's other tabs); the ack stands for the customer's message here
        for event in handled.events:
            reply = self.frame(event) if event.kind != USER else None
            if reply is not None:
                await self.send(reply)
        await typing.stop()

    async def stop(self) -> None:
        for listener in (self.listener, self.notice_listener):
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener


class _Typing:
    """The bot's typing indicator for one turn: shown only if the turn is still running
    after TYPING_DELAY (a knowledge-base answer takes a millisecond; an action or a
    remote action server may take seconds), hidden at its end if it was shown. Not shown
    while the event loop is `busy` (loop_monitor.py): a server behind on its work
    sends what the customer asked for first."""

    def __init__(
        self, send: Callable[[dict[str, Any]], Awaitable[None]], busy: Callable[[], bool]
    ) -> None:
        self._send = send
        self._busy = busy
        self._shown = False
        self._done = False
        self._task: asyncio.Future[None] | None = None
        self._timer = asyncio.get_running_loop().call_later(TYPING_DELAY, self._start)

    def _start(self) -> None:
        if not self._busy():
            self._task = asyncio.ensure_future(self._show())

    async def _show(self) -> None:
        if not self._done:
            self._shown = True
            await self._send({"type": "typing", "on": True})

    async def stop(self) -> None:
        self._done = True
        self._timer.cancel()
        if self._shown:
            await self._send({"type": "typing", "on": False})


async def close_sockets(app: web.Application) -> None:
    sockets: weakref.WeakSet[web.WebSocketResponse] = app[SOCKETS]
    for ws in list(sockets):
        await ws.close(code=1001, message=b"server shutdown")
