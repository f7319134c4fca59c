"""The warehouse's star schema: every table and column, with its type and meaning.

One list drives the DuckDB tables (bot/adapters/warehouse/duckdb.py), the row builders
(bot/core/warehouse.py build tuples in this column order) and docs/warehouse.md (a test
checks that the document describes every column listed here).

Column types are DuckDB's. A column of type TIMESTAMP is handed over as UNIX seconds and
stored as a UTC timestamp; a column with `date_of` set is not handed over at all: it is
the `yyyymmdd` key into dim_date of the named TIMESTAMP column.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str
    date_of: str = ""  # derived: the dim_date key of this TIMESTAMP column

    @property
    def handed(self) -> bool:
        """Whether rows carry this column (derived ones are computed by the warehouse)."""
        return not self.date_of


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # what identifies a row, for upserts

    @property
    def handed(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.handed)


def _c(name: str, type: str, doc: str, date_of: str = "") -> Column:
    return Column(name, type, doc, date_of)


_CUSTOMER_KEY = _c(
    "customer_key", "VARCHAR", "HMAC-SHA256 of the customer id under BALCAO_SECRET (hex)"
)
_CONVERSATION_KEY = _c(
    "conversation_key", "VARCHAR", "keyed hash of the conversation id (32 hex characters)"
)

FACT_MESSAGE = Table(
    "fact_message",
    "One row per message shown in a conversation: the customer's, the bot's or an agent's.",
    (
        _CONVERSATION_KEY,
        _c("seq", "INTEGER", "the event's position in its conversation (from 1)"),
        _c("sent_at", "TIMESTAMP", "when it was sent (UTC)"),
        _c("date_key", "INTEGER", "dim_date key of sent_at", date_of="sent_at"),
        _c("role", "VARCHAR", "customer, bot or agent"),
        _c("language", "VARCHAR", "the conversation's language at that moment"),
        _c("channel", "VARCHAR", "widget, rest, email...: where the conversation happens"),
        _c("decision", "VARCHAR", "customer messages: answer, choose or unknown"),
        _c("entry_id", "VARCHAR", "the knowledge entry matched (customer) or answered with (bot)"),
        _c("confidence", "DOUBLE", "customer messages: the matcher's score of entry_id"),
        _c("is_button", "BOOLEAN", "customer messages: a button press rather than typed text"),
        _c("agent_key", "VARCHAR", "agent messages: who wrote (dim_agent)"),
        _c("text", "VARCHAR", "the message's text; NULL unless exported --with-text"),
    ),
    key=("conversation_key", "seq"),
)

FACT_CONVERSATION = Table(
    "fact_conversation",
    "One row per conversation, as it stood at the export (an incremental export replaces"
    " the rows of conversations that went on).",
    (
        _CONVERSATION_KEY,
        _c("customer_key", "VARCHAR", "the verified customer, if the conversation named one"),
        _c("channel", "VARCHAR", "where the conversation happened"),
        _c("language", "VARCHAR", "its latest language"),
        _c("started_at", "TIMESTAMP", "first event (UTC)"),
        _c("ended_at", "TIMESTAMP", "last event (UTC)"),
        _c("date_key", "INTEGER", "dim_date key of started_at", date_of="started_at"),
        _c("turns", "INTEGER", "messages the customer sent"),
        _c("messages", "INTEGER", "messages shown: customer, bot and agent"),
        _c("fallbacks", "INTEGER", "customer messages the bot did not understand"),
        _c("first_entry_id", "VARCHAR", "the first knowledge entry the bot answered with"),
        _c("contained", "BOOLEAN", "resolved by the bot alone (the dashboard's definition)"),
        _c("escalated", "BOOLEAN", "a person was asked for"),
        _c("resolved_by", "VARCHAR", "bot, person or unresolved"),
        _c("handoff_reason", "VARCHAR", "reason of the first request for a person"),
        _c("escalated_from_entry", "VARCHAR", "the last entry answered before that request"),
        _c("wait_seconds", "DOUBLE", "from the first handoff queued to its claim"),
        _c("agent_key", "VARCHAR", "the first agent who took the conversation"),
        _c("rating", "INTEGER", "the customer's last CSAT rating, 1..5"),
        _c("helpful", "INTEGER", "answers rated helpful"),
        _c("unhelpful", "INTEGER", "answers rated unhelpful"),
    ),
    key=("conversation_key",),
)

FACT_HANDOFF = Table(
    "fact_handoff",
    "One row per request for a person (the desk's queue).",
    (
        _c("handoff_id", "BIGINT", "the desk's handoff id"),
        _CONVERSATION_KEY,
        _CUSTOMER_KEY,
        _c("requested_at", "TIMESTAMP", "when it was queued (UTC)"),
        _c("date_key", "INTEGER", "dim_date key of requested_at", date_of="requested_at"),
        _c("reason", "VARCHAR", "asked_for_person, fallback, unhelpful, complaint, ..."),
        _c("language", "VARCHAR", "the conversation's language"),
        _c("channel", "VARCHAR", "where the conversation happened"),
        _c("priority", "INTEGER", "queue priority (higher first)"),
        _c("tier", "VARCHAR", "the customer's tier when they asked"),
        _c("offline", "BOOLEAN", "asked outside business hours or with nobody online"),
        _c("status", "VARCHAR", "waiting, assigned or resolved"),
        _c("agent_key", "VARCHAR", "who holds or held it (dim_agent)"),
        _c("claimed_at", "TIMESTAMP", "when an agent took it"),
        _c("resolved_at", "TIMESTAMP", "when it was closed"),
        _c("wait_seconds", "DOUBLE", "requested_at to claimed_at"),
        _c("handle_seconds", "DOUBLE", "claimed_at to resolved_at"),
    ),
    key=("handoff_id",),
)

FACT_FEEDBACK = Table(
    "fact_feedback",
    "One row per rating, answer vote, comment or suggestion a customer gave.",
    (
        _CONVERSATION_KEY,
        _c("seq", "INTEGER", "the event's position in its conversation"),
        _c("given_at", "TIMESTAMP", "when (UTC)"),
        _c("date_key", "INTEGER", "dim_date key of given_at", date_of="given_at"),
        _CUSTOMER_KEY,
        _c("kind", "VARCHAR", "rating (CSAT), answer (helpful or not), comment or suggestion"),
        _c("rating", "INTEGER", "rating: 1..5"),
        _c("helpful", "BOOLEAN", "answer: whether the answer helped"),
        _c("entry_id", "VARCHAR", "answer and suggestion: the entry concerned"),
        _c("agent_key", "VARCHAR", "the agent who last held the conversation, if any"),
        _c("language", "VARCHAR", "the conversation's language at that moment"),
        _c("comment", "VARCHAR", "comment or suggestion text; NULL unless --with-text"),
    ),
    key=("conversation_key", "seq"),
)

FACT_ORDER = Table(
    "fact_order",
    "One row per order of the shop.",
    (
        _c("order_id", "VARCHAR", "the shop's order number"),
        _CUSTOMER_KEY,
        _c("ordered_at", "TIMESTAMP", "when it was placed (UTC)"),
        _c("date_key", "INTEGER", "dim_date key of ordered_at", date_of="ordered_at"),
        _c("status", "VARCHAR", "pending, processing, shipped, delivered, cancelled, returned"),
        _c("total", "DOUBLE", "order total"),
        _c("currency", "VARCHAR", "ISO currency code"),
        _c("carrier", "VARCHAR", "the carrier, once shipped"),
        _c("sales_channel", "VARCHAR", "the shop's own `channel` column (web, app), if given"),
    ),
    key=("order_id",),
)

FACT_ORDER_ITEM = Table(
    "fact_order_item",
    "One row per product line of an order.",
    (
        _c("order_id", "VARCHAR", "fact_order"),
        _c("sku", "VARCHAR", "dim_product"),
        _CUSTOMER_KEY,
        _c("ordered_at", "TIMESTAMP", "when the order was placed (UTC)"),
        _c("date_key", "INTEGER", "dim_date key of ordered_at", date_of="ordered_at"),
        _c("quantity", "INTEGER", "units"),
        _c("unit_price", "DOUBLE", "price of one unit"),
        _c("line_total", "DOUBLE", "quantity x unit_price"),
    ),
    key=("order_id", "sku"),
)

FACT_TRANSACTION = Table(
    "fact_transaction",
    "One row per money movement: payments, refunds, chargebacks, credits.",
    (
        _c("transaction_id", "VARCHAR", "the shop's transaction id"),
        _c("order_id", "VARCHAR", "fact_order; NULL for account-level credits"),
        _CUSTOMER_KEY,
        _c("created_at", "TIMESTAMP", "when (UTC)"),
        _c("date_key", "INTEGER", "dim_date key of created_at", date_of="created_at"),
        _c("kind", "VARCHAR", "payment, refund, chargeback or credit"),
        _c("amount", "DOUBLE", "amount"),
        _c("currency", "VARCHAR", "ISO currency code"),
        _c("status", "VARCHAR", "pending, settled, failed, refunded or cancelled"),
        _c("method", "VARCHAR", "card, mbway, paypal, store_credit..."),
    ),
    key=("transaction_id",),
)

FACT_NOTICE = Table(
    "fact_notice",
    "Reserved for proactive notices (messages Balcão sends first). Balcão sends none yet, so"
    " the table is created empty, so that queries written against it keep working.",
    (
        _c("notice_id", "VARCHAR", "the notice"),
        _CUSTOMER_KEY,
        _c("sent_at", "TIMESTAMP", "when it was sent (UTC)"),
        _c("date_key", "INTEGER", "dim_date key of sent_at", date_of="sent_at"),
        _c("kind", "VARCHAR", "what the notice was about"),
        _c("channel", "VARCHAR", "how it was sent"),
    ),
    key=("notice_id",),
)

DIM_CUSTOMER = Table(
    "dim_customer",
    "Customers and their value, a slowly changing dimension (type 2): a new version whenever"
    " the RFM scores, tier or lifecycle stage change. A full export rebuilds the history at"
    " the start of each of the last 4 quarters from the orders; every export adds the versions that"
    " changed as of that export.",
    (
        _c("customer_version", "BIGINT", "this version's own key"),
        _CUSTOMER_KEY,
        _c("valid_from", "TIMESTAMP", "when this version became true (UTC)"),
        _c("valid_to", "TIMESTAMP", "when the next version replaced it; NULL while current"),
        _c("is_current", "BOOLEAN", "the customer's latest version"),
        _c("language", "VARCHAR", "the customer's language"),
        _c("signed_up_at", "TIMESTAMP", "when the customer's account was made"),
        _c("has_account_manager", "BOOLEAN", "a dedicated account manager looks after them"),
        _c("orders", "INTEGER", "orders not cancelled, up to valid_from"),
        _c("spent", "DOUBLE", "money spent on those orders"),
        _c("days_since_last_order", "DOUBLE", "at valid_from; NULL if they never ordered"),
        _c("recency", "INTEGER", "RFM recency score, 1..5 (0: never bought)"),
        _c("frequency", "INTEGER", "RFM frequency score, 1..5"),
        _c("monetary", "INTEGER", "RFM monetary score, 1..5"),
        _c("rfm_code", "VARCHAR", "the three scores as text, e.g. 545"),
        _c("rfm_total", "INTEGER", "recency + frequency + monetary"),
        _c("lifetime_value", "DOUBLE", "expected revenue over the next 3 years, at valid_from"),
        _c("tier", "VARCHAR", "top, high-potential or low-value"),
        _c("lifecycle_stage", "VARCHAR", "exploration, growth, commitment or dissolution"),
        _c("name", "VARCHAR", "NULL unless exported --with-personal-data"),
        _c("email", "VARCHAR", "NULL unless exported --with-personal-data"),
        _c("phone", "VARCHAR", "NULL unless exported --with-personal-data"),
        _c("postcode", "VARCHAR", "the address we hold; NULL unless --with-personal-data"),
    ),
    key=("customer_version",),
)

DIM_PRODUCT = Table(
    "dim_product",
    "The shop's catalogue as of the export.",
    (
        _c("sku", "VARCHAR", "the product's code"),
        _c("name", "VARCHAR", "its name (the shop's main language)"),
        _c("category", "VARCHAR", "its category"),
        _c("price", "DOUBLE", "current price"),
        _c("currency", "VARCHAR", "ISO currency code"),
        _c("stock", "INTEGER", "units in stock"),
        _c("line", "VARCHAR", "product line (the shop's `line` column), if given"),
        _c("grade", "VARCHAR", "basic, standard or premium (the shop's `tier` column), if given"),
    ),
    key=("sku",),
)

DIM_ENTRY = Table(
    "dim_entry",
    "Knowledge-base entries, one row per entry and language, as in the knowledge folder at"
    " the export.",
    (
        _c("entry_id", "VARCHAR", "the entry's id (the same in every language)"),
        _c("language", "VARCHAR", "en, pt or es"),
        _c("question", "VARCHAR", "the entry's question in that language"),
        _c("kind", "VARCHAR", "answer, action (runs a rasa-sdk action) or handoff"),
        _c("action", "VARCHAR", "the action it runs, if any"),
        _c("tags", "VARCHAR", "its tags, comma-separated"),
        _c("examples", "INTEGER", "how many example phrasings it has"),
    ),
    key=("entry_id", "language"),
)

DIM_AGENT = Table(
    "dim_agent",
    "The support team: agents and admins.",
    (
        _c("agent_key", "VARCHAR", "the agent's login (their work email)"),
        _c("name", "VARCHAR", "the name customers see"),
        _c("role", "VARCHAR", "agent or admin"),
        _c("languages", "VARCHAR", "languages they answer in, comma-separated"),
        _c("skills", "VARCHAR", "their skills, comma-separated"),
        _c("max_chats", "INTEGER", "conversations they take at once"),
    ),
    key=("agent_key",),
)

DIM_DATE = Table(
    "dim_date",
    "One row per day from the earliest to the latest date in any fact.",
    (
        _c("date_key", "INTEGER", "yyyymmdd"),
        _c("date", "DATE", "the day"),
        _c("year", "INTEGER", "year"),
        _c("quarter", "INTEGER", "1..4"),
        _c("month", "INTEGER", "1..12"),
        _c("month_name", "VARCHAR", "January..December"),
        _c("iso_week", "INTEGER", "ISO week number"),
        _c("week_start", "DATE", "the Monday of its week"),
        _c("day_of_week", "INTEGER", "ISO: 1 = Monday .. 7 = Sunday"),
        _c("day_name", "VARCHAR", "Monday..Sunday"),
        _c("is_weekend", "BOOLEAN", "Saturday or Sunday"),
    ),
    key=("date_key",),
)

WATERMARK = Table(
    "warehouse_export",
    "One row per export into this warehouse: the watermark the next incremental export"
    " starts from.",
    (
        _c("exported_at", "TIMESTAMP", "when (UTC)"),
        _c("source", "VARCHAR", "sqlite or postgresql"),
        _c("full_rebuild", "BOOLEAN", "a --full export (or the first)"),
        _c("last_event_id", "BIGINT", "the store's newest event id included"),
        _c("orders_since", "VARCHAR", "the newest order date included (ISO 8601)"),
        _c("transactions_since", "VARCHAR", "the newest transaction date included"),
        _c("with_text", "BOOLEAN", "free text included"),
        _c("with_personal_data", "BOOLEAN", "customers' personal fields included"),
        _c("key_check", "VARCHAR", "a keyed hash of a constant: which secret made the keys"),
        _c("rows_written", "BIGINT", "rows this export wrote"),
    ),
)

FACTS = (
    FACT_MESSAGE,
    FACT_CONVERSATION,
    FACT_HANDOFF,
    FACT_FEEDBACK,
    FACT_ORDER,
    FACT_ORDER_ITEM,
    FACT_TRANSACTION,
    FACT_NOTICE,
)
DIMENSIONS = (DIM_CUSTOMER, DIM_PRODUCT, DIM_ENTRY, DIM_AGENT, DIM_DATE)
TABLES = (*FACTS, *DIMENSIONS, WATERMARK)
BY_NAME = {t.name: t for t in TABLES}
