"""The composition root: `create_app(settings)` builds every adapter and wires it.

Nothing else in Balcão constructs infrastructure.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import importlib
import logging
import os
import secrets
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.adapters.broker import InProcessBroker
from bot.adapters.files import FileAttachmentStore
from bot.adapters.hashing import ThreadPasswordHasher
from bot.adapters.rasa.action_runner import InProcessActionRunner, RemoteActionRunner
from bot.adapters.rate_limit import MemoryRateLimiter
from bot.adapters.sqlite.agents import SqliteAgentStore
from bot.adapters.sqlite.agents import migrations as agent_migrations
from bot.adapters.sqlite.analytics import SqliteAnalyticsStore
from bot.adapters.sqlite.audit import SqliteAuditLog, SqlitePrivacyStore
from bot.adapters.sqlite.audit import migrations as audit_migrations
from bot.adapters.sqlite.community import SqliteCommunityStore
from bot.adapters.sqlite.community import migrations as community_migrations
from bot.adapters.sqlite.conversations import SqliteConversationStore
from bot.adapters.sqlite.conversations import migrations as conversation_migrations
from bot.adapters.sqlite.customers import SqliteCustomerStore
from bot.adapters.sqlite.customers import migrations as customer_migrations
from bot.adapters.sqlite.database import LazySqliteDatabase, SqliteDatabase
from bot.adapters.sqlite.handoffs import SqliteHandoffStore
from bot.adapters.sqlite.handoffs import migrations as handoff_migrations
from bot.adapters.sqlite.notices import SqliteNoticeStore
from bot.adapters.sqlite.notices import migrations as notice_migrations
from bot.config import Settings
from bot.core.business_hours import BusinessHours
from bot.core.dialogue import Dialogue
from bot.core.goodwill import parse_limits
from bot.core.metrics import Metrics
from bot.core.notices import Restraint
from bot.errors import ConfigError, InputError
from bot.knowledge.canned import load_canned
from bot.ports import (
    ActionRunner,
    AgentStore,
    Broker,
    CustomerStore,
    Mailer,
    MatcherFactory,
    NoticeStore,
    PrivacyStore,
    Warehouse,
    WarehouseSource,
)
from bot.services.attachments import AttachmentService
from bot.services.chat import ChatService
from bot.services.community import CommunityService
from bot.services.conversation_log import ConversationLog
from bot.services.desk import Desk
from bot.services.email_replies import EmailReplies
from bot.services.goodwill import GoodwillService
from bot.services.inbox import Inbox
from bot.services.insights import CustomerInsights
from bot.services.notices import NoticeService
from bot.services.privacy import PrivacyService
from bot.services.reloader import KnowledgeReloader
from bot.services.sign_in_links import SignInLinks
from bot.services.topics import MostAsked
from bot.services.winback import WinbackOffers, parse_offer
from channels import (
    admin,
    api,
    attachments,
    auth,
    community,
    community_signin,
    console,
    health,
    help,
    mail,
    metrics,
    notices,
    openapi,
    pages,
    privacy,
    rest,
    widget,
)
from channels.errors import error_middleware
from channels.headers import security_headers
from channels.keys import (
    AGENTS,
    ANALYTICS,
    ANSWER_KEY,
    ATTACHMENTS,
    AUDIT,
    BROKER,
    CANNED,
    COMMUNITY,
    COMMUNITY_STORE,
    CUSTOMERS,
    DESK,
    EMAIL,
    GOODWILL,
    HANDOFFS,
    HASHER,
    INBOX,
    INSIGHTS,
    LIMITS,
    LOG,
    LOOP,
    METRICS,
    NOTICES,
    PRIVACY,
    RELOADER,
    REST_TOKENS,
    SERVICE,
    SETTINGS,
    SIGN_IN_LINKS,
    STORE,
    STORE_PROBE,
    TOPICS,
)
from channels.limits import Limits
from channels.loop_monitor import LoopMonitor

logger = logging.getLogger(__name__)

NOTICE_STORE = web.AppKey("notice_store", NoticeStore)
MAILER = web.AppKey("mailer", Mailer)  # only when BALCAO_SMTP_URL is set

# the embedded store, for the retention schedule only (channels reach the stores through ports)
DATABASE = web.AppKey("database", SqliteDatabase)
PRIVACY_STORE = web.AppKey("privacy_store", PrivacyStore)

MIGRATIONS = (
    conversation_migrations,
    customer_migrations,
    agent_migrations,
    handoff_migrations,
    audit_migrations,
    community_migrations,
    notice_migrations,
)
RETENTION_EVERY = 6 * 3600.0


def default_matcher_factory(settings: Settings) -> MatcherFactory:
    from bot.understanding import matcher_factory

    return matcher_factory(settings.encoder, settings.encoder_runtime, settings.contrastive)


def derived_key(settings: Settings, purpose: bytes) -> bytes:
    """A key for one purpose, from BALCAO_SECRET, so that every process of a deployment
    accepts the others' tokens and they outlive a restart; without one, this process's own."""
    secret = settings.secret.reveal()
    if not secret:
        return secrets.token_bytes(32)
    return hmac.new(secret.encode("utf-8"), purpose, hashlib.sha256).digest()


def answer_key(settings: Settings) -> bytes:
    """The key of answer tokens."""
    return derived_key(settings, b"balcao answer tokens")


def create_app(
    settings: Settings, matcher_factory: MatcherFactory | None = None
) -> web.Application:
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[security_headers, error_middleware],
    )
    app[SETTINGS] = settings
    app[BROKER] = InProcessBroker()
    app[METRICS] = Metrics()
    app[LIMITS] = Limits(settings, MemoryRateLimiter(), app[METRICS])
    app[METRICS].websockets.read = lambda: app[LIMITS].open_sockets
    app[LOOP] = LoopMonitor()
    app.cleanup_ctx.append(_password_hasher)
    app[METRICS].loop_lag.read = lambda: app[LOOP].lag
    app[RELOADER] = KnowledgeReloader(
        settings.kb, matcher_factory or default_matcher_factory(settings)
    )
    app[CANNED] = load_canned(settings.kb / "canned.yml")
    app[ANSWER_KEY] = answer_key(settings)
    app[REST_TOKENS] = rest.rest_tokens(settings.rest_tokens)
    app[widget.SOCKETS] = weakref.WeakSet()
    app[console.SOCKETS] = weakref.WeakSet()
    app.cleanup_ctx.append(_storage)
    app.cleanup_ctx.append(_services)
    app.cleanup_ctx.append(_knowledge_watch)
    app.cleanup_ctx.append(_retention)
    app.cleanup_ctx.append(_notices)
    app.cleanup_ctx.append(_loop_monitor)
    app.on_shutdown.append(widget.close_sockets)
    app.on_shutdown.append(console.close_sockets)
    for module in (
        health, rest, widget, auth, api, console, admin, openapi, metrics, notices, mail,
        pages, help, community, community_signin, attachments, privacy,
    ):  # fmt: skip
        app.add_routes(module.routes)
    pages.add_static(app)
    return app


async def _password_hasher(app: web.Application) -> AsyncIterator[None]:
    """One thread for scrypt, beside the event loop; a bounded queue in front of it."""
    hasher = ThreadPasswordHasher(workers=1, queue=app[SETTINGS].hash_queue)
    app[HASHER] = hasher
    yield
    hasher.close()


async def _storage(app: web.Application) -> AsyncIterator[None]:
    """SQLite by default; PostgreSQL and Redis when several processes share the work."""
    settings = app[SETTINGS]
    async with contextlib.AsyncExitStack() as stack:
        if settings.redis:
            from bot.adapters.redis.broker import RedisBroker
            from bot.adapters.redis.rate_limit import RedisRateLimiter

            broker = await RedisBroker.from_url(settings.redis).open()
            stack.push_async_callback(broker.close)
            app[BROKER] = broker
            app[LIMITS].limiter = RedisRateLimiter(broker.client, broker.prefix + "rate:")
        if settings.database:
            from bot.adapters.postgres import (
                PostgresAgentStore,
                PostgresAnalyticsStore,
                PostgresAuditLog,
                PostgresCommunityStore,
                PostgresConversationStore,
                PostgresCustomerStore,
                PostgresDatabase,
                PostgresHandoffStore,
                PostgresPrivacyStore,
            )

            postgres = await PostgresDatabase(settings.database).open()
            app[STORE_PROBE] = postgres.probe
            stack.push_async_callback(postgres.close)
            app[ANALYTICS] = PostgresAnalyticsStore(postgres)
            app[AUDIT] = PostgresAuditLog(postgres)
            app[PRIVACY_STORE] = PostgresPrivacyStore(postgres)
            app[STORE] = PostgresConversationStore(postgres)
            app[AGENTS] = PostgresAgentStore(postgres)
            app[HANDOFFS] = PostgresHandoffStore(postgres)
            app[CUSTOMERS] = PostgresCustomerStore(postgres)
            app[COMMUNITY_STORE] = PostgresCommunityStore(postgres)
            from bot.adapters.postgres.notices import PostgresNoticeStore

            app[NOTICE_STORE] = PostgresNoticeStore(postgres)
        else:
            database = await SqliteDatabase(
                settings.db, MIGRATIONS, settings.sqlite_synchronous
            ).open()
            app[STORE_PROBE] = database.probe
            stack.push_async_callback(database.close)
            app[DATABASE] = database
            analytics = SqliteAnalyticsStore(database)
            await analytics.ensure_schema()
            app[ANALYTICS] = analytics
            app[AUDIT] = SqliteAuditLog(database)
            app[PRIVACY_STORE] = SqlitePrivacyStore(database)
            app[STORE] = SqliteConversationStore(database)
            app[AGENTS] = SqliteAgentStore(database)
            app[HANDOFFS] = SqliteHandoffStore(database)
            app[CUSTOMERS] = SqliteCustomerStore(database)
            app[COMMUNITY_STORE] = SqliteCommunityStore(database)
            app[NOTICE_STORE] = SqliteNoticeStore(database)
        app[INSIGHTS] = CustomerInsights(app[CUSTOMERS])
        yield


async def _services(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    session: aiohttp.ClientSession | None = None
    runner: ActionRunner
    if settings.action_server_url:
        session = aiohttp.ClientSession()
        runner = RemoteActionRunner(
            settings.action_server_url, session, timeout=settings.action_timeout
        )
    else:
        runner = InProcessActionRunner(settings.actions_package, timeout=settings.action_timeout)
        hand_stores_to_actions(settings.actions_package, app[CUSTOMERS], app.get(NOTICE_STORE))
    community = CommunityService(
        app[COMMUNITY_STORE],
        app.get(AUDIT),
        app[RELOADER].current,
        public_url=settings.public_url,
    )
    app[COMMUNITY] = community
    app[TOPICS] = MostAsked(app.get(ANALYTICS), default_language=settings.default_language)
    dialogue = Dialogue(
        runner,
        default_language=settings.default_language,
        escalate_on_fallback=settings.escalate_on_fallback,
        verification_ttl=settings.verification_minutes * 60,
        community=community.suggest if settings.community_in_chat else None,
    )
    log = ConversationLog(
        app[STORE],
        app[BROKER],
        cache_states=not settings.database,  # several processes: the store is the truth
    )
    inbox = Inbox(app[HANDOFFS], log, app[CUSTOMERS])
    desk = Desk(
        app[HANDOFFS],
        app[AGENTS],
        log,
        app[BROKER],
        BusinessHours.parse(settings.business_hours, settings.timezone, settings.holidays),
        profiles=app[INSIGHTS].profile,
        auto_assign=settings.auto_assign,
        handle_seconds=settings.handle_minutes * 60,
        limiter=app[LIMITS].limiter,
        handoffs_per_address=settings.ip_handoffs_per_hour,
        summaries=inbox.summaries,
    )
    chat = ChatService(
        log,
        dialogue,
        app[RELOADER].current,
        desk.open,
        metrics=app[METRICS],
        record_contact=app[HANDOFFS].set_contact,
    )
    app[LOG] = log
    app[SERVICE] = chat
    app[DESK] = desk
    app[ATTACHMENTS] = AttachmentService(
        attachment_store(settings),
        log,
        settings.attachment_max_bytes,
        key=derived_key(settings, b"balcao attachment links"),
    )
    app[INBOX] = inbox
    app[GOODWILL] = GoodwillService(
        desk,
        chat,
        app[INSIGHTS],
        app[CUSTOMERS],
        parse_limits(settings.goodwill_limits),
        period_days=settings.goodwill_period_days,
        audit=app[AUDIT],
    )
    app[PRIVACY] = PrivacyService(
        app[PRIVACY_STORE], app[BROKER], settings.kb, attachment_store(settings)
    )
    follower = asyncio.create_task(log.follow_invalidations())
    mailer = None
    if settings.smtp_url.reveal():
        from bot.adapters.smtp import SmtpConfig, SmtpMailer

        mailer = SmtpMailer(SmtpConfig.parse(settings.smtp_url.reveal()))
        app[MAILER] = mailer
    app[SIGN_IN_LINKS] = SignInLinks(
        app[COMMUNITY_STORE],
        app[CUSTOMERS],
        mailer,
        mail_from=settings.mail_from,
        public_url=settings.link_base,
    )
    app[EMAIL] = EmailReplies(
        desk,
        chat,
        mailer,
        key=notice_key(settings),
        mail_from=settings.mail_from,
        public_url=settings.link_base,
        max_chars=settings.max_message_chars,
    )
    yield
    follower.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await follower
    await app[SIGN_IN_LINKS].close()
    if mailer is not None:
        await mailer.close()
    if session is not None:
        await session.close()


async def _knowledge_watch(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[RELOADER].watch(app[SETTINGS].kb_poll_seconds))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _loop_monitor(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[LOOP].run())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _retention(app: web.Application) -> AsyncIterator[None]:
    """Retention on a schedule when BALCAO_RETENTION_DAYS is set (bot/services/privacy.py)."""
    days = app[SETTINGS].retention_days

    async def loop() -> None:
        while True:
            erased = await app[PRIVACY].retention(days, actor="retention-schedule", now=time.time())
            logger.info(
                "retention: blanked %d events older than %d days", erased.counts["events"], days
            )
            await asyncio.sleep(RETENTION_EVERY)

    task = asyncio.create_task(loop()) if days > 0 else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _notices(app: web.Application) -> AsyncIterator[None]:
    """Notices (README "Reaching out"): the service, and the scheduler's periodic scan."""
    settings = app[SETTINGS]
    store = app.get(NOTICE_STORE)
    if store is None or not settings.notices:
        yield
        return
    from bot.adapters.scheduler import NoticeScheduler
    from bot.knowledge.notices import load_templates

    mailer = app.get(MAILER)
    templates = load_templates(settings.kb)
    handoffs = app[HANDOFFS]

    async def open_complaint(customer_id: str) -> bool:
        return any(
            h.customer_id == customer_id and h.reason in ("complaint", "at_risk")
            for h in await handoffs.list()
        )

    insights = app[INSIGHTS]

    async def value_of(customer_id: str) -> tuple[str | None, str | None]:
        value = await insights.value(customer_id)
        return (value.tier, value.stage) if value is not None else (None, None)

    service = NoticeService(
        store,
        app[CUSTOMERS],
        lambda: templates,
        mailer=mailer,
        rules=restraint(settings),
        mail_from=settings.mail_from,
        public_url=settings.link_base,
        key=notice_key(settings),
        open_complaint=open_complaint,
        default_timezone=settings.timezone,
        value_of=value_of,
        broker=app[BROKER],
        offers=WinbackOffers(
            app[CUSTOMERS],
            parse_limits(settings.goodwill_limits),
            amount=parse_offer(settings.winback_offer),
            period_days=settings.goodwill_period_days,
            audit=app[AUDIT],
        ),
    )
    app[NOTICES] = service
    scheduler = NoticeScheduler(
        service.run_due, settings.notice_poll_seconds, scan_time=service.scan_time
    )
    scheduler.start()
    yield
    await scheduler.stop()


