"""Settings: one frozen value built from the environment and command-line flags.

Nothing here reads the environment at import time. Every setting has a default
and a help line; README.md documents each (a test checks it).
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import ConfigError


class Secret:
    """A string that does not show itself in `repr` or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and secrets.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)


def _setting(default: Any, env: str, help: str) -> Any:
    return field(default=default, metadata={"env": env, "help": help})


@dataclass(frozen=True)
class Settings:
    host: str = _setting("127.0.0.1", "BALCAO_HOST", "Address the server listens on.")
    port: int = _setting(8080, "BALCAO_PORT", "Port the server listens on.")
    db: Path = _setting(
        Path("var/balcao.sqlite3"), "BALCAO_DB", "SQLite file for conversations and customers."
    )
    kb: Path = _setting(Path("knowledge"), "BALCAO_KB", "Folder of knowledge-base files.")
    default_language: str = _setting(
        "en", "BALCAO_DEFAULT_LANGUAGE", "Language used until the customer's is known."
    )
    max_message_chars: int = _setting(
        2000, "BALCAO_MAX_MESSAGE_CHARS", "Longest customer message accepted, in characters."
    )
    max_body_bytes: int = _setting(
        64 * 1024, "BALCAO_MAX_BODY_BYTES", "Largest HTTP request body or WebSocket frame."
    )
    max_metadata_bytes: int = _setting(
        2048,
        "BALCAO_MAX_METADATA_BYTES",
        "Largest message metadata stored with a message, in bytes of JSON (more is refused).",
    )
    max_metadata_depth: int = _setting(
        4, "BALCAO_MAX_METADATA_DEPTH", "Deepest nesting of objects and lists in message metadata."
    )
    kb_poll_seconds: float = _setting(
        1.0, "BALCAO_KB_POLL_SECONDS", "How often the knowledge folder is checked for edits."
    )
    secret: Secret = _setting(
        Secret(""),
        "BALCAO_SECRET",
        "Server secret for identity hashes (HMAC of customer_id); empty disables them.",
    )
    rest_tokens: Secret = _setting(
        Secret(""),
        "BALCAO_REST_TOKENS",
        "Bearer tokens the REST channel requires, comma-separated, each 'name=token' (a bare"
        " token is named 'default'); empty leaves the channel public, as Rasa's.",
    )
    action_server_url: str = _setting(
        "",
        "BALCAO_ACTION_SERVER_URL",
        "URL of a remote Rasa action server's webhook; empty runs actions in process.",
    )
    action_timeout: float = _setting(
        10.0, "BALCAO_ACTION_TIMEOUT", "Seconds an action may take before the bot apologises."
    )
    actions_package: str = _setting(
        "actions", "BALCAO_ACTIONS_PACKAGE", "Python package of rasa-sdk actions run in process."
    )
    verification_minutes: float = _setting(
        30.0,
        "BALCAO_VERIFICATION_MINUTES",
        "Minutes without a message from a verified customer after which the verification"
        " lapses: the bot asks again and resumed history hides personal details (0: never).",
    )
    history_limit: int = _setting(
        200, "BALCAO_HISTORY_LIMIT", "Most messages replayed to a reconnecting widget."
    )
    attachment_max_bytes: int = _setting(
        5 * 1024 * 1024,
        "BALCAO_ATTACHMENT_MAX_BYTES",
        "Largest file (PNG, JPEG, WebP image or PDF) a customer may send; 0 turns attachments off.",
    )
    log_level: str = _setting("INFO", "BALCAO_LOG_LEVEL", "Logging level.")
    log_format: str = _setting(
        "text", "BALCAO_LOG_FORMAT", "Log lines as 'text' or 'json' (one JSON object per line)."
    )
    allowed_origins: str = _setting(
        "",
        "BALCAO_ALLOWED_ORIGINS",
        "Web origins allowed to open WebSockets, comma-separated (the server's own always is; * = any).",
    )
    trusted_proxies: str = _setting(
        "",
        "BALCAO_TRUSTED_PROXIES",
        "Reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For or Forwarded"
        " header names the client for per-address limits and login throttles.",
    )
    messages_per_minute: int = _setting(
        30, "BALCAO_MESSAGES_PER_MINUTE", "Messages one conversation may send per minute."
    )
    ip_messages_per_minute: int = _setting(
        600, "BALCAO_IP_MESSAGES_PER_MINUTE", "Messages one client address may send per minute."
    )
    feedback_per_minute: int = _setting(
        10,
        "BALCAO_FEEDBACK_PER_MINUTE",
        "Ratings and suggestions one conversation may send per minute (widget and /api/feedback).",
    )
    ip_feedback_per_minute: int = _setting(
        60, "BALCAO_IP_FEEDBACK_PER_MINUTE", "Ratings one client address may send per minute."
    )
    typing_per_minute: int = _setting(
        30,
        "BALCAO_TYPING_PER_MINUTE",
        "Typing notices one widget conversation may pass to agents per minute (more are dropped).",
    )
    max_connections_per_ip: int = _setting(
        50, "BALCAO_MAX_CONNECTIONS_PER_IP", "WebSockets one client address may hold open."
    )
    refusal_delay_ms: int = _setting(
        500,
        "BALCAO_REFUSAL_DELAY_MS",
        "How long a request refused for going over a rate limit (429) is held before the"
        " answer, so a client that sends as fast as it is answered slows down (0: at once).",
    )
    business_hours: str = _setting(
        "mon-fri 09:00-18:00; sat 10:00-14:00",
        "BALCAO_BUSINESS_HOURS",
        "When agents work, e.g. 'mon-fri 09:00-18:00; sat 10:00-14:00', or 'always'.",
    )
    timezone: str = _setting("Europe/Lisbon", "BALCAO_TIMEZONE", "Time zone of the business hours.")
    holidays: str = _setting(
        "", "BALCAO_HOLIDAYS", "Closed days, comma-separated ISO dates (2026-12-25,2027-01-01)."
    )
    auto_assign: bool = _setting(
        True, "BALCAO_AUTO_ASSIGN", "Give waiting conversations to the least busy agent who fits."
    )
    escalate_on_fallback: bool = _setting(
        True,
        "BALCAO_ESCALATE_ON_FALLBACK",
        "Hand over to a person when the bot does not know twice in a row (else only offer).",
    )
    public_url: str = _setting(
        "",
        "BALCAO_PUBLIC_URL",
        "The server's address as customers reach it (https://help.example.com): canonical links,"
        " the sitemap, links in emails back to the chat and to unsubscribe. Empty: each page"
        " takes it from its request; emails use http://HOST:PORT.",
    )
    help_theme: str = _setting(
        "",
        "BALCAO_HELP_THEME",
        "A CSS file served after the help center's own, e.g. the widget's custom properties"
        " (--balcao-accent...).",
    )
    community_in_chat: bool = _setting(
        True,
        "BALCAO_COMMUNITY_IN_CHAT",
        "When the knowledge base has no confident answer, offer matching accepted community"
        " answers before a person.",
    )
    community_posts_per_minute: int = _setting(
        5,
        "BALCAO_COMMUNITY_POSTS_PER_MINUTE",
        "Community questions, answers, votes and reports one person may send per minute.",
    )
    ip_community_posts_per_minute: int = _setting(
        20,
        "BALCAO_IP_COMMUNITY_POSTS_PER_MINUTE",
        "Community posts, votes and reports one address may send per minute.",
    )
    sign_in_links_per_hour: int = _setting(
        3,
        "BALCAO_SIGN_IN_LINKS_PER_HOUR",
        "Emailed community sign-in links one email address may ask for per hour.",
    )
    ip_sign_in_links_per_hour: int = _setting(
        10,
        "BALCAO_IP_SIGN_IN_LINKS_PER_HOUR",
        "Emailed community sign-in links one client address may ask for per hour.",
    )
    session_hours: float = _setting(
        12.0, "BALCAO_SESSION_HOURS", "How long an agent's login lasts, in hours."
    )
    login_attempts_per_email: int = _setting(
        5,
        "BALCAO_LOGIN_ATTEMPTS_PER_EMAIL",
        "Failed logins one account may have in the login window before it is refused (429).",
    )
    login_attempts_per_address: int = _setting(
        20,
        "BALCAO_LOGIN_ATTEMPTS_PER_ADDRESS",
        "Failed logins one client address may have in the login window before it is refused.",
    )
    login_window_minutes: float = _setting(
        15.0, "BALCAO_LOGIN_WINDOW_MINUTES", "The window the failed logins are counted in."
    )
    hash_queue: int = _setting(
        8,
        "BALCAO_HASH_QUEUE",
        "Password checks that may wait for the one hashing thread; more are refused (503).",
    )
    agent_sockets_per_ip: int = _setting(
        10, "BALCAO_AGENT_SOCKETS_PER_IP", "Agent console sockets one client address may hold."
    )
    agent_auth_seconds: float = _setting(
        10.0,
        "BALCAO_AGENT_AUTH_SECONDS",
        "Seconds an agent socket has to send its auth frame before it is closed.",
    )
    agent_recheck_seconds: float = _setting(
        30.0,
        "BALCAO_AGENT_RECHECK_SECONDS",
        "How often an open agent socket checks that its login is still valid.",
    )
    metrics: bool = _setting(True, "BALCAO_METRICS", "Serve Prometheus metrics at /metrics.")
    metrics_token: Secret = _setting(
        Secret(""),
        "BALCAO_METRICS_TOKEN",
        "Bearer token /metrics requires (Authorization: Bearer ...); empty leaves it open.",
    )
    handle_minutes: float = _setting(
        5.0,
        "BALCAO_HANDLE_MINUTES",
        "Typical minutes an agent spends per conversation (wait estimates).",
    )
    retention_days: int = _setting(
        0,
        "BALCAO_RETENTION_DAYS",
        "Blank conversation and notice text, delete files, community votes and reports older"
        " than this many days (0 keeps them); checked every 6 hours.",
    )
    database: str = _setting(
        "",
        "BALCAO_DATABASE",
        "PostgreSQL URL (postgresql://user@host/db) shared by several processes; empty uses"
        " the SQLite file.",
    )
    redis: str = _setting(
        "",
        "BALCAO_REDIS",
        "Redis URL (redis://host:6379/0) for fan-out between processes; empty: in process.",
    )
    encoder: str = _setting(
        "auto",
        "BALCAO_ENCODER",
        "Sentence encoder for understanding (USE multilingual, in the default install): 'auto'"
        " uses it when it loads, 'on' requires it, 'off' keeps the lexical engine alone.",
    )
    encoder_runtime: str = _setting(
        "auto",
        "BALCAO_ENCODER_RUNTIME",
        "What runs the sentence encoder: numpy, the only runtime ('auto' or 'numpy'; any"
        " other value is refused); kept for old configurations, to be removed.",
    )
    contrastive: bool = _setting(
        True,
        "BALCAO_CONTRASTIVE",
        "With the sentence encoder, pass its vectors through a contrastive layer learned on"
        " the knowledge base at each training (a few seconds more); off keeps them as they are.",
    )
    loop: str = _setting(
        "auto",
        "BALCAO_LOOP",
        "Event loop of `balcao serve`: 'auto' uses uvloop when installed (the default install"
        " has it, except on Windows), 'uvloop' requires it, 'asyncio' uses the standard one.",
    )
    goodwill_limits: str = _setting(
        "top=100,high-potential=50,low-value=20,other=20",
        "BALCAO_GOODWILL_LIMITS",
        "Most goodwill (refunds and credits) agents may grant one customer of each tier within"
        " BALCAO_GOODWILL_PERIOD_DAYS (admins: no limit).",
    )
    ip_handoffs_per_hour: int = _setting(
        30,
        "BALCAO_IP_HANDOFFS_PER_HOUR",
        "Requests for a person one client address may queue per hour; past it the customer"
        " is told to try later and nothing is queued.",
    )
    sqlite_synchronous: str = _setting(
        "normal",
        "BALCAO_SQLITE_SYNCHRONOUS",
        "SQLite durability: 'normal' loses nothing committed if the process crashes (a power"
        " cut may lose the last moments); 'full' syncs every commit, slower writes.",
    )
    goodwill_period_days: int = _setting(
        30,
        "BALCAO_GOODWILL_PERIOD_DAYS",
        "The period over which a customer's goodwill adds up against their tier's limit.",
    )
    smtp_url: Secret = _setting(
        Secret(""),
        "BALCAO_SMTP_URL",
        "SMTP server for notices and email replies, e.g. smtp://user:pass@mail.example:587"
        "?starttls=true (smtps:// for TLS on connect); empty sends no email.",
    )
    mail_from: str = _setting(
        "", "BALCAO_MAIL_FROM", "Sender of notices and email replies, e.g. help@shop.example."
    )
    shop_secret: Secret = _setting(
        Secret(""),
        "BALCAO_SHOP_SECRET",
        "Key of the shop's signed webhook POST /api/shop/events; empty refuses every call.",
    )
    notices: bool = _setting(
        True, "BALCAO_NOTICES", "Scan for due notices and send them (README 'Reaching out')."
    )
    notice_poll_seconds: float = _setting(
        5.0, "BALCAO_NOTICE_POLL_SECONDS", "How often the scheduler looks for due notices."
    )
    notice_max_per_week: int = _setting(
        3,
        "BALCAO_NOTICE_MAX_PER_WEEK",
        "Most notices one customer gets in 7 days; marketing ones past it are dropped.",
    )
    notice_quiet_hours: str = _setting(
        "21:00-09:00",
        "BALCAO_NOTICE_QUIET_HOURS",
        "Hours (customer's time zone) when no notice goes; they wait for the end.",
    )
    notice_holdout: float = _setting(
        0.0,
        "BALCAO_NOTICE_HOLDOUT",
        "Share (0-1) of eligible customers, drawn per trigger, who receive nothing: the"
        " control group of /api/analytics/proactive.",
    )
    winback_offer: str = _setting(
        "10",
        "BALCAO_WINBACK_OFFER",
        "Credit a winback.offer notice promises a top or high-potential customer in"
        " dissolution, in the shop's currency (0: none); booked as goodwill when it is sent,"
        " within her tier's BALCAO_GOODWILL_LIMITS, else she gets the light-touch winback.",
    )

    @property
    def link_base(self) -> str:
        """Where links in emails point: BALCAO_PUBLIC_URL, else this server's own address."""
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Build settings from environment variables, then explicit overrides (CLI flags)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is not None and raw != "":
                values[f.name] = _convert(f, raw)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for name, value in overrides.items():
            if value is None:
                continue
            if name not in fields:
                raise ConfigError(f"unknown setting {name!r}")
            if isinstance(value, str) and not isinstance(fields[name].default, str):
                value = _convert(fields[name], value)
            values[name] = value
        return cls(**values)

    @classmethod
    def documented(cls) -> list[tuple[str, str, Any, str]]:
        """(name, env var, default, help) for every setting."""
        return [
            (f.name, f.metadata["env"], f.default, f.metadata["help"])
            for f in dataclasses.fields(cls)
        ]


def _convert(f: dataclasses.Field[Any], raw: str) -> Any:
    kind: type[Any] = type(f.default)
    try:
        if kind is bool:
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if issubclass(kind, Path):
            return Path(raw)
        if kind is Secret:
            return Secret(raw)
    except ValueError as exc:
        raise ConfigError(f"{f.metadata['env']}={raw!r} is not a valid {kind.__name__}") from exc
    return raw
