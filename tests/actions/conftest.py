"""Actions run through rasa-sdk's real ActionExecutor on a real SQLite store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

import actions
from actions import store
from tests.shop.factory import NOW, make_shop_db

RunAction = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def shop_db(tmp_path: Path) -> Iterator[Path]:
    path = make_shop_db(tmp_path / "shop.sqlite3")
    actions.configure(path, clock=lambda: NOW)
    yield path
    store.close()


@pytest.fixture(scope="session")
def executor() -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


def tracker(
    text: str = "",
    *,
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    loop: str | None = None,
    sender: str = "conv-1",
    intent: str | None = None,
) -> dict[str, Any]:
    """A tracker as Balcão (and Rasa) sends it to an action."""
    return {
        "sender_id": sender,
        "slots": {"language": "en", **(slots or {})},
        "latest_message": {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
            "metadata": {},
        },
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": loop} if loop else {},
        "latest_action_name": None,
    }


@pytest.fixture
def run_action(executor: ActionExecutor, shop_db: Path) -> RunAction:
    async def run(name: str, text: str = "", **kwargs: Any) -> dict[str, Any]:
        result = await executor.run(
            {
                "next_action": name,
                "sender_id": kwargs.get("sender", "conv-1"),
                "tracker": tracker(text, **kwargs),
                "domain": {},
            }
        )
        assert result is not None
        return {"events": result.events, "responses": result.responses}

    return run


def texts(result: dict[str, Any]) -> str:
    return "\n".join(r.get("text") or "" for r in result["responses"])


def slots(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


def loop_of(result: dict[str, Any]) -> str | None | bool:
    """The last loop event's name, or False if the action set none."""
    loops = [e for e in result["events"] if e["event"] == "active_loop"]
    return loops[-1]["name"] if loops else False


VERIFIED_ALICE = {"customer_id": "C1", "verified": True}
VERIFIED_JOAO = {"customer_id": "C2", "verified": True, "language": "pt"}
VERIFIED_LUCIA = {"customer_id": "C3", "verified": True, "language": "es"}