def restraint(settings: Settings) -> Restraint:
    try:
        start, end = (
            dt.time.fromisoformat(part.strip()) for part in settings.notice_quiet_hours.split("-")
        )
    except ValueError as exc:
        raise ConfigError(
            f"BALCAO_NOTICE_QUIET_HOURS={settings.notice_quiet_hours!r} is not like 21:00-09:00"
        ) from exc
    return Restraint(
        max_per_week=settings.notice_max_per_week,
        quiet_start=start,
        quiet_end=end,
        holdout_share=settings.notice_holdout,
    )


def notice_key(settings: Settings) -> bytes:
    """Signs unsubscribe links and reply addresses."""
    return derived_key(settings, b"balcao notices")


def hand_stores_to_actions(
    package: str, customers: CustomerStore, notices: NoticeStore | None = None
) -> None:
    """Give the in-process actions the server's own customer and notice stores.

    The actions package is a plug-in named by a setting (`BALCAO_ACTIONS`, as Rasa's actions
    folder is), so it is reached by name: one that has a `configure(store=...)` is handed the
    store (and `configure_notices(store)` the notice store); one that has not finds its own way.
    """
    module = importlib.import_module(package)
    configure = getattr(module, "configure", None)
    if callable(configure):
        configure(store=customers)
    configure_notices = getattr(module, "configure_notices", None)
    if notices is not None and callable(configure_notices):
        configure_notices(notices)


