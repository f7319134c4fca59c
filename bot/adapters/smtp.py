"""SmtpMailer: outbound email over SMTP with aiosmtplib.

`BALCAO_SMTP_URL` names the server: `smtp://user:pass@mail.example:587?starttls=true`,
or `smtps://...:465` for TLS from the first byte. `SmtpConfig.parse` reads it; its
`repr` hides the password. The mailer sends one `email.message.Message` per call;
recording that it went (exactly once) is the caller's (the notice and handoff stores).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from bot.errors import ConfigError, StorageError

logger = logging.getLogger(__name__)


class MailError(StorageError):
    """The SMTP server refused a message or could not be reached."""

    default_message = "the mail server did not take the message"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str = ""
    password: str = ""
    use_tls: bool = False
    start_tls: bool | None = None  # None: if the server offers it
    timeout: float = 30.0

    @classmethod
    def parse(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError("BALCAO_SMTP_URL must look like smtp://user:pass@host:587")
        query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        starttls = query.get("starttls")
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            use_tls=parts.scheme == "smtps",
            start_tls=None if starttls is None else starttls in ("1", "true", "yes", "on"),
            timeout=float(query.get("timeout", "30")),
        )

    def __repr__(self) -> str:
        hidden = "**********" if self.password else ""
        return (
            f"SmtpConfig(host={self.host!r}, port={self.port}, username={self.username!r},"
            f" password={hidden!r}, use_tls={self.use_tls}, start_tls={self.start_tls})"
        )


class SmtpMailer:
    """Sends over a few SMTP connections at once, each reopened when the server dropped it."""

    def __init__(self, config: SmtpConfig, connections: int = 4) -> None:
        self.config = config
        self._idle: list[aiosmtplib.SMTP] = []
        self._open: set[aiosmtplib.SMTP] = set()
        self._connections = connections
        self._slots: asyncio.Semaphore | None = None

    async def _connect(self) -> aiosmtplib.SMTP:
        c = self.config
        client = aiosmtplib.SMTP(
            hostname=c.host,
            port=c.port,
            use_tls=c.use_tls,
            start_tls=c.start_tls,
            timeout=c.timeout,
            username=c.username or None,
            password=c.password or None,
        )
        await client.connect()
        self._open.add(client)
        return client

    async def send(self, message: Message) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._connections)
        async with self._slots:
            client: aiosmtplib.SMTP | None = None
            while self._idle and client is None:
                candidate = self._idle.pop()
                if candidate.is_connected:
                    client = candidate
                else:
                    self._open.discard(candidate)
            try:
                if client is None:
                    client = await self._connect()
                # flattened with the message's own policy (aiosmtplib's would fold, and so
                # encode, a long List-Unsubscribe URL)
                sender = getaddresses([str(message["From"])])[0][1]
                recipients = [
                    a for _, a in getaddresses([str(v) for v in message.get_all("To", [])])
                ]
                await client.sendmail(sender, recipients, message.as_bytes(policy=message.policy))
            except (aiosmtplib.SMTPException, OSError) as exc:
                logger.warning("SMTP send failed: %s", type(exc).__name__)
                if client is not None:
                    self._open.discard(client)
                    client.close()
                raise MailError(f"SMTP: {type(exc).__name__}") from exc
            self._idle.append(client)

    async def close(self) -> None:
        clients, self._open, self._idle = self._open, set(), []
        for client in clients:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
