"""SignInLinks: the community's emailed sign-in link, for customers the host site did not
sign in (as Discourse's email login).

    request(email, language)   the same outcome whether or not the email is a customer's:
                               if it is (exactly one), a random token's SHA-256 is stored for
                               LINK_MINUTES and the link is mailed in the background, so
                               neither the answer nor its timing tells who is a customer
    redeem(token)              takes the link (single use, even under concurrent clicks):
                               the customer's id and the language asked in, or None

Only the digest is kept: a copy of the store cannot sign anyone in. Rate limits per email
and per client address are the edge's (channels/limits.py).
"""

from __future__ import annotations

import asyncio
import email.policy
import hashlib
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from bot.core.community import CommunityError
from bot.errors import StorageError
from bot.knowledge.entries import LANGUAGES
from bot.ports import CommunityStore, CustomerStore, Mailer

logger = logging.getLogger(__name__)

LINK_MINUTES = 15
MAX_EMAIL = 254
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
POLICY = email.policy.SMTP.clone(max_line_length=998)
MAILS = {
    "en": (
        "Your sign-in link for the community",
        "Hello,\n\nSomeone (we hope you) asked to sign in to our community with this address."
        "\nOpen this link within {minutes} minutes; it works once:\n\n{link}\n\n"
        "If it was not you, ignore this email: nothing changes.\n",
    ),
    "pt": (
        "O seu link de entrada na comunidade",
        "Olá,\n\nAlguém (esperamos que tenha sido você) pediu para entrar na nossa comunidade"
        " com este endereço.\nAbra este link nos próximos {minutes} minutos; só funciona uma"
        " vez:\n\n{link}\n\nSe não foi você, ignore este email: nada muda.\n",
    ),
    "es": (
        "Tu enlace para entrar en la comunidad",
        "Hola:\n\nAlguien (esperamos que tú) pidió entrar en nuestra comunidad con esta"
        " dirección.\nAbre este enlace en los próximos {minutes} minutos; solo funciona una"
        " vez:\n\n{link}\n\nSi no fuiste tú, ignora este correo: no cambia nada.\n",
    ),
}


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Redeemed:
    customer_id: str
    language: str


class SignInLinks:
    def __init__(
        self,
        store: CommunityStore,
        customers: CustomerStore,
        mailer: Mailer | None,
        *,
        mail_from: str,
        public_url: str,
        clock: Callable[[], float] = time.time,
        minutes: int = LINK_MINUTES,
    ) -> None:
        self.store = store
        self.customers = customers
        self.mailer = mailer
        self.mail_from = mail_from
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.minutes = minutes
        self._sending: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        """Whether links can be mailed at all (BALCAO_SMTP_URL and BALCAO_MAIL_FROM)."""
        return self.mailer is not None and bool(self.mail_from)

    async def request(self, address: str, language: str) -> None:
        """Mail a link if `address` is one customer's; the same, silent, outcome if not."""
        address = address.strip()
        if len(address) > MAX_EMAIL or not EMAIL.fullmatch(address):
            raise CommunityError("Enter an email address such as ana@example.com.", "bad_email")
        language = language if language in LANGUAGES else "en"
        customer = await self.customers.customer_by_email(address)
        if customer is None or not self.enabled:
            return
        token = secrets.token_urlsafe(32)
        now = self.clock()
        await self.store.add_sign_in_link(
            digest(token), customer.customer_id, language, now, now + self.minutes * 60
        )
        task = asyncio.create_task(self._send(address, language, token))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def redeem(self, token: str) -> Redeemed | None:
        if not 20 <= len(token) <= 100:
            return None
        found = await self.store.use_sign_in_link(digest(token), self.clock())
        return Redeemed(*found) if found else None

    async def _send(self, address: str, language: str, token: str) -> None:
        assert self.mailer is not None
        subject, text = MAILS[language]
        message = EmailMessage(policy=POLICY)
        message["From"] = self.mail_from
        message["To"] = address
        message["Subject"] = subject
        message["Date"] = formatdate()
        domain = self.mail_from.rpartition("@")[2].strip(">") or "balcao.invalid"
        message["Message-ID"] = make_msgid("community-sign-in", domain=domain)
        link = f"{self.public_url}/community/email/{token}?lang={language}"
        message.set_content(text.format(minutes=self.minutes, link=link))
        try:
            await self.mailer.send(message)
        except StorageError as exc:  # logged without the address; they may ask again
            logger.warning("could not send a community sign-in link: %s", exc)

    async def close(self) -> None:
        """Let the links being sent go out (at shutdown)."""
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
