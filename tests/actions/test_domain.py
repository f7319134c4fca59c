"""The Rasa domain snippet shipped with the actions names every action and every slot they set."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor

ACTIONS = Path(__file__).resolve().parents[2] / "actions"


def test_domain_lists_every_registered_action(executor: ActionExecutor) -> None:
    domain = yaml.safe_load((ACTIONS / "domain.yml").read_text(encoding="utf-8"))

    ours = {
        name
        for name in executor.actions
        if name.startswith("action_") and executor.actions[name].__module__.startswith("actions")
    }
    assert set(domain["actions"]) == ours


def test_domain_declares_every_slot_the_actions_set() -> None:
    domain = yaml.safe_load((ACTIONS / "domain.yml").read_text(encoding="utf-8"))
    set_by_code: set[str] = set()
    for path in ACTIONS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "SlotSet"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                set_by_code.add(str(node.args[0].value))
    set_by_code |= {"verify_order", "verify_prompts", "pending_action", "pending_request"}

    assert set_by_code <= set(domain["slots"])
