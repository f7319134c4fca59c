"""Email replies: answering by email a customer who left an address while nobody was there.

The dialogue takes the address (`contact_email` slot) and the chat service records it on
the handoff. The console lists those handoffs (`awaiting`); an agent's answer is written
to the conversation first, then sent by SMTP with a Reply-To address that carries a
signed handoff token (`reply+<id>.<mac>@<mail domain>`). The customer's answer comes back
through the inbound webhook, is checked against that token, and continues the same
conversation as a customer message on the `email` channel.
"""

from __future__ import annotations

import base64
import email.policy
import hashlib
import hmac
import re
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from bot.core.agents import Agent
from bot.core.conversation import IncomingMessage
from bot.core.events import Event
from bot.core.handoff import Handoff, queue_order
from bot.errors import ConflictError, InputError
from bot.ports import Mailer
from bot.services.chat import ChatService, Handled
from bot.services.desk import Desk

TOKEN = re.compile(r"reply\+([0-9]{1,18})\.([A-Za-z0-9_-]+)@", re.IGNORECASE)
QUOTE = re.compile(r"^(>|On .+ wrote:|Em .+ escreveu:|El .+ escribió:)", re.MULTILINE)
POLICY = email.policy.SMTP.clone(max_line_length=998)


class EmailReplies:
    def __init__(
        self,
        desk: Desk,
        chat: ChatService,
        mailer: Mailer | None,
        *,
        key: bytes,
        mail_from: str,
        public_url: str,
        max_chars: int = 2000,
    ) -> None:
        self.desk = desk
        self.chat = chat
        self.mailer = mailer
        self.key = key
        self.mail_from = mail_from
        self.public_url = public_url.rstrip("/")
        self.max_chars = max_chars

    def _mac(self, handoff_id: int) -> str:
        digest = hmac.new(self.key, f"reply:{handoff_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:15]).decode()

    def reply_address(self, handoff_id: int) -> str:
        local, _, domain = self.mail_from.strip("<>").rpartition("@")
        return f"{local or 'reply'}+reply+{handoff_id}.{self._mac(handoff_id)}@{domain}"

    def handoff_of(self, address: str) -> int | None:
        """The handoff a reply address names, if its token is ours."""
        found = TOKEN.search(address)
        if found is None:
            return None
        handoff_id = int(found.group(1))
        return handoff_id if hmac.compare_digest(found.group(2), self._mac(handoff_id)) else None

    async def awaiting(self) -> list[Handoff]:
        """Open handoffs whose customer left an email for the answer."""
        open_ = [h for h in await self.desk.handoffs.list() if h.contact_email]
        return queue_order(open_) + [h for h in open_ if h.status != "waiting"]

    async def send(self, handoff_id: int, agent: Agent, text: str) -> Event:
        if self.mailer is None or not self.mail_from:
            raise ConflictError("email is not set up (BALCAO_SMTP_URL, BALCAO_MAIL_FROM)")
        handoff = await self.desk.get(handoff_id)
        if not handoff.contact_email:
            raise ConflictError("the customer left no email address")
        event = await self.desk.send(handoff_id, agent, text)  # the transcript has it first
        message = EmailMessage(policy=POLICY)
        message["From"] = self.mail_from
        message["To"] = handoff.contact_email
        message["Reply-To"] = self.reply_address(handoff_id)
        message["Subject"] = f"Re: your question (#{handoff_id})"
        message["Date"] = formatdate()
        domain = self.mail_from.rpartition("@")[2].strip(">") or "balcao.invalid"
        message["Message-ID"] = make_msgid(f"handoff-{handoff_id}-{event.seq}", domain=domain)
        message.set_content(
            f"{event.data['text']}\n\n{agent.name}\n--\nReply to this email, or continue in"
            f" the chat: {self.public_url}/\n"
        )
        await self.mailer.send(message)
        return event

    async def inbound(
        self, to: str, text: str, message_id: str | None = None
    ) -> tuple[Handoff, Handled]:
        """The customer's email answer, into the conversation it belongs to."""
        handoff_id = self.handoff_of(to)
        if handoff_id is None:
            raise InputError("the reply address is not one of ours", code="invalid_token")
        handoff = await self.desk.get(handoff_id)
        body = QUOTE.split(text, maxsplit=1)[0].strip()[: self.max_chars]
        if not body:
            raise InputError("the email has no text above the quoted part", code="empty_message")
        handled = await self.chat.handle(
            handoff.conversation_id,
            IncomingMessage(text=body, message_id=message_id),
            sender=handoff.sender,
            channel="email",
        )
        return handoff, handled
