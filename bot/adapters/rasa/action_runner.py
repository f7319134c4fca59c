"""Action runners: rasa-sdk Actions in this process, or a remote Rasa action server.

The only module of bot/ that imports rasa_sdk (which pulls in Sanic), and only
when an in-process runner is built.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

import aiohttp

from bot.adapters.rasa.tracker import from_rasa_events, from_rasa_response, rasa_tracker
from bot.adapters.rasa.wire import ActionServerRequest, RasaEvent, RasaResponse
from bot.errors import ActionError
from bot.ports import ActionCall, ActionResult

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

    async def run(self, action: ActionCall) -> ActionResult:
        action_name = action.action
        if action_name not in self.executor.actions:
            raise ActionError(action_name, "no such action is registered")
        try:
            result = await asyncio.wait_for(self.executor.run(_request(action)), self.timeout)
        except TimeoutError:
            raise ActionError(action_name, f"took longer than {self.timeout:g} s") from None
        except Exception as exc:  # an action is third-party code: contain what it raises
            logger.exception("action %s raised", action_name)
            raise ActionError(action_name, f"{type(exc).__name__}: {exc}") from exc
        if result is None:
            return ActionResult()
        return _result(action, result.events, result.responses)


class RemoteActionRunner:
    """Calls a Rasa action server's webhook (POST {next_action, tracker, domain})."""

    def __init__(self, url: str, session: aiohttp.ClientSession, timeout: float = 10.0) -> None:
        self.url = url
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    def names(self) -> frozenset[str]:
        return frozenset()

    async def run(self, action: ActionCall) -> ActionResult:
        action_name = action.action
        payload = _request(action)
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
        return _result(action, body.get("events"), body.get("responses"))


def _request(action: ActionCall) -> ActionServerRequest:
    """What Rasa sends an action server for `action` (rasa-sdk's executor reads the same)."""
    return {
        "next_action": action.action,
        "sender_id": action.sender,
        "tracker": rasa_tracker(
            action.state, action.sender, action.message, action.match, action.intent
        ),
        "domain": dict(action.domain),
        "version": RASA_SDK_VERSION_FIELD,
    }


def _result(action: ActionCall, raw_events: object, raw_responses: object) -> ActionResult:
    """Rasa's wire shapes back into our values; what is not an object is passed over (an
    action server is another program: its answer is read, not trusted)."""
    events = [cast(RasaEvent, e) for e in _objects(raw_events)]
    responses = [cast(RasaResponse, r) for r in _objects(raw_responses)]
    return ActionResult(
        tuple(from_rasa_events(tuple(events), action.now)),
        tuple(from_rasa_response(r) for r in responses),
        wants_person=any(
            e.get("event") == "followup" and e.get("name") == "action_handoff" for e in events
        ),
    )


def _objects(value: object) -> list[dict[str, Any]]:
    return (
        [item for item in value or () if isinstance(item, dict)]
        if isinstance(value, list | tuple)
        else []
    )
