"""Adapters: the ports of `bot.ports` on real technology.

    sqlite/    the embedded store (sqlite-utils, one writer thread, migrations)
    postgres/  the same stores on PostgreSQL (asyncpg), for several processes
    redis/     the broker and rate limiter shared by processes
    rasa/      rasa-sdk actions in process or on an action server, and Rasa's tracker shapes
    broker.py, rate_limit.py   their in-process counterparts; memory.py   fakes for unit tests
    shop_csv.py  the shop's CSV exports read into validated values (`balcao data import`)
    customer_rows.py, conversation_rows.py, handoff_rows.py, analytics_rows.py,
    personal_data.py   the statements and row mappers the SQLite and PostgreSQL stores share

May import: `bot.ports`, `bot.core`, `bot.knowledge`, `bot.understanding`, `bot.errors`,
`bot.config`. Never `bot.services`, `bot.app`, `bot.cli` or `channels`. Only `bot.app` (and
the CLI through it) constructs an adapter.
"""
