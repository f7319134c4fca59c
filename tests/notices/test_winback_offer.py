"""A win-back offer is booked as goodwill when, and only when, its notice is sent: on
SQLite and on PostgreSQL, with a controllable clock and a real SMTP server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.adapters.customer_rows import numbered
from bot.adapters.postgres import PostgresDatabase
from bot.adapters.postgres.audit import PostgresAuditLog
from bot.adapters.postgres.customers import PostgresCustomerStore
from bot.adapters.postgres.notices import PostgresNoticeStore
from bot.adapters.smtp import SmtpConfig, SmtpMailer
from bot.adapters.sqlite.audit import SqliteAuditLog
from bot.adapters.sqlite.customers import SqliteCustomerStore
from bot.adapters.sqlite.database import SqliteDatabase
from bot.adapters.sqlite.notices import SqliteNoticeStore
from bot.app import MIGRATIONS
from bot.core.customers import Transaction
from bot.core.notices import Due, Restraint
from bot.errors import ConfigError
from bot.knowledge.notices import load_templates
from bot.ports import AuditLog, CustomerStore, NoticeStore
from bot.services.notices import NoticeService
from bot.services.winback import WinbackOffers, parse_offer
from tests.notices.conftest import Clock, Sink, free_port, subject_of
from tests.notices.test_store_parity import customer, order

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)  # noon in UTC, the customers' time zone
LIMITS = {"top": Decimal("20"), "other": Decimal("5")}
Query = Callable[..., Awaitable[list[tuple[Any, ...]]]]


@dataclass
class Shop:
    notices: NoticeStore
    customers: CustomerStore
    audit: AuditLog
    query: Query
    templates: Any
    url: str
    clock: Clock
    complaints: set[str]
    mailers: list[SmtpMailer] = field(default_factory=list)

    def service(self, rules: Restraint | None = None, *, url: str = "") -> NoticeService:
        """A notice service over these stores: what one process (or one restart) builds."""

        async def value_of(customer_id: str) -> tuple[str | None, str | None]:
            return ("top", "dissolution")

        async def open_complaint(customer_id: str) -> bool:
            return customer_id in self.complaints

        offers = WinbackOffers(
            self.customers, LIMITS, amount=Decimal("10"), period_days=30, audit=self.audit
        )
        self.mailers.append(SmtpMailer(SmtpConfig.parse(url or self.url)))
        return NoticeService(
            self.notices,
            self.customers,
            lambda: self.templates,
            mailer=self.mailers[-1],
            rules=rules or Restraint(),
            mail_from="help@shop.example",
            public_url="https://shop.example",
            key=b"k" * 32,
            open_complaint=open_complaint,
            value_of=value_of,
            offers=offers,
            clock=self.clock,
        )

    async def owe_winback(self, customer_id: str = "K1") -> None:
        await self.notices.enqueue([Due("winback.offer", customer_id, "2026H1", NOW)], NOW)

    async def winback_credits(self, customer_id: str = "K1") -> list[Transaction]:
        return [
            t
            for t in await self.customers.transactions_of(customer_id)
            if t.transaction_id.startswith("WB-")
        ]


@pytest.fixture
async def shop(
    store_overrides: dict[str, Any], tmp_path: Path, notice_kb: Path, smtp: tuple[Sink, str]
) -> AsyncIterator[Shop]:
    """K1 (opted in to marketing, one order in EUR) and K2, on the store of each kind."""
    clock = Clock(NOW)
    templates = load_templates(notice_kb)
    if store_overrides:
        postgres = await PostgresDatabase(store_overrides["database"]).open()

        async def pg_query(sql: str, *args: Any) -> list[tuple[Any, ...]]:
            async with postgres.connection() as conn:
                return [tuple(r) for r in await conn.fetch(numbered(sql), *args)]

        world = Shop(
            PostgresNoticeStore(postgres), PostgresCustomerStore(postgres),
            PostgresAuditLog(postgres), pg_query, templates, smtp[1], clock, set(),
        )  # fmt: skip
        close: Callable[[], Awaitable[None]] = postgres.close
    else:
        database = await SqliteDatabase(tmp_path / "w.sqlite3", MIGRATIONS).open()

        async def sqlite_query(sql: str, *args: Any) -> list[tuple[Any, ...]]:
            return await database.run(lambda db: [tuple(r) for r in db.execute(sql, list(args))])

        world = Shop(
            SqliteNoticeStore(database), SqliteCustomerStore(database),
            SqliteAuditLog(database), sqlite_query, templates, smtp[1], clock, set(),
        )  # fmt: skip
        close = database.close
    await world.notices.apply_records(
        "customers.csv", [customer("K1"), customer("K2")], NOW, templates
    )
    await world.notices.apply_records(
        "orders.csv", [order("O1", "K1", "delivered", "2025-06-01")], NOW, templates
    )
    await world.notices.set_consent("K1", "marketing", "in", NOW, "chat", "yes, send me offers")
    yield world
    for mailer in world.mailers:
        await mailer.close()
    await close()


async def test_a_sent_winback_offer_is_booked_once_as_goodwill_by_win_back(
    shop: Shop, smtp: tuple[Sink, str]
) -> None:
    sink, _ = smtp
    service = shop.service()
    await shop.owe_winback()
    assert await service.run_due() == 1
    [mail] = sink.received()
    assert subject_of(mail) == "We miss you, Kim: €10.00 on us"
    assert "**€10.00**" in mail.get_payload(decode=True).decode()
    [credit] = await shop.winback_credits()
    assert (credit.kind, credit.amount, credit.currency, credit.status, credit.method) == (
        "credit", Decimal("10.00"), "EUR", "settled", "goodwill",
    )  # fmt: skip
    # the customer's payments show goodwill; the audit log says who: win-back, not staff
    [(actor, action, details)] = await shop.query(
        "SELECT actor, action, details FROM audit WHERE subject = ?", "customer:K1"
    )
    assert (actor, action) == ("win-back", "goodwill.grant")
    assert json.loads(details)["transaction"] == credit.transaction_id
    # scanning again (or a restarted process) sends and books nothing more
    shop.clock.now += timedelta(minutes=5)
    assert await shop.service().run_due() == 0
    assert len(await shop.winback_credits()) == 1 and len(sink.received()) == 1


async def test_with_the_allowance_used_up_she_gets_the_light_touch_and_nothing_is_booked(
    shop: Shop, smtp: tuple[Sink, str]
) -> None:
    sink, _ = smtp
    # an agent granted 15 of her 20 this month: a 10 offer does not fit
    granted = Transaction(
        "GW-1", "K1", "O1", NOW - timedelta(days=3), "refund", Decimal(15), "EUR",
        "pending", "goodwill",
    )  # fmt: skip
    since = NOW - timedelta(days=30)
    assert await shop.customers.record_goodwill(granted, limit=LIMITS["top"], since=since)
    service = shop.service()
    await shop.owe_winback()
    assert await service.run_due() == 1
    [mail] = sink.received()
    assert subject_of(mail) == "We miss you, Kim"
    assert "€" not in mail.get_payload(decode=True).decode()
    assert await shop.winback_credits() == []
    [(reason,)] = await shop.query(
        "SELECT reason FROM notices WHERE trigger = 'winback.offer' AND status = 'sent'"
    )
    assert reason == "light_touch"
    # a month later the agent's grant is out of the period: the next half-year's offer fits
    shop.clock.now = NOW + timedelta(days=31)
    await shop.notices.enqueue([Due("winback.offer", "K1", "2026H2", shop.clock.now)], NOW)
    assert await service.run_due() == 1
    assert [c.amount for c in await shop.winback_credits()] == [Decimal("10.00")]


@pytest.mark.parametrize(
    "held_back",
    ["holdout", "quiet_hours", "open_complaint", "frequency_cap", "no_opt_in", "opted_out"],
)
async def test_a_winback_held_back_books_no_goodwill(
    shop: Shop, smtp: tuple[Sink, str], held_back: str
) -> None:
    sink, _ = smtp
    rules = Restraint(max_per_week=3, quiet_start=time(21), quiet_end=time(9))
    who = "K1"
    if held_back == "holdout":
        rules = replace(rules, holdout_share=1.0)
    elif held_back == "quiet_hours":
        shop.clock.now = NOW.replace(hour=22)
    elif held_back == "open_complaint":
        shop.complaints.add("K1")
    elif held_back == "frequency_cap":
        rules = replace(rules, max_per_week=0)
    elif held_back == "no_opt_in":
        who = "K2"
    else:
        await shop.notices.set_consent("K1", "marketing", "out", NOW, "chat", "stop")
    service = shop.service(rules)
    await shop.owe_winback(who)
    assert await service.run_due() == 0
    assert sink.received() == []
    assert await shop.winback_credits(who) == []
    assert await shop.query("SELECT actor FROM audit") == []


class RefuseFirst(Sink):
    """An SMTP server that refuses the first message (451: try later), then accepts."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.refused:
            self.refused += 1
            return "451 try again later"
        return await super().handle_DATA(server, session, envelope)


