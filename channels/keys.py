"""Every piece of application state, declared once as a typed web.AppKey."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.desk import Desk, HandoffStore
from bot.insights import CustomerInsights
from bot.metrics import Metrics
from bot.ports import AgentStore, Broker, ConversationStore
from bot.reloader import KnowledgeReloader
from bot.service import ChatService
from bot.storage.sqlite import SqliteDatabase
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
DATABASE = web.AppKey("database", SqliteDatabase)
CANNED: web.AppKey[list[dict[str, str]]] = web.AppKey("canned_responses")
METRICS = web.AppKey("metrics", Metrics)
LIMITS = web.AppKey("limits", Limits)
LOOP = web.AppKey("loop_monitor", LoopMonitor)
