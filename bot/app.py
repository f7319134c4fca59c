"""The composition root: `create_app(settings)` builds every adapter and wires it.

Nothing else in Balcão constructs infrastructure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from bot.action_runner import InProcessActionRunner, RemoteActionRunner
from bot.broker import InProcessBroker
from bot.config import Settings
from bot.dialogue import Dialogue
from bot.matching import FuzzyMatcher, MatcherFactory
from bot.ports import ActionRunner
from bot.reloader import KnowledgeReloader
from bot.service import ChatService
from bot.storage.conversations import SqliteConversationStore
from bot.storage.conversations import migrations as conversation_migrations
from bot.storage.customers import migrations as customer_migrations
from bot.storage.sqlite import SqliteDatabase
from channels import health, pages, rest, widget
from channels.errors import error_middleware
from channels.keys import BROKER, RELOADER, SERVICE, SETTINGS, STORE

logger = logging.getLogger(__name__)

DATABASE = web.AppKey("database", SqliteDatabase)
MIGRATIONS = (conversation_migrations, customer_migrations)


def default_matcher_factory() -> MatcherFactory:
    return FuzzyMatcher


def create_app(
    settings: Settings, matcher_factory: MatcherFactory | None = None
) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[error_middleware])
    app[SETTINGS] = settings
    app[BROKER] = InProcessBroker()
    app[RELOADER] = KnowledgeReloader(settings.kb, matcher_factory or default_matcher_factory())
    app[widget.SOCKETS] = weakref.WeakSet()
    app.cleanup_ctx.append(_storage)
    app.cleanup_ctx.append(_services)
    app.cleanup_ctx.append(_knowledge_watch)
    app.on_shutdown.append(widget.close_sockets)
    for routes in (health.routes, rest.routes, widget.routes, pages.routes):
        app.add_routes(routes)
    pages.add_static(app)
    return app


async def _storage(app: web.Application) -> AsyncIterator[None]:
    database = await SqliteDatabase(app[SETTINGS].db, MIGRATIONS).open()
    app[DATABASE] = database
    app[STORE] = SqliteConversationStore(database)
    yield
    await database.close()


async def _services(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    session: aiohttp.ClientSession | None = None
    runner: ActionRunner
    if settings.action_server_url:
        session = aiohttp.ClientSession()
        runner = RemoteActionRunner(settings.action_server_url, session)
    else:
        import actions

        actions.configure(settings.db)
        runner = InProcessActionRunner(settings.actions_package)
    dialogue = Dialogue(runner, default_language=settings.default_language)
    app[SERVICE] = ChatService(app[STORE], dialogue, app[RELOADER].current, app[BROKER])
    yield
    if session is not None:
        await session.close()


async def _knowledge_watch(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[RELOADER].watch(app[SETTINGS].kb_poll_seconds))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
