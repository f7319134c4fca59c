"""Canned responses agents insert with one click: `knowledge/canned.yml`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.errors import KnowledgeError
from bot.knowledge.entries import LANGUAGES


def load_canned(path: Path) -> list[dict[str, str]]:
    """The canned responses, or [] if the file does not exist. Errors name file and line."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise KnowledgeError(str(path), line, f"YAML error: {exc.problem}") from None
    if not isinstance(data, list) or node is None:
        raise KnowledgeError(str(path), 1, "expected a list of {id, language, title, text}")
    items = []
    for item, item_node in zip(data, node.value, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) and item[k].strip()
            for k in ("id", "language", "title", "text")
        ):
            raise KnowledgeError(str(path), line, "each item needs id, language, title and text")
        if item["language"] not in LANGUAGES:
            raise KnowledgeError(str(path), line, f"language must be one of {', '.join(LANGUAGES)}")
        items.append({k: str(item[k]).strip() for k in ("id", "language", "title", "text")})
    return items