async def test_a_winback_sent_again_after_a_failed_send_and_a_restart_is_booked_once(
    shop: Shop,
) -> None:
    sink = RefuseFirst()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        first = shop.service(url=f"smtp://127.0.0.1:{port}")
        await shop.owe_winback()
        assert await first.run_due() == 0  # booked, then the mail server said "later"
        assert sink.refused == 1 and len(await shop.winback_credits()) == 1
        # another process (or this one restarted) takes it when the lease runs out
        shop.clock.now += timedelta(minutes=3)
        second = shop.service(url=f"smtp://127.0.0.1:{port}")
        assert await second.run_due() == 1
        [mail] = sink.received()
        assert subject_of(mail) == "We miss you, Kim: €10.00 on us"
        [credit] = await shop.winback_credits()
        assert credit.amount == Decimal("10.00")
        assert len(await shop.query("SELECT actor FROM audit WHERE actor = 'win-back'")) == 1
    finally:
        controller.stop()


@pytest.mark.parametrize(
    "text,amount",
    [("10", Decimal("10.00")), ("7.50", Decimal("7.50")), (" 0 ", Decimal("0.00"))],
)
def test_the_offer_setting_is_an_amount(text: str, amount: Decimal) -> None:
    assert parse_offer(text) == amount


@pytest.mark.parametrize("text", ["-5", "ten", "NaN", "1e9", "2.555", ""])
def test_a_bad_offer_setting_is_refused_with_its_name(text: str) -> None:
    with pytest.raises(ConfigError, match="BALCAO_WINBACK_OFFER"):
        parse_offer(text)
