"""Every piece of application state, declared once as a typed web.AppKey."""

from __future__ import annotations

from aiohttp import web

from bot.adapters.sqlite.database import SqliteDatabase
from bot.config import Settings
from bot.core.metrics import Metrics
from bot.ports import AgentStore, Broker, ConversationStore, CustomerStore, HandoffStore
from bot.services.chat import ChatService
from bot.services.desk import Desk
from bot.services.insights import CustomerInsights
from bot.services.reloader import KnowledgeReloader
from channels.limits import Limits
from channels.loop_monitor import LoopMonitor

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("conversation_store", ConversationStore)
BROKER = web.AppKey("broker", Broker)
RELOADER = web.AppKey("knowledge_reloader", KnowledgeReloader)
SERVICE = web.AppKey("chat_service", ChatService)
AGENTS = web.AppKey("agent_store", AgentStore)
HANDOFFS = web.AppKey("handoff_store", HandoffStore)
DESK = web.AppKey("desk", Desk)
INSIGHTS = web.AppKey("customer_insights", CustomerInsights)
CUSTOMERS = web.AppKey("customer_store", CustomerStore)
DATABASE = web.AppKey("database", SqliteDatabase)
CANNED: web.AppKey[list[dict[str, str]]] = web.AppKey("canned_responses")
METRICS = web.AppKey("metrics", Metrics)
LIMITS = web.AppKey("limits", Limits)
LOOP = web.AppKey("loop_monitor", LoopMonitor)
