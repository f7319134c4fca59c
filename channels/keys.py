"""Every piece of application state, declared once as a typed web.AppKey."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.config import Settings
from bot.core.metrics import Metrics
from bot.ports import (
    AgentStore,
    AnalyticsStore,
    AuditLog,
    Broker,
    CommunityStore,
    ConversationStore,
    CustomerStore,
    HandoffStore,
    PasswordHasher,
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
from channels.limits import Limits
from channels.loop_monitor import LoopMonitor

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("conversation_store", ConversationStore)
BROKER = web.AppKey("broker", Broker)
RELOADER = web.AppKey("knowledge_reloader", KnowledgeReloader)
SERVICE = web.AppKey("chat_service", ChatService)
LOG = web.AppKey("conversation_log", ConversationLog)
AGENTS = web.AppKey("agent_store", AgentStore)
HANDOFFS = web.AppKey("handoff_store", HandoffStore)
DESK = web.AppKey("desk", Desk)
ATTACHMENTS = web.AppKey("attachments", AttachmentService)
INBOX = web.AppKey("inbox", Inbox)
INSIGHTS = web.AppKey("customer_insights", CustomerInsights)
CUSTOMERS = web.AppKey("customer_store", CustomerStore)
GOODWILL = web.AppKey("goodwill", GoodwillService)
ANALYTICS = web.AppKey("analytics_store", AnalyticsStore)
AUDIT = web.AppKey("audit_log", AuditLog)
PRIVACY = web.AppKey("privacy", PrivacyService)
ANSWER_KEY = web.AppKey("answer_token_key", bytes)  # signs the tokens that rate answers
# (origin name, token) pairs the REST channel accepts; none: the channel is public
REST_TOKENS: web.AppKey[tuple[tuple[str, bytes], ...]] = web.AppKey("rest_tokens")
CANNED: web.AppKey[list[dict[str, str]]] = web.AppKey("canned_responses")
METRICS = web.AppKey("metrics", Metrics)
LIMITS = web.AppKey("limits", Limits)
LOOP = web.AppKey("loop_monitor", LoopMonitor)
HASHER = web.AppKey("password_hasher", PasswordHasher)
# can the store take a write now? (GET /health)
STORE_PROBE: web.AppKey[Callable[[], Awaitable[None]]] = web.AppKey("store_probe")
COMMUNITY_STORE = web.AppKey("community_store", CommunityStore)
COMMUNITY = web.AppKey("community_service", CommunityService)
SIGN_IN_LINKS = web.AppKey("sign_in_links", SignInLinks)
NOTICES = web.AppKey("notices", NoticeService)  # absent while notices are off
EMAIL = web.AppKey("email_replies", EmailReplies)
TOPICS = web.AppKey("most_asked", MostAsked)  # the widget home screen's topics
