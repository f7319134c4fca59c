"""Months of the demo shop's conversations, for `balcao seed-demo` (deterministic: fixed seed).

So that the dashboard and the warehouse's queries (docs/warehouse.md) have something to
count: conversations in English, Portuguese and Spanish over the last `DAYS` days, most
from verified customers of data/demo, answered from the shipped knowledge base; some not
understood, some handed to the demo team (queued, claimed, answered, resolved), some
rated, some answers voted on. Written straight into the store's tables in one
transaction; seeding again leaves them be.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.knowledge.entries import Entry, KnowledgeBase

SEED = 20261121
DAYS = 270
CONVERSATIONS = 2400
PREFIX = "demo-"
DEMO_KB = Path(__file__).resolve().parents[2] / "knowledge"

UNANSWERED = {
    "en": (
        "do you sell garden furniture",
        "can I pay with bitcoin",
        "do you ship to canada",
        "is there a loyalty programme",
        "can I book a video call with a designer",
        "do you have a wedding list service",
    ),
    "pt": (
        "vendem mobiliário de jardim",
        "posso pagar com bitcoin",
        "enviam para o brasil",
        "há um programa de fidelização",
        "fazem listas de casamento",
    ),
    "es": (
        "venden muebles de jardín",
        "puedo pagar con bitcoin",
        "envían a méxico",
        "tienen programa de fidelización",
        "hacen listas de boda",
    ),
}
AGENT_LINES = {
    "en": ("Hello, I'm looking into it now.", "Done: you'll get an email shortly."),
    "pt": ("Olá, estou a ver isso agora.", "Feito: vai receber um email em breve."),
    "es": ("Hola, lo estoy mirando ahora.", "Hecho: recibirá un correo en breve."),
}
COMMENTS = {
    "en": ("quick and clear", "took too long", "very helpful agent"),
    "pt": ("rápido e claro", "demorou muito", "agente muito simpático"),
    "es": ("rápido y claro", "tardó demasiado", "agente muy amable"),
}
# entries customers ask for most, and those after which they often want a person
POPULAR = ("order-status", "shipping", "returns-policy", "refunds", "payment-methods")
TOUCHY = ("damaged-item", "refunds", "cancel-order", "complaint", "warranty")


# The demo shop's team: the two account managers named in data/demo/customers.csv, an
# agent and an admin. Only `seed-demo` creates them, and only when they do not exist yet.
DEMO_TEAM = (
    ("ana.costa@casabalcao.example", "Ana Costa", "agent", ("en", "pt", "es")),
    ("marta.reis@casabalcao.example", "Marta Reis", "agent", ("pt", "en")),
    ("tom.hughes@casabalcao.example", "Tom Hughes", "agent", ("en",)),
    ("admin@casabalcao.example", "Admin", "admin", ("en", "pt", "es")),
)


@dataclass
class _Conversation:
    conversation_id: str
    channel: str
    language: str
    customer_id: str = ""
    now: float = 0.0
    events: list[tuple[str, dict[str, Any], float]] = field(default_factory=list)
    handoff: dict[str, Any] | None = None

    def add(self, kind: str, data: dict[str, Any], pause: float = 0.0) -> None:
        self.now += pause
        self.events.append((kind, data, self.now))


def generate(
    kb: KnowledgeBase,
    customers: Sequence[tuple[str, str]],
    agents: Sequence[tuple[str, str, tuple[str, ...]]],
    today: date,
    count: int = CONVERSATIONS,
    prefix: str = PREFIX,
    seed: int = SEED,
    days: int = DAYS,
) -> list[_Conversation]:
    """`customers`: (customer_id, language); `agents`: (email, name, languages)."""
    rng = random.Random(seed)
    end = datetime(today.year, today.month, today.day, tzinfo=UTC)
    start = end - timedelta(days=days)
    by_language = {
        lang: [e for e in kb.in_language(lang) if e.id not in ("greeting", "goodbye", "thanks")]
        for lang in ("en", "pt", "es")
    }
    out = []
    for index in range(count):
        known = rng.random() < 0.7 and customers
        customer_id, language = rng.choice(customers) if known else ("", "")
        if not language:
            language = rng.choices(("pt", "es", "en"), weights=(45, 30, 25))[0]
        entries = by_language[language] or by_language["en"]
        day = start + timedelta(days=rng.uniform(0, max(days - 1, 0)))
        now = day.replace(hour=rng.randint(8, 21), minute=rng.randint(0, 59)).timestamp()
        conv = _Conversation(
            f"{prefix}{index + 1:05d}",
            rng.choice(("widget",) * 4 + ("rest",)),
            language,
            customer_id,
            now,
        )
        out.append(conv)
        add = conv.add

        add("language", {"language": language})
        if customer_id:
            add("slot", {"name": "customer_id", "value": customer_id}, 1)
            add("slot", {"name": "verified", "value": True})
        unknowns = 0
        last: Entry | None = None
        for _ in range(rng.choices((1, 2, 3), weights=(55, 30, 15))[0]):
            roll = rng.random()
            if roll < 0.12:
                unknowns += 1
                add("user", {"text": rng.choice(UNANSWERED[language]), "decision": "unknown"}, 20)
                add("bot", {"text": "…"}, 1)
                continue
            if roll < 0.45:
                entry = _entry(entries, rng.choice(POPULAR)) or rng.choice(entries)
            else:
                entry = rng.choice(entries)
            text = rng.choice(entry.phrasings)
            confidence = round(rng.uniform(0.55, 0.99), 3)
            add(
                "user",
                {"text": text, "decision": "answer", "entry": entry.id, "confidence": confidence},
                25,
            )
            add("bot", {"text": entry.answer[:160] or entry.question, "entry": entry.id}, 1)
            last = entry
            if rng.random() < 0.15:
                add("feedback", {"helpful": rng.random() < 0.75, "entry": entry.id}, 10)
        reason = None
        if unknowns >= 2 or (unknowns and rng.random() < 0.4):
            reason = "fallback"
        elif last is not None and last.handoff:
            reason = "complaint" if last.id == "complaint" else "asked_for_person"
        elif last is not None and last.id in TOUCHY and rng.random() < 0.35:
            reason = rng.choice(("asked_for_person", "unhelpful"))
        elif rng.random() < 0.06:
            reason = "asked_for_person"
        if reason:
            _hand_over(conv, rng, reason, language, agents)
        if rng.random() < (0.55 if reason else 0.3):
            low = reason is not None and rng.random() < 0.3
            rating = rng.choice((1, 2, 3)) if low else rng.choice((3, 4, 5, 5))
            data: dict[str, Any] = {"rating": rating}
            if rng.random() < 0.3:
                data["comment"] = rng.choice(COMMENTS[language])
            add("feedback", data, 30)
        if rng.random() < 0.02 and last is not None:
            add("suggestion", {"entry": last.id, "text": "please add opening hours"}, 5)
    return out


def _entry(entries: list[Entry], entry_id: str) -> Entry | None:
    return next((e for e in entries if e.id == entry_id), None)


def _hand_over(
    conv: _Conversation,
    rng: random.Random,
    reason: str,
    language: str,
    agents: Sequence[tuple[str, str, tuple[str, ...]]],
) -> None:
    add = conv.add
    speakers = [a for a in agents if language in a[2]] or list(agents)
    email, name, _ = rng.choice(speakers)
    add("handoff", {"status": "requested", "reason": reason}, 2)
    requested = conv.now
    add("handoff", {"status": "queued", "handoff_id": 0, "priority": 50, "offline": False})
    add("handoff", {"status": "claimed", "handoff_id": 0, "agent": email}, rng.uniform(20, 1500))
    claimed = conv.now
    for line in AGENT_LINES[language]:
        add("agent", {"text": line, "agent": email, "name": name}, rng.uniform(30, 240))
    add("handoff", {"status": "resolved", "handoff_id": 0, "agent": email}, 30)
    conv.handoff = {
        "reason": reason,
        "language": language,
        "agent": email,
        "created_at": requested,
        "claimed_at": claimed,
        "resolved_at": conv.now,
    }


def _when(row: tuple[str, int, str, str, float]) -> float:
    return row[4]


def seed_history(db: sqlite_utils.Database, today: date, kb_dir: Path = DEMO_KB) -> int:
    """Write the demo's conversations unless they are there; returns how many were written."""
    from bot.knowledge.entries import load_knowledge

    if db.execute("SELECT 1 FROM conversations WHERE id LIKE ? LIMIT 1", [PREFIX + "%"]).fetchone():
        return 0
    customers = [
        (r[0], r[1] or "en")
        for r in db.execute("SELECT customer_id, language FROM customers ORDER BY customer_id")
    ]
    agents = [(e, n, langs) for e, n, role, langs in DEMO_TEAM if role == "agent"]
    conversations = generate(load_knowledge(kb_dir), customers, agents, today)
    write_history(db, conversations)
    return len(conversations)


