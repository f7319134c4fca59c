"""Action runners: rasa-sdk Actions in this process, or a remote Rasa action server.

The only module of bot/ that imports rasa_sdk (which pulls in Sanic), and only
when an in-process runner is built.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from bot.errors import ActionError
from bot.ports import ActionResult

logger = logging.getLogger(__name__)

RASA_SDK_VERSION_FIELD = "3.0.0"


class InProcessActionRunner:
    """Runs registered rasa_sdk Actions through rasa_sdk.executor.ActionExecutor."""

    def __init__(self, package: str = "actions", timeout: float = 10.0) -> None:
        from rasa_sdk.executor import ActionExecutor

        self.executor = ActionExecutor()
        self.executor.register_package(package)
        self.timeout = timeout
        logger.info("registered actions: %s", ", ".join(sorted(self.names())))

    def names(self) -> frozenset[str]:
        return frozenset(self.executor.actions)

    async def run(
        self, action_name: str, tracker: dict[str, Any], domain: dict[str, Any]
    ) -> ActionResult:
        if action_name not in self.executor.actions:
            raise ActionError(action_name, "no such action is registered")
        call = {
            "next_action": action_name,
            "sender_id": tracker.get("sender_id"),
            "tracker": tracker,
            "domain": domain,
        }
        try:
            result = await asyncio.wait_for(self.executor.run(call), self.timeout)
        except TimeoutError:
            raise ActionError(action_name, f"took longer than {self.timeout:g} s") from None
        except Exception as exc:  # an action is third-party code: contain what it raises
            logger.exception("action %s raised", action_name)
            raise ActionError(action_name, f"{type(exc).__name__}: {exc}") from exc
        if result is None:
            return ActionResult()
        return ActionResult(tuple(result.events), tuple(result.responses))


class RemoteActionRunner:
    """Calls a Rasa action server's webhook (POST {next_action, tracker, domain})."""

    def __init__(self, url: str, session: aiohttp.ClientSession, timeout: float = 10.0) -> None:
        self.url = url
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    def names(self) -> frozenset[str]:
        return frozenset()

    async def run(
        self, action_name: str, tracker: dict[str, Any], domain: dict[str, Any]
    ) -> ActionResult:
        payload = {
            "next_action": action_name,
            "sender_id": tracker.get("sender_id"),
            "tracker": tracker,
            "domain": domain,
            "version": RASA_SDK_VERSION_FIELD,
        }
        try:
            async with self.session.post(self.url, json=payload, timeout=self.timeout) as resp:
                body = await resp.json(content_type=None)
                if resp.status != 200:
                    reason = body.get("error") if isinstance(body, dict) else None
                    raise ActionError(
                        action_name, f"action server answered {resp.status}: {reason}"
                    )
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ActionError(action_name, f"action server unreachable: {exc!r}") from exc
        if not isinstance(body, dict):
            raise ActionError(action_name, "action server answered something other than an object")
        return ActionResult(tuple(body.get("events") or ()), tuple(body.get("responses") or ()))
