"""What the data-protection API answers (channels/privacy.py): one customer's export, and
what forgetting her removed."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict


class ExportedEvent(TypedDict):
    seq: int
    kind: str
    data: dict[str, Any]
    timestamp: float


class ExportedConversation(TypedDict):
    id: str
    channel: str | None
    sender: str | None
    created_at: float | None
    language: str | None
    events: list[ExportedEvent]


class ExportedFile(TypedDict):
    """A file she sent; staff download it from `url`."""

    id: str
    type: str
    size: int
    conversation_id: str
    created_at: float
    file: str
    url: str


class Export(TypedDict):
    """Everything kept about her: her rows in each table (by table name, as stored), her
    conversations with every event, her files listed."""

    customer_id: str
    exported_at: float
    tables: dict[str, list[dict[str, Any]]]
    conversations: list[ExportedConversation]
    attachments: list[ExportedFile]


class WarehouseExport(TypedDict):
    target: str
    at: float


class Forgotten(TypedDict):
    """How many of each were removed (kinds with none left out), and the warehouse
    exports written before, which may still hold her."""

    customer_id: str
    removed: dict[str, int]
    warehouse_exports: list[WarehouseExport]