def write_history(db: sqlite_utils.Database, conversations: Sequence[_Conversation]) -> None:
    """Insert generated conversations, their events and handoffs in one transaction."""
    next_handoff = int(db.execute("SELECT coalesce(max(id), 0) + 1 FROM handoffs").fetchone()[0])
    conv_rows: list[tuple[Any, ...]] = []
    handoff_rows: list[tuple[Any, ...]] = []
    event_rows: list[tuple[str, int, str, str, float]] = []
    for conv in conversations:
        if conv.handoff is not None:
            handoff_id = next_handoff
            next_handoff += 1
            for _, data, _ in conv.events:
                if "handoff_id" in data:
                    data["handoff_id"] = handoff_id
            h = conv.handoff
            handoff_rows.append(
                (handoff_id, conv.conversation_id, conv.conversation_id, conv.channel, h["reason"],
                 h["language"], 50, h["created_at"], "resolved", h["agent"], h["claimed_at"],
                 h["resolved_at"], conv.customer_id or None)
            )  # fmt: skip
        events = conv.events
        conv_rows.append(
            (conv.conversation_id, conv.conversation_id, conv.channel, conv.language,
             events[0][2], events[-1][2], len(events))
        )  # fmt: skip
        event_rows.extend(
            (conv.conversation_id, seq, kind, json.dumps(data, ensure_ascii=False), at)
            for seq, (kind, data, at) in enumerate(events, start=1)
        )
    event_rows.sort(key=_when)
    with db.atomic():
        db.conn.executemany(
            "INSERT INTO conversations (id, sender, channel, language, created_at, updated_at,"
            " last_seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
            conv_rows,
        )
        db.conn.executemany(
            "INSERT INTO events (conversation_id, seq, kind, data, timestamp) VALUES (?, ?, ?, ?, ?)",
            event_rows,
        )
        db.conn.executemany(
            "INSERT INTO handoffs (id, conversation_id, sender, channel, reason, language,"
            " priority, created_at, status, agent, claimed_at, resolved_at, customer_id, skills, flags,"
            " offline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '[]', 0)",
            handoff_rows,
        )
