"""The actions' customer store and clock, handed to them by the composition root.

In the server, `bot.app` hands the actions its own customer store (`configure(store=...)`).
A standalone action server (`python -m rasa_sdk --actions actions`) has no server around it:
at first use the actions ask the composition root (`bot.app.open_customer_store`) for the store
the settings name (BALCAO_DATABASE, else BALCAO_DB, default var/balcao.sqlite3), opened lazily
so nothing is opened at import time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.ports import CustomerStore, NoticeStore

if TYPE_CHECKING:
    from bot.config import Settings

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Config:
    store: CustomerStore | None = None
    closer: Callable[[], None] | None = None
    notices: NoticeStore | None = None
    notices_closer: Callable[[], None] | None = None
    settings: Settings | None = None
    clock: Clock = staticmethod(_utc_now)


def configure(
    db_path: Path | str | None = None,
    *,
    clock: Clock | None = None,
    database_url: str | None = None,
    store: CustomerStore | None = None,
) -> None:
    """Use `store` from now on; or, without one, the store the settings name (the SQLite file
    at `db_path`, or the PostgreSQL database at `database_url`; the environment's when
    neither is given)."""
    close()
    if store is None:
        from bot.app import open_customer_store
        from bot.config import Settings

        settings = Settings.from_env(os.environ)
        if database_url:
            settings = replace(settings, database=database_url)
        elif db_path is not None:
            settings = replace(settings, db=Path(db_path), database="")
        store, _Config.closer = open_customer_store(settings)
        _Config.settings = settings  # the notice store, if asked for, is in the same place
    _Config.store = store
    _Config.clock = clock or _utc_now


def close() -> None:
    """Close a store the actions opened themselves; a handed store belongs to its owner."""
    if _Config.closer is not None:
        _Config.closer()
    if _Config.notices_closer is not None:
        _Config.notices_closer()
    _Config.notices = None
    _Config.store = None
    _Config.closer = None
    _Config.notices_closer = None
    _Config.settings = None


def configure_notices(store: NoticeStore) -> None:
    """Use the server's notice store (consent, occasions) from now on."""
    _Config.notices = store


def notice_store() -> NoticeStore:
    """The notice store: the server's, or (a standalone action server) the one the settings
    name, opened lazily at first use."""
    if _Config.notices is None:
        from bot.app import open_notice_store
        from bot.config import Settings

        settings = _Config.settings or Settings.from_env(os.environ)
        _Config.notices, _Config.notices_closer = open_notice_store(settings)
    return _Config.notices


def customer_store() -> CustomerStore:
    if _Config.store is None:
        configure()
    assert _Config.store is not None
    return _Config.store


def now() -> datetime:
    return _Config.clock()
