"""Notices: hand due notices to email and the widget, within consent and restraint.

`NoticeService.run_due()` is what the scheduler calls every few seconds: it claims the
due notices (a lease in the store, so several processes never take the same one),
decides each with `bot.core.notices.decide`, renders the trigger's template in the
customer's language, sends the email (with a one-click unsubscribe, RFC 8058) and
records the outcome. A notice recorded as sent is announced on the customer's broker topic
(`customer_topic`): a widget of theirs that is open, in any process, shows it at once; else
their next identified visit does (`take_unshown`). Either way one widget takes it, once.
"""

from __future__ import annotations

import asyncio
import base64
import email.policy
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

from bot.core.notices import (
    Addressee,
    ClaimedNotice,
    Recipient,
    Restraint,
    decide,
    is_stop,
    parse_watch,
    proactive_figures,
    time_triggers,
)
from bot.errors import BalcaoError, InputError
from bot.knowledge.notices import TRIGGERS, Templates
from bot.ports import Broker, CustomerStore, Mailer, NoticeStore, customer_topic
from bot.services.winback import WinbackOffers

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
# headers unfolded: a long List-Unsubscribe URL must stay one readable token
MAIL_POLICY = email.policy.compat32.clone(max_line_length=998, linesep="\r\n")
BATCH = 500
LOW_SCORE = 2  # a satisfaction answer this low opens an at-risk handoff
CONCURRENCY = 8  # customers handled side by side in one scan


def _now() -> datetime:
    return datetime.now(UTC)


