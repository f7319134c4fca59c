"""PostgreSQL adapters, for several server processes sharing one store.

    PostgresDatabase           asyncpg pool, migrated on open (database.py, migrations.py)
    PostgresConversationStore  the ConversationStore port (conversations.py)
    PostgresAgentStore         agents and sessions (agents.py)
    PostgresHandoffStore       the desk's HandoffStore (handoffs.py)
    PostgresCustomerStore      the CustomerStore port (customers.py)
    PostgresAnalyticsStore     the AnalyticsStore port (analytics.py)
    PostgresAuditLog           the AuditLog port (audit.py)
    PostgresPrivacyStore       the PrivacyStore port: export, forget, retention (audit.py)
    PostgresCommunityStore     community questions and answers, tsvector search (community.py)
    copy_sqlite_to_postgres    `balcao migrate-to-postgres` (copy.py)

Importing this package needs asyncpg (`pip install 'balcao[scale]'`).
"""

from bot.adapters.postgres.agents import PostgresAgentStore
from bot.adapters.postgres.analytics import PostgresAnalyticsStore
from bot.adapters.postgres.audit import PostgresAuditLog, PostgresPrivacyStore
from bot.adapters.postgres.community import PostgresCommunityStore
from bot.adapters.postgres.conversations import PostgresConversationStore
from bot.adapters.postgres.customers import PostgresCustomerStore
from bot.adapters.postgres.database import PostgresDatabase
from bot.adapters.postgres.handoffs import PostgresHandoffStore

__all__ = [
    "PostgresAgentStore",
    "PostgresAnalyticsStore",
    "PostgresAuditLog",
    "PostgresCommunityStore",
    "PostgresConversationStore",
    "PostgresCustomerStore",
    "PostgresDatabase",
    "PostgresHandoffStore",
    "PostgresPrivacyStore",
]
