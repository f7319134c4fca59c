"""The pure domain: values in, values out.

Conversations as event logs (`events`, `conversation`), the dialogue policy (`dialogue`),
handoff rules and business hours, customers and customer value (RFM, lifetime value, tiers,
lifecycle stages), recommendations, the return policy, verification, host identity, privacy
rules, analytics figures, unanswered-question grouping, and what the assistant says (`texts`).

May import: `bot.core`, `bot.understanding`, `bot.knowledge`, `bot.errors` and the standard
library. Never aiohttp, sqlite3, sqlite_utils, asyncpg, redis or rasa_sdk (import-linter
contracts in pyproject.toml check it).
"""
