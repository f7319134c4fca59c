"""The PostgreSQL schema, as numbered versions applied in order.

Table `balcao_migrations (version, name, applied_at)` records what is applied.
Each pending version runs in its own transaction under an advisory lock, so
several processes starting at once apply each version exactly once. Add a new
version at the end; never edit one that has shipped.

The tables mirror the SQLite ones (bot/storage/*.py) column for column: instants
of the event log are UNIX seconds, shop dates ISO 8601 text in UTC, amounts
double precision, JSON as text, so `balcao migrate-to-postgres` copies rows as they are.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import asyncpg

from bot.adapters.sqlite.community import REVIEW_SCHEMA

logger = logging.getLogger(__name__)

LOCK_KEY = 7_310_442_001  # pg_advisory_xact_lock key of Balcão's migrations


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "conversations_and_events",
        """
        CREATE TABLE conversations (
            id text PRIMARY KEY,
            sender text,
            channel text,
            language text,
            created_at double precision,
            updated_at double precision,
            last_seq integer NOT NULL DEFAULT 0
        );
        CREATE INDEX conversations_updated_at ON conversations (updated_at);
        CREATE TABLE events (
            id bigserial PRIMARY KEY,
            conversation_id text NOT NULL REFERENCES conversations (id),
            seq integer NOT NULL,
            kind text NOT NULL,
            data text NOT NULL,
            "timestamp" double precision NOT NULL,
            UNIQUE (conversation_id, seq)
        );
        CREATE INDEX events_kind_timestamp ON events (kind, "timestamp");
        """,
    ),
    Migration(
        2,
        "shop",
        """
        CREATE TABLE customers (
            customer_id text PRIMARY KEY,
            name text, email text, phone text, language text, postcode text,
            created_at text, account_manager text, extra text
        );
        CREATE INDEX customers_email ON customers (email);
        CREATE TABLE products (
            sku text PRIMARY KEY,
            name text, category text, price double precision, currency text,
            description text, stock integer, extra text
        );
        CREATE TABLE orders (
            order_id text PRIMARY KEY,
            customer_id text, created_at text, status text, total double precision,
            currency text, carrier text, tracking_code text, estimated_delivery text, extra text
        );
        CREATE INDEX orders_customer ON orders (customer_id, created_at);
        CREATE TABLE order_items (
            order_id text NOT NULL, sku text NOT NULL, quantity integer,
            unit_price double precision,
            PRIMARY KEY (order_id, sku)
        );
        CREATE INDEX order_items_sku ON order_items (sku);
        CREATE TABLE transactions (
            transaction_id text PRIMARY KEY,
            customer_id text, order_id text, created_at text, kind text,
            amount double precision, currency text, status text, method text
        );
        CREATE INDEX transactions_customer ON transactions (customer_id, created_at);
        CREATE INDEX transactions_order ON transactions (order_id);
        CREATE TABLE service_requests (
            request_id text PRIMARY KEY,
            kind text, order_id text, customer_id text, created_at text, status text,
            conversation text
        );
        CREATE INDEX service_requests_order ON service_requests (order_id, status);
        CREATE TABLE verification_attempts (
            id bigserial PRIMARY KEY,
            conversation text, order_id text, ok integer, at text
        );
        CREATE INDEX verification_attempts_conversation ON verification_attempts (conversation, at);
        CREATE INDEX verification_attempts_order ON verification_attempts (order_id, at);
        """,
    ),
    Migration(
        3,
        "agents",
        """
        CREATE TABLE agents (
            email text PRIMARY KEY,
            name text, role text, languages text, skills text, max_chats integer,
            status text, password_hash text, created_at double precision
        );
        CREATE TABLE agent_sessions (
            token_digest text PRIMARY KEY,
            agent text REFERENCES agents (email),
            created_at double precision,
            expires_at double precision
        );
        CREATE INDEX agent_sessions_expires ON agent_sessions (expires_at);
        CREATE TABLE login_failures (
            id bigserial PRIMARY KEY, key text, at double precision
        );
        CREATE INDEX login_failures_key_at ON login_failures (key, at);
        """,
    ),
    Migration(
        4,
        "handoffs",
        """
        CREATE TABLE handoffs (
            id bigserial PRIMARY KEY,
            conversation_id text, sender text, channel text, reason text, language text,
            priority integer, created_at double precision, status text, tier text,
            customer_id text, account_manager text, skills text, offline integer,
            agent text, claimed_at double precision, resolved_at double precision,
            contact_email text, flags text
        );
        CREATE INDEX handoffs_status_priority ON handoffs (status, priority);
        CREATE INDEX handoffs_conversation ON handoffs (conversation_id);
        CREATE INDEX handoffs_agent_status ON handoffs (agent, status);
        -- at most one open handoff per conversation, whichever process opens it
        CREATE UNIQUE INDEX handoffs_one_open ON handoffs (conversation_id)
            WHERE status IN ('waiting', 'assigned');
        """,
    ),
    Migration(
        5,
        "audit",
        """
        CREATE TABLE audit (
            id bigserial PRIMARY KEY,
            at double precision, actor text, action text, subject text, details text
        );
        CREATE INDEX audit_subject ON audit (subject);
        CREATE INDEX audit_at ON audit (at);
        """,
    ),
    Migration(
        6,
        "disabled_agents_and_login_attempts",
        """
        ALTER TABLE agents ADD COLUMN disabled integer NOT NULL DEFAULT 0;
        -- an attempt is counted before its password is checked; a success takes it back
        ALTER TABLE login_failures ADD COLUMN attempt text;
        CREATE INDEX login_failures_attempt ON login_failures (attempt);
        CREATE INDEX agent_sessions_agent ON agent_sessions (agent);
        """,
    ),
    # 20 and up: the community (7-19 are left to the store-parity work)
    Migration(
        20,
        "community",
        """
        CREATE TABLE community_questions (
            id bigserial PRIMARY KEY, language text NOT NULL, title text NOT NULL,
            body text NOT NULL, author_id text NOT NULL, author_name text NOT NULL,
            created_at double precision NOT NULL, views integer NOT NULL DEFAULT 0,
            answers integer NOT NULL DEFAULT 0, accepted_answer bigint,
            hidden integer NOT NULL DEFAULT 0, locked integer NOT NULL DEFAULT 0,
            reports integer NOT NULL DEFAULT 0, promoted integer NOT NULL DEFAULT 0,
            search tsvector GENERATED ALWAYS AS (to_tsvector(
                CASE language WHEN 'pt' THEN 'portuguese'::regconfig
                    WHEN 'es' THEN 'spanish'::regconfig ELSE 'english'::regconfig END,
                title || ' ' || body)) STORED
        );
        CREATE INDEX community_questions_list ON community_questions (language, hidden, id);
        CREATE INDEX community_questions_views ON community_questions (views);
        CREATE INDEX community_questions_created ON community_questions (answers, created_at);
        CREATE INDEX community_questions_search ON community_questions USING gin (search);
        CREATE TABLE community_answers (
            id bigserial PRIMARY KEY,
            question_id bigint NOT NULL REFERENCES community_questions (id),
            body text NOT NULL, author_id text NOT NULL, author_name text NOT NULL,
            staff integer NOT NULL DEFAULT 0, created_at double precision NOT NULL,
            votes integer NOT NULL DEFAULT 0, hidden integer NOT NULL DEFAULT 0,
            reports integer NOT NULL DEFAULT 0
        );
        CREATE INDEX community_answers_question ON community_answers (question_id);
        CREATE TABLE community_votes (
            answer_id bigint NOT NULL, voter text NOT NULL, PRIMARY KEY (answer_id, voter)
        );
        CREATE TABLE community_reports (
            kind text NOT NULL, post_id bigint NOT NULL, reporter text NOT NULL,
            at double precision, PRIMARY KEY (kind, post_id, reporter)
        );
        """,
    ),
    # the community's review queue: the same statements as SQLite's
    Migration(21, "community_review", REVIEW_SCHEMA),
    Migration(
        22,
        "community_sign_in_links",
        """
        CREATE TABLE community_sign_in_links (
            digest text PRIMARY KEY, customer_id text NOT NULL, language text NOT NULL,
            created_at double precision NOT NULL, expires_at double precision NOT NULL
        );
        CREATE INDEX community_sign_in_links_expires ON community_sign_in_links (expires_at);
        """,
    ),
    # 40+: notices (README "Reaching out"), numbered apart from parallel work
    Migration(
        40,
        "notices",
        """
        CREATE TABLE notices (
            notice_id bigserial PRIMARY KEY,
            trigger text NOT NULL,
            customer_id text NOT NULL,
            subject text NOT NULL,
            due_at text NOT NULL,
            created_at text NOT NULL,
            status text NOT NULL DEFAULT 'due',
            reason text NOT NULL DEFAULT '',
            claimed_until text NOT NULL DEFAULT '',
            attempts integer NOT NULL DEFAULT 0,
            fields text NOT NULL DEFAULT '{}',
            title text NOT NULL DEFAULT '',
            body text NOT NULL DEFAULT '',
            channel text NOT NULL DEFAULT '',
            sent_at text NOT NULL DEFAULT '',
            shown_at text NOT NULL DEFAULT '',
            UNIQUE (trigger, customer_id, subject)
        );
        CREATE INDEX notices_due ON notices (status, due_at);
        CREATE INDEX notices_customer ON notices (customer_id, status);
        CREATE TABLE notice_consent (
            customer_id text NOT NULL,
            scope text NOT NULL,
            state text NOT NULL,
            at text NOT NULL,
            source text NOT NULL,
            wording text NOT NULL DEFAULT '',
            PRIMARY KEY (customer_id, scope)
        );
        CREATE TABLE notice_watches (
            customer_id text NOT NULL,
            kind text NOT NULL,
            subject text NOT NULL,
            at text NOT NULL,
            PRIMARY KEY (customer_id, kind, subject)
        );
        CREATE TABLE webhook_seen (signature text PRIMARY KEY, at text NOT NULL);
        """,
    ),
    Migration(
        43,
        "notice_segments",
        """
        ALTER TABLE notices ADD COLUMN tier text NOT NULL DEFAULT '';
        ALTER TABLE notices ADD COLUMN stage text NOT NULL DEFAULT '';
        """,
    ),
    # 60+: privacy
    Migration(
        60,
        "notice_suppressions",
        """
        CREATE TABLE notice_suppressions (
            customer_hash text PRIMARY KEY, at double precision NOT NULL
        );
        """,
    ),
)


async def applied_versions(conn: asyncpg.Connection) -> set[int]:
    exists = await conn.fetchval("SELECT to_regclass('balcao_migrations') IS NOT NULL")
    if not exists:
        return set()
    return {r[0] for r in await conn.fetch("SELECT version FROM balcao_migrations")}


async def apply_migrations(
    conn: asyncpg.Connection, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[int]:
    """Apply pending versions in order, each in a transaction; returns those applied now."""
    done: list[int] = []
    if {m.version for m in migrations} <= await applied_versions(conn):
        return done
    for migration in sorted(migrations, key=lambda m: m.version):
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS balcao_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at double precision NOT NULL)"
            )
            if migration.version in await applied_versions(conn):
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO balcao_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                time.time(),
            )
            logger.info("applied migration %d %s", migration.version, migration.name)
            done.append(migration.version)
    return done
