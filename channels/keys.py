"""Every piece of application state, declared once as a typed web.AppKey."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.ports import Broker, ConversationStore
from bot.reloader import KnowledgeReloader
from bot.service import ChatService

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("conversation_store", ConversationStore)
BROKER = web.AppKey("broker", Broker)
RELOADER = web.AppKey("knowledge_reloader", KnowledgeReloader)
SERVICE = web.AppKey("chat_service", ChatService)