class NoticeService:
    def __init__(
        self,
        store: NoticeStore,
        customers: CustomerStore,
        templates: Callable[[], Templates],
        *,
        mailer: Mailer | None,
        rules: Restraint,
        mail_from: str,
        public_url: str,
        key: bytes,
        open_complaint: Callable[[str], Awaitable[bool]] | None = None,
        default_timezone: str = "UTC",
        value_of: Callable[[str], Awaitable[tuple[str | None, str | None]]] | None = None,
        broker: Broker | None = None,
        offers: WinbackOffers | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.offers = offers
        self.store = store
        self.customers = customers
        self.templates = templates
        self.mailer = mailer
        self.rules = rules
        self.mail_from = mail_from
        self.public_url = public_url.rstrip("/")
        self.key = key
        self.open_complaint = open_complaint
        self.default_timezone = default_timezone
        self.value_of = value_of
        self.broker = broker
        self.clock = clock

    # --- sending -----------------------------------------------------------

    async def run_due(self, limit: int = BATCH) -> int:
        """Claim and handle the due notices; how many were sent. A customer's notices go
        one after another (the weekly cap counts each), customers' side by side. What the
        rules need of each customer is read once for the whole scan."""
        now = self.clock()
        groups: dict[str, list[ClaimedNotice]] = {}
        for notice in await self.store.claim(now, limit, LEASE):
            groups.setdefault(notice.customer_id, []).append(notice)
        if not groups:
            return 0
        known = await self.store.addressees(list(groups), now - timedelta(days=7))
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one_customer(customer_id: str, notices: list[ClaimedNotice]) -> int:
            async with gate:
                addressee = known.get(customer_id)
                if addressee is None:
                    for notice in notices:
                        await self.store.finish(
                            notice.notice_id, "suppressed", now, reason="no_customer"
                        )
                    return 0
                complaint = bool(self.open_complaint and await self.open_complaint(customer_id))
                # tier and stage now: a template's conditions, an offer's limit, and the
                # proactive figures (each notice keeps the segment it was decided in)
                value = await self.value_of(customer_id) if self.value_of else (None, None)
                sent = 0
                for notice in notices:
                    sent += await self._handle(notice, now, addressee, sent, complaint, value)
                return sent

        return sum(await asyncio.gather(*(one_customer(c, g) for c, g in groups.items())))

    async def _handle(
        self,
        notice: ClaimedNotice,
        now: datetime,
        addressee: Addressee,
        sent_in_scan: int,
        open_complaint: bool,
        value: tuple[str | None, str | None],
    ) -> int:
        customer = addressee.customer
        tier, stage = value
        segment = {"tier": tier or "", "stage": stage or ""}  # kept on the row, for the figures
        who = Recipient(
            customer.customer_id,
            timezone=customer.extra.get("timezone") or self.default_timezone,
            opted_out=addressee.consent.opted_out,
            marketing_opt_in=addressee.consent.marketing_opt_in,
            sent_last_week=addressee.sent_last_week + sent_in_scan,
            open_complaint=open_complaint,
        )
        verdict = decide(notice.trigger, who, now, self.rules)
        if verdict.verdict == "later" and verdict.retry_at is not None:
            await self.store.postpone(notice.notice_id, verdict.retry_at, verdict.reason)
            return 0
        if verdict.verdict != "send":
            await self.store.finish(
                notice.notice_id, verdict.verdict, now, reason=verdict.reason, **segment
            )
            return 0
        template = self.templates().get(notice.trigger, customer.language)
        if template is None:
            await self.store.finish(
                notice.notice_id, "suppressed", now, reason="no_template", **segment
            )
            return 0
        category = notice.values.get("category")
        if not template.applies_to(tier, stage, [category] if category else template.categories):
            await self.store.finish(
                notice.notice_id, "suppressed", now, reason="conditions", **segment
            )
            return 0
        offer, reason = "", ""
        if notice.trigger == "winback.offer":
            booked = None
            if self.offers is not None:  # booked now that it goes: one step with goodwill
                booked = await self.offers.book(
                    notice.notice_id, customer.customer_id, tier, now, template.offer
                )
            if booked is not None:
                offer = booked.text
            else:  # no room for an offer: the light touch, promising nothing
                light = self.templates().get("winback", customer.language)
                if light is None or not light.applies_to(tier, stage, light.categories):
                    await self.store.finish(
                        notice.notice_id, "suppressed", now, reason="no_offer", **segment
                    )
                    return 0
                template, reason = light, "light_touch"
        values = {
            **notice.values,
            "name": customer.name.split(" ")[0] if customer.name else "",
            "link": f"{self.public_url}/?notice={notice.notice_id}",
            "offer": offer,
        }
        title, body = template.render(values)
        channel = "widget"
        if self.mailer is not None and customer.email and self.mail_from:
            message = self.email(customer.email, title, body, notice.notice_id, notice.trigger)
            message["X-Balcao-Customer"] = self.sign(f"c:{customer.customer_id}")
            try:
                await self.mailer.send(message)
            except BalcaoError:
                # the lease runs out and a later scan tries again
                logger.warning("notice %d: mail server refused, will retry", notice.notice_id)
                return 0
            channel = "email+widget"
        await self.store.finish(
            notice.notice_id,
            "sent",
            self.clock(),
            reason=reason,
            title=title,
            body=body,
            channel=channel,
            **segment,
        )
        if self.broker is not None:  # an open widget shows it now (`take_unshown`)
            await self.broker.publish(
                customer_topic(customer.customer_id), {"type": "notice", "id": notice.notice_id}
            )
        return 1

    def email(self, to: str, title: str, body: str, notice_id: int, trigger: str) -> Message:
        """The notice as a plain-text email. Built with the classic (compat32) email API:
        headers kept as given rather than parsed into objects, which took two thirds of
        the time of sending one (docs/benchmarks.md, Notices)."""
        kind = TRIGGERS.get(trigger, "marketing")
        link = self.unsubscribe_url(str(notice_id), kind)
        text = f"{body}\n\n--\n{self.public_url}/?notice={notice_id}\n{link}\n"
        message = MIMEText(text, "plain", "utf-8", policy=MAIL_POLICY)
        message["From"] = self.mail_from
        message["To"] = to
        message["Subject"] = title if title.isascii() else Header(title, "utf-8").encode()
        message["Date"] = formatdate(localtime=False)
        # one id per notice: a receiver that sees it twice (a retry after a crash) can tell
        domain = self.mail_from.rsplit("@", 1)[-1].strip(">") or "balcao.invalid"
        message["Message-ID"] = make_msgid(f"notice-{notice_id}", domain=domain)
        message["List-Unsubscribe"] = f"<{link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return message

    async def scan_time(self) -> int:
        """Owe the notices that the passing of time makes due; how many were new."""
        now = self.clock()
        late, repurchases, occasions = await self.store.time_inputs(now)
        summaries = await self.customers.purchase_summaries()
        due = time_triggers(now, late, summaries, repurchases, occasions, self.templates())
        return await self.store.enqueue(due, now)

    async def watch(self, customer_id: str, kind: str, subject: str) -> None:
        """'tell me when it is back' (kind back_in_stock, a sku), 'let me know when it
        ships' (shipped, an order id), an occasion (occasion, 'MM-DD|label')."""
        if kind not in ("back_in_stock", "shipped", "occasion"):
            raise InputError(f"unknown watch {kind!r}", code="invalid_watch")
        await self.store.watch(customer_id, kind, subject, self.clock())

    # --- consent -------------------------------------------------------------

    def sign(self, text: str) -> str:
        mac = hmac.new(self.key, text.encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def unsubscribe_token(self, notice_id: str, scope: str) -> str:
        return f"{notice_id}.{scope}.{self.sign(f'u:{notice_id}:{scope}')}"

    def unsubscribe_url(self, notice_id: str, scope: str) -> str:
        return f"{self.public_url}/api/notices/unsubscribe?t={self.unsubscribe_token(notice_id, scope)}"

    async def unsubscribe(self, token: str) -> str:
        """Opt out by a signed link (no login); the scope stopped."""
        parts = token.split(".")
        if (
            not token.isascii()
            or len(parts) != 3
            or not hmac.compare_digest(parts[2], self.sign(f"u:{parts[0]}:{parts[1]}"))
        ):
            raise InputError("this unsubscribe link is not valid", code="invalid_token")
        if not parts[0].isdecimal() or len(parts[0]) > 18:
            raise InputError("this unsubscribe link is not valid", code="invalid_token")
        customer_id = await self.store.customer_of(int(parts[0]))
        if customer_id is None:
            raise InputError("this unsubscribe link is not valid", code="invalid_token")
        await self.store.set_consent(
            customer_id, parts[1], "out", self.clock(), "email-link", "List-Unsubscribe"
        )
        return parts[1]

    async def stop_from_chat(self, customer_id: str | None, text: str) -> bool:
        """'stop' (en/pt/es) from an identified customer stops everything but the service
        notices they asked for; True if the message was one."""
        if customer_id is None or not is_stop(text):
            return False
        await self.store.set_consent(customer_id, "marketing", "out", self.clock(), "chat", text)
        await self.store.set_consent(customer_id, "service", "out", self.clock(), "chat", text)
        return True

    async def satisfaction(self, customer_id: str | None, text: str) -> int | None:
        """A 1-5 answer to a satisfaction check sent in the last 14 days, recorded once;
        None if the message is not one. A score of LOW_SCORE or less is the caller's cue
        to hand the conversation to a person as a relationship at risk."""
        score = text.strip().rstrip(".!")
        if customer_id is None or score not in ("1", "2", "3", "4", "5"):
            return None
        since = self.clock() - timedelta(days=14)
        if not await self.store.answer(customer_id, "satisfaction.check", since, score):
            return None
        return int(score)

    async def watch_from_chat(self, customer_id: str | None, text: str) -> tuple[str, str] | None:
        """'tell me when the teapot is back in stock' / 'let me know when 100004 ships'
        from an identified customer registers a watch that fires by itself."""
        if customer_id is None:
            return None
        products = {
            p.sku: "|".join(
                n.lower() for n in (p.name, p.extra.get("name_pt", ""), p.extra.get("name_es", ""))
            )
            for p in await self.customers.products()
        }
        found = parse_watch(text, products)
        if found is None:
            return None
        if found[0] == "shipped":
            order = await self.customers.order(found[1])
            if order is None or order.customer_id != customer_id:
                return None
        await self.watch(customer_id, *found)
        return found

    # --- measuring -------------------------------------------------------------

    async def proactive(self) -> dict[str, list[dict[str, object]]]:
        """/api/analytics/proactive: outcomes per trigger, tier and stage, against the holdout."""
        return proactive_figures(await self.store.proactive())

    # --- widget ---------------------------------------------------------------

    async def take_unshown(
        self, customer_id: str, notice_id: int | None = None
    ) -> list[tuple[int, str, str]]:
        """The customer's sent notices no widget has shown (or that one), marked shown:
        whichever socket asks first gets each, so a notice is shown once."""
        return await self.store.take_unshown(customer_id, self.clock(), notice_id)

    # --- shop changes ---------------------------------------------------------

    async def shop_event(self, kind: str, data: dict[str, str]) -> int:
        """A shop platform's `order.updated` / `product.updated` / `customer.updated`."""
        files = {
            "order.updated": "orders.csv",
            "product.updated": "products.csv",
            "customer.updated": "customers.csv",
        }
        if kind not in files:
            raise InputError(f"unknown event type {kind!r}", code="unknown_event")
        return await self.store.apply_records(files[kind], [data], self.clock(), self.templates())