def open_customer_store(settings: Settings) -> tuple[CustomerStore, Callable[[], None]]:
    """The customer store the settings name, opened lazily at first use, and how to close it:
    for code that runs outside the server's lifespan (a standalone action server, `kb test`)."""
    if settings.database:
        from bot.adapters.postgres import PostgresCustomerStore, PostgresDatabase

        postgres = PostgresDatabase(settings.database, max_size=4, lazy=True)
        return PostgresCustomerStore(postgres), postgres.terminate
    database = LazySqliteDatabase(settings.db, (customer_migrations,))
    return SqliteCustomerStore(database), database.close


def open_notice_store(settings: Settings) -> tuple[NoticeStore, Callable[[], None]]:
    """The notice store the settings name, opened lazily, and how to close it: for a
    standalone action server (consent and occasions asked for in chat)."""
    if settings.database:
        from bot.adapters.postgres import PostgresDatabase
        from bot.adapters.postgres.notices import PostgresNoticeStore

        postgres = PostgresDatabase(settings.database, max_size=2, lazy=True)
        return PostgresNoticeStore(postgres), postgres.terminate
    database = LazySqliteDatabase(settings.db, (customer_migrations, notice_migrations))
    return SqliteNoticeStore(database), database.close


@asynccontextmanager
async def open_agent_store(settings: Settings) -> AsyncIterator[AgentStore]:
    """The agent store the settings name, open for one command (`balcao agents ...`)."""
    if settings.database:
        from bot.adapters.postgres import PostgresAgentStore, PostgresDatabase

        postgres = await PostgresDatabase(settings.database, max_size=1).open()
        try:
            yield PostgresAgentStore(postgres)
        finally:
            await postgres.close()
        return
    database = await SqliteDatabase(settings.db, MIGRATIONS).open()
    try:
        yield SqliteAgentStore(database)
    finally:
        await database.close()


