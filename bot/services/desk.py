"""The agent desk: queue, routing, claims, agent messages, transfer and resolve.

An application service over the ports (handoff store, agent store, the chat
service that owns conversation logs, the broker). Everything an agent does is
an event in the customer's conversation, published to whoever listens.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.core import events as ev
from bot.core.agents import Agent, Status
from bot.core.business_hours import BusinessHours
from bot.core.conversation import ConversationState, Reply
from bot.core.customers import CustomerProfile
from bot.core.dialogue import rating_buttons
from bot.core.events import Event
from bot.core.handoff import (
    DEFAULT_HANDLE_SECONDS,
    Handoff,
    choose_agent,
    expected_wait,
    priority,
    queue_order,
)
from bot.core.texts import say
from bot.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from bot.ports import (
    QUEUE_TOPIC,
    AgentDirectory,
    Broker,
    ConversationWriter,
    HandoffStore,
    ProfileLookup,
    RateLimiter,
    Turn,
    conversation_topic,
)

logger = logging.getLogger(__name__)
HOUR = 3600.0
Summaries = Callable[[list[Handoff], float], Awaitable[list[dict[str, Any]]]]

MAX_AGENT_TEXT = 4000
# how many waiting handoffs the agents' queue shows: the ones to serve first. The queue
# frame says how many wait in all, and no read on a customer's way grows with the queue.
QUEUE_HEAD = 200


class Desk:
    def __init__(
        self,
        handoffs: HandoffStore,
        agents: AgentDirectory,
        conversations: ConversationWriter,
        broker: Broker,
        hours: BusinessHours,
        profiles: ProfileLookup | None = None,
        auto_assign: bool = True,
        handle_seconds: float = DEFAULT_HANDLE_SECONDS,
        clock: Callable[[], float] = time.time,
        limiter: RateLimiter | None = None,
        handoffs_per_address: int = 30,
        summaries: Summaries | None = None,
    ) -> None:
        """`limiter` and `handoffs_per_address`: how many requests for a person one client
        address may queue per hour (a flood from one network must not bury real customers)."""
        self.handoffs = handoffs
        self.agents = agents
        self.conversations = conversations
        self.broker = broker
        self.hours = hours
        self.profiles = profiles
        self.auto_assign = auto_assign
        self.handle_seconds = handle_seconds
        self.clock = clock
        self.limiter = limiter
        self.handoffs_per_address = handoffs_per_address
        self.summaries = summaries
        self._assigning = asyncio.Lock()
        self._publishing = asyncio.Lock()
        self._queue_changed = False

    # -- the customer's side ----------------------------------------------------

    async def open(
        self,
        conversation_id: str,
        state: ConversationState,
        reason: str,
        *,
        sender: str,
        channel: str,
        turn: Turn | None = None,
    ) -> list[Event]:
        """Queue a request for a person; returns the events it appended (queue position...).

        Called in a customer's `turn`, what it appends is part of that turn's answer."""
        now = self.clock()
        language = state.language or "en"
        if not await self._address_may_queue(turn):
            return await self.conversations.append(
                conversation_id,
                [_bot(say("handoff_limited", language), now)],
                sender=sender,
                channel=channel,
                turn=turn,
            )
        profile = await self._profile(state)
        online = [a for a in await self.agents.all() if a.status == "online"]
        is_open = self.hours.is_open(datetime.fromtimestamp(now, UTC))
        flags: tuple[str, ...] = ()
        manager = profile.account_manager if profile else None
        if manager and not any(a.email == manager for a in online):
            flags = ("account_manager_away",)
        handoff = await self.handoffs.create(
            Handoff(
                id=0,
                conversation_id=conversation_id,
                sender=sender,
                channel=channel,
                reason=reason,
                language=language,
                priority=priority(reason, profile.tier if profile else None),
                created_at=now,
                tier=profile.tier if profile else None,
                customer_id=profile.customer_id if profile else None,
                account_manager=manager,
                offline=not (is_open and online),
                flags=flags,
            )
        )
        if handoff.status == "assigned":
            return []  # the conversation already has its person: nothing to queue or say
        queued = Event(
            ev.HANDOFF,
            {
                "status": "queued",
                "handoff_id": handoff.id,
                "priority": handoff.priority,
                "offline": handoff.offline,
            },
            now,
        )
        if handoff.offline:
            back = self.hours.next_open(datetime.fromtimestamp(now, UTC))
            if is_open:
                text = say("offline_staffed", language)
            elif back is not None:
                text = say("offline", language, when=_when(back, language))
            else:
                text = say("offline_unknown", language)
            # the widget replaces this notice once someone joins
            notice = Event(ev.BOT, {**Reply(text).to_event_data(), "notice": "offline"}, now)
            stored = await self.conversations.append(
                conversation_id,
                [queued, notice],
                sender=sender,
                channel=channel,
                turn=turn,
            )
            await self.publish_queue()
            return stored
        stored = await self.conversations.append(
            conversation_id, [queued], sender=sender, channel=channel, turn=turn
        )
        assigned = await self._assign(handoff, turn) if self.auto_assign else None
        if assigned is None:
            stored += await self._tell_position(handoff, sender, channel, append=True, turn=turn)
        else:
            stored += assigned
        await self.publish_queue()
        return stored

    async def _address_may_queue(self, turn: Turn | None) -> bool:
        if self.limiter is None or turn is None or not turn.address:
            return True
        key = f"handoff:{turn.address}"
        return await self.limiter.hit(key, self.handoffs_per_address, HOUR)

    async def _profile(self, state: ConversationState) -> CustomerProfile | None:
        customer_id = state.slots.get("customer_id")
        if not (self.profiles and customer_id and state.slots.get("verified")):
            return None
        return await self.profiles(str(customer_id))

    async def _tell_position(
        self, handoff: Handoff, sender: str, channel: str, append: bool, turn: Turn | None = None
    ) -> list[Event]:
        position = await self.handoffs.position(handoff.id) or 1
        online = sum(1 for a in await self.agents.all() if a.status == "online")
        wait = expected_wait(position, online, self.handle_seconds)
        await self._publish_position(handoff, position, wait)
        if not append:
            return []
        if wait is None:
            text = say("queued_no_estimate", handoff.language, position=position)
        else:
            minutes = max(1, round(wait / 60))
            text = say("queued", handoff.language, position=position, minutes=minutes)
        return await self.conversations.append(
            handoff.conversation_id,
            [_bot(text, self.clock())],
            sender=sender,
            channel=channel,
            turn=turn,
        )

    async def _publish_position(self, handoff: Handoff, position: int, wait: float | None) -> None:
        await self.broker.publish(
            conversation_topic(handoff.conversation_id),
            {"type": "queue", "position": position, "wait_s": wait},
        )

    # -- the agents' side -----------------------------------------------------------

    async def queue(self, status: str | None = None, limit: int = QUEUE_HEAD) -> list[Handoff]:
        """The first `limit` waiting in queue order, then the assigned (or one `status`)."""
        handoffs, _ = await self.queue_page(status, limit)
        return handoffs

    async def queue_page(
        self, status: str | None = None, limit: int = QUEUE_HEAD
    ) -> tuple[list[Handoff], int]:
        """`queue`, and how many wait in all. The waiting part is one bounded read of the
        queue's head: its cost does not grow with the queue."""
        waiting: list[Handoff] = []
        total = 0
        if status in (None, "waiting"):
            waiting, total = await self.handoffs.queue_head(limit)
        others: list[Handoff] = []
        if status is None:
            others = await self.handoffs.list(("assigned",))
        elif status != "waiting":
            others = (await self.handoffs.list((status,)))[-limit:]  # the newest `limit`
        return waiting + others, total

    async def get(self, handoff_id: int) -> Handoff:
        handoff = await self.handoffs.get(handoff_id)
        if handoff is None:
            raise NotFoundError(f"handoff {handoff_id} does not exist")
        return handoff

    async def claim(self, handoff_id: int, agent: Agent) -> Handoff:
        handoff = await self.get(handoff_id)
        if handoff.status == "assigned" and handoff.agent == agent.email:
            return handoff
        if handoff.status != "waiting":
            raise ConflictError(f"handoff {handoff_id} is already {handoff.status}")
        if agent.status == "offline":
            raise PermissionDeniedError("go online before claiming a conversation")
        if not await self.handoffs.claim(handoff_id, agent.email, self.clock()):
            raise ConflictError(f"handoff {handoff_id} was claimed by someone else")
        await self._joined(handoff, agent, "claimed")
        await self._update_positions()
        await self.publish_queue()
        return await self.get(handoff_id)

    async def _assign(self, handoff: Handoff, turn: Turn | None = None) -> list[Event] | None:
        """Offer `handoff` to the best available agent now; the events appended, or None.

        The lock only spares this process pointless races; capacity is decided by the
        store (`claim_if_room`), so processes sharing PostgreSQL never overfill an agent."""
        async with self._assigning:
            agents = await self.agents.all()
            agent = choose_agent(handoff, agents, await self.handoffs.loads())
            if agent is None or not await self.handoffs.claim_if_room(
                handoff.id, agent.email, agent.max_chats, self.clock()
            ):
                return None
        return await self._joined(handoff, agent, "claimed", turn, auto=True)

    async def assign_waiting(self) -> None:
        """Give waiting handoffs to agents who have room (after a status change or a resolve).

        One read of the queue, the agents and their loads; loads are counted here as
        handoffs are claimed, and the walk stops as soon as no online agent has room, so a
        queue of thousands costs one pass, not a database round trip per waiting customer."""
        if not self.auto_assign:
            return
        async with self._assigning:
            agents = await self.agents.all()
            loads = dict(await self.handoffs.loads())
            closed = not self.hours.is_open(datetime.fromtimestamp(self.clock(), UTC))
            joined: list[tuple[Handoff, Agent]] = []
            for handoff in queue_order(await self.handoffs.list(("waiting",))):
                if not any(_has_room(a, loads) for a in agents):
                    break  # nobody has room for anyone
                if handoff.offline and closed:
                    continue
                agent = choose_agent(handoff, agents, loads)
                if agent is None or not await self.handoffs.claim_if_room(
                    handoff.id, agent.email, agent.max_chats, self.clock()
                ):
                    if agent is not None:  # another process was quicker: count again
                        loads = dict(await self.handoffs.loads())
                    continue
                loads[agent.email] = loads.get(agent.email, 0) + 1
                joined.append((handoff, agent))
        for handoff, agent in joined:
            await self._joined(handoff, agent, "claimed", auto=True)
        await self._update_positions()
        await self.publish_queue()

    async def _joined(
        self,
        handoff: Handoff,
        agent: Agent,
        status: str,
        turn: Turn | None = None,
        *,
        auto: bool = False,
    ) -> list[Event]:
        now = self.clock()
        key = "agent_joined" if status == "claimed" else "agent_transferred"
        data: dict[str, Any] = {"status": status, "handoff_id": handoff.id, "agent": agent.email}
        if auto:
            data["auto"] = True  # the console says it was auto-assigned, not claimed
        return await self.conversations.append(
            handoff.conversation_id,
            [
                Event(ev.HANDOFF, data, now),
                Event(
                    ev.BOT,
                    {"text": say(key, handoff.language, name=agent.name), "notice": "joined"},
                    now,
                ),
            ],
            sender=handoff.sender,
            channel=handoff.channel,
            turn=turn,
        )

    async def _held(self, handoff_id: int, agent: Agent) -> Handoff:
        handoff = await self.get(handoff_id)
        if handoff.status != "assigned" or handoff.agent != agent.email:
            if agent.is_admin and handoff.status != "resolved":
                return handoff
            raise PermissionDeniedError("this conversation is held by another agent")
        return handoff

    async def send(self, handoff_id: int, agent: Agent, text: str) -> Event:
        handoff = await self._held(handoff_id, agent)
        text = _agent_text(text)
        [event] = await self.conversations.append(
            handoff.conversation_id,
            [
                Event(
                    ev.AGENT, {"text": text, "agent": agent.email, "name": agent.name}, self.clock()
                )
            ],
            sender=handoff.sender,
            channel=handoff.channel,
        )
        return event

    async def note(self, handoff_id: int, agent: Agent, text: str) -> Event:
        handoff = await self.get(handoff_id)
        [event] = await self.conversations.append(
            handoff.conversation_id,
            [Event(ev.NOTE, {"text": _agent_text(text), "agent": agent.email}, self.clock())],
            sender=handoff.sender,
            channel=handoff.channel,
        )
        return event

    async def transfer(self, handoff_id: int, agent: Agent, to_email: str) -> Handoff:
        handoff = await self._held(handoff_id, agent)
        target = await self.agents.get(to_email)
        if target is None:
            raise NotFoundError(f"no agent {to_email}")
        if target.status != "online":
            raise ConflictError(f"{target.name} is not online")
        loads = await self.handoffs.loads()
        if loads.get(target.email, 0) >= target.max_chats:
            raise ConflictError(f"{target.name} has no room for another conversation")
        if not await self.handoffs.transfer(handoff_id, handoff.agent or "", target.email):
            raise ConflictError("the conversation changed hands meanwhile")
        now = self.clock()
        data = {
            "status": "transferred",
            "handoff_id": handoff_id,
            "agent": target.email,
            "from_agent": handoff.agent,
        }
        await self.conversations.append(
            handoff.conversation_id,
            [
                Event(ev.HANDOFF, data, now),
                _bot(say("agent_transferred", handoff.language, name=target.name), now),
            ],
            sender=handoff.sender,
            channel=handoff.channel,
        )
        await self.publish_queue()
        return await self.get(handoff_id)

    async def resolve(self, handoff_id: int, agent: Agent) -> Handoff:
        handoff = await self._held(handoff_id, agent)
        holder = None if agent.is_admin else agent.email
        if not await self.handoffs.resolve(handoff_id, holder, self.clock()):
            raise ConflictError("the conversation changed hands meanwhile")
        now = self.clock()
        await self.conversations.append(
            handoff.conversation_id,
            [
                Event(
                    ev.HANDOFF,
                    {"status": "resolved", "handoff_id": handoff_id, "agent": agent.email},
                    now,
                ),
                _bot(say("resolved", handoff.language), now, buttons=rating_buttons()),
            ],
            sender=handoff.sender,
            channel=handoff.channel,
        )
        await self.assign_waiting()
        return await self.get(handoff_id)

    async def set_status(self, agent: Agent, status: Status) -> Agent:
        await self.agents.set_status(agent.email, status)
        if status == "online":
            await self.assign_waiting()
        else:
            await self.publish_queue()
        return replace(agent, status=status)

    async def _update_positions(self) -> None:
        """Tell the customers at the head of the queue their new place: one bounded read.

        Those further back keep the place and wait they were told when they queued (they
        only get better) until the head reaches them: telling each of 10,000 customers
        their place on every claim cost a read of the whole queue and 10,000 messages, and
        every customer chatting meanwhile waited behind them (bench-abuse, "queue of 10k")."""
        head, _ = await self.handoffs.queue_head(QUEUE_HEAD)
        online = sum(1 for a in await self.agents.all() if a.status == "online")
        for position, handoff in enumerate(head, start=1):
            await self._publish_position(
                handoff, position, expected_wait(position, online, self.handle_seconds)
            )

    async def queue_frame(self) -> dict[str, Any]:
        """What the agents' consoles show: the queue's head and the assigned, summarised,
        and how many wait in all."""
        handoffs, waiting = await self.queue_page()
        return {
            "type": "queue",
            "handoffs": await self.summarise(handoffs, self.clock()),
            "waiting": waiting,
        }

    async def publish_queue(self) -> None:
        """Send the consoles the queue as it is now. Changes that come while a frame is being
        built are folded into one more frame after it, not one frame each: a burst of
        handoffs costs two reads of the queue's head, not one per handoff."""
        if self._publishing.locked():
            self._queue_changed = True
            return
        async with self._publishing:
            while True:
                self._queue_changed = False
                await self.broker.publish(QUEUE_TOPIC, await self.queue_frame())
                if not self._queue_changed:
                    return

    async def availability(self, language: str) -> dict[str, Any]:
        """The team's availability for the widget's header: open now, someone online,
        and when the team is back if closed."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        is_open = self.hours.is_open(now)
        online = any(a.status == "online" and not a.disabled for a in await self.agents.all())
        back = None if is_open else self.hours.next_open(now)
        return {
            "open": is_open,
            "online": is_open and online,
            "back": _when(back, language) if back is not None else None,
        }

    async def tell(self, handoff_id: int, text: str) -> Event:
        """A bot message to the customer of `handoff_id` (e.g. that goodwill was granted)."""
        handoff = await self.get(handoff_id)
        [event] = await self.conversations.append(
            handoff.conversation_id,
            [_bot(text, self.clock())],
            sender=handoff.sender,
            channel=handoff.channel,
        )
        return event

    async def summarise(self, handoffs: list[Handoff], now: float) -> list[dict[str, Any]]:
        """Queue rows, titled by the inbox when there is one."""
        if self.summaries is not None:
            return await self.summaries(handoffs, now)
        return [h.summary(now) for h in handoffs]


def _bot(text: str, now: float, buttons: tuple[Any, ...] = ()) -> Event:
    return Event(ev.BOT, Reply(text, buttons).to_event_data(), now)


def _agent_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InputError("the text is empty", code="empty_message")
    if len(text) > MAX_AGENT_TEXT:
        raise InputError(
            f"the text is longer than {MAX_AGENT_TEXT} characters", code="message_too_long"
        )
    return text


def _when(moment: datetime, language: str) -> str:
    days = {
        "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "pt": (
            "segunda-feira",
            "terça-feira",
            "quarta-feira",
            "quinta-feira",
            "sexta-feira",
            "sábado",
            "domingo",
        ),
        "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    }
    names = days.get(language, days["en"])
    at = {
        "en": "{day} at {time} ({zone})",
        "pt": "{day} às {time} ({zone})",
        "es": "el {day} a las {time} ({zone})",
    }
    return at.get(language, at["en"]).format(
        day=names[moment.weekday()], time=moment.strftime("%H:%M"), zone=moment.tzname()
    )


def _has_room(agent: Agent, loads: dict[str, int]) -> bool:
    return agent.status == "online" and loads.get(agent.email, 0) < agent.max_chats