async def open_warehouse_source(
    settings: Settings,
) -> tuple[WarehouseSource, Callable[[], Awaitable[None]]]:
    """What `balcao warehouse export` reads: PostgreSQL when BALCAO_DATABASE is set, else the
    SQLite file; and how to close it."""
    from bot.adapters.warehouse.sources import PostgresWarehouseSource, SqliteWarehouseSource

    if settings.database:
        postgres = await PostgresWarehouseSource.connect(settings.database)
        return postgres, postgres.close
    sqlite = SqliteWarehouseSource(settings.db)

    async def close() -> None:
        sqlite.close()

    return sqlite, close


def open_warehouse(target: Path, fmt: str) -> Warehouse:
    """The DuckDB file (or Parquet folder) an export writes."""
    from bot.adapters.warehouse.duckdb_warehouse import DuckDbWarehouse

    return DuckDbWarehouse(target, fmt)


def attachment_store(settings: Settings) -> FileAttachmentStore:
    """Customers' files: a folder beside the SQLite file (also when the rows are on
    PostgreSQL), the same for the server and the commands."""
    return FileAttachmentStore(settings.db.parent / "attachments")


@asynccontextmanager
async def open_privacy(settings: Settings) -> AsyncIterator[PrivacyService]:
    """Export, forget and retention on the store the settings name, for one command. With
    BALCAO_REDIS set, the invalidations reach every server process (they drop their cached
    copies and close the erased conversations' sockets)."""
    async with contextlib.AsyncExitStack() as stack:
        broker: Broker = InProcessBroker()
        if settings.redis:
            from bot.adapters.redis.broker import RedisBroker

            redis = await RedisBroker.from_url(settings.redis).open()
            stack.push_async_callback(redis.close)
            broker = redis
        store: PrivacyStore
        if settings.database:
            from bot.adapters.postgres import PostgresDatabase, PostgresPrivacyStore

            postgres = await PostgresDatabase(settings.database, max_size=2).open()
            stack.push_async_callback(postgres.close)
            store = PostgresPrivacyStore(postgres)
        else:
            if not await asyncio.to_thread(Path(settings.db).is_file):
                raise InputError(f"{settings.db}: database not found")
            database = await SqliteDatabase(settings.db, MIGRATIONS).open()
            stack.push_async_callback(database.close)
            store = SqlitePrivacyStore(database)
        yield PrivacyService(store, broker, settings.kb, attachment_store(settings))


def warehouse_key(settings: Settings) -> str:
    """The key of the warehouse's pseudonymous customer keys: BALCAO_SECRET; without one, on
    the embedded store, a random key made once and kept beside the SQLite file (readable by
    its owner only), so that exports stay joinable from one to the next and no customer id
    is hashed without a key. Several processes (PostgreSQL) must set BALCAO_SECRET."""
    secret = settings.secret.reveal()
    if secret:
        return secret
    if settings.database:
        raise ConfigError(
            "BALCAO_SECRET is empty: the warehouse's customer keys are keyed hashes under it"
        )
    path = Path(f"{settings.db}.warehouse-key")
    try:
        return path.read_text("ascii").strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(key + "\n")
        return key
