"""Notice triggers as files: `knowledge/<lang>/notices/<name>.md`.

    ---
    trigger: order.shipped
    subject: Your order {order_id} is on its way
    delay: 0h            # how long after the change it goes (m, h or d)
    kind: service        # optional; service notices go unless opted out, marketing needs opt-in
    tiers: [top]         # optional conditions: tier, lifecycle stage, product category
    stages: []
    categories: []
    offer: 10            # winback.offer only, optional: this file's amount for {offer}
                         # instead of BALCAO_WINBACK_OFFER (capped by the tier's goodwill
                         # limit and booked as goodwill when the notice is sent)
    ---
    Hello {name}, {carrier} has your parcel: tracking code **{tracking_code}**.

Errors read `file:line: what is wrong`, as the rest of the knowledge base's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.errors import KnowledgeError
from bot.knowledge.entries import LANGUAGES
from bot.knowledge.textfiles import read_text

Kind = Literal["service", "marketing"]

# trigger -> its kind: service notices go unless the customer opted out; marketing ones need
# a recorded opt-in
TRIGGERS: dict[str, Kind] = {
    "order.shipped": "service",
    "order.delayed": "service",
    "order.delivered": "service",
    "watch.shipped": "service",  # "let me know when it ships", asked in chat
    "watch.back_in_stock": "service",  # "tell me when it is back", asked in chat
    "satisfaction.check": "service",
    "thanks.first_purchase": "marketing",
    "replenish.reminder": "marketing",
    "occasion.reminder": "marketing",
    "winback": "marketing",  # a light touch to a customer in dissolution
    "winback.offer": "marketing",  # the same, with an offer, to the top and high-potential
}
OFFER_TRIGGER = "winback.offer"  # the one trigger whose {offer} is booked as goodwill
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
PLACEHOLDERS = frozenset(
    {
        "name",
        "order_id",
        "carrier",
        "tracking_code",
        "product",
        "occasion",
        "link",
        "days",
        "offer",
    }  # fmt: skip
)


@dataclass(frozen=True)
class NoticeTemplate:
    """One trigger in one language, from `knowledge/<lang>/notices/<name>.md`."""

    trigger: str
    language: str
    subject: str
    body: str
    delay: timedelta = timedelta(0)
    kind: Kind = "service"
    tiers: tuple[str, ...] = ()  # empty: any
    stages: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    offer: Decimal | None = None  # this file's win-back offer, else BALCAO_WINBACK_OFFER's
    source: str = ""

    def render(self, values: Mapping[str, str]) -> tuple[str, str]:
        """(subject, body) with placeholders filled; an unknown value renders empty."""

        def fill(text: str) -> str:
            return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "")), text)

        return fill(self.subject), fill(self.body)

    def applies_to(self, tier: str | None, stage: str | None, categories: Iterable[str]) -> bool:
        if self.tiers and tier not in self.tiers:
            return False
        if self.stages and stage not in self.stages:
            return False
        return not self.categories or bool(set(self.categories) & set(categories))


@dataclass(frozen=True)
class Templates:
    by_key: Mapping[tuple[str, str], NoticeTemplate] = field(default_factory=dict)

    @classmethod
    def of(cls, templates: Iterable[NoticeTemplate]) -> Templates:
        return cls({(t.trigger, t.language): t for t in templates})

    def get(self, trigger: str, language: str, fallback: str = "en") -> NoticeTemplate | None:
        return self.by_key.get((trigger, language)) or self.by_key.get((trigger, fallback))

    def delay(self, trigger: str) -> timedelta:
        found = [t.delay for (name, _), t in self.by_key.items() if name == trigger]
        return min(found) if found else timedelta(0)


KNOWN_KEYS = {"trigger", "subject", "delay", "kind", "tiers", "stages", "categories", "offer"}
DELAY = re.compile(r"^(\d+)\s*([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def notice_files(directory: Path) -> list[Path]:
    return sorted(
        p for lang in LANGUAGES for p in (directory / lang / "notices").glob("*.md") if p.is_file()
    )


def load_templates(directory: Path) -> Templates:
    """Every notice template; KnowledgeError at the first bad file."""
    return Templates.of(
        parse_template(
            read_text(path, lambda p, line, problem: KnowledgeError(str(p), line, problem)),
            str(path),
            path.parent.parent.name,
        )
        for path in notice_files(directory)
    )


def check_templates(directory: Path) -> list[KnowledgeError]:
    problems: list[KnowledgeError] = []
    for path in notice_files(directory):
        try:
            text = read_text(path, lambda p, line, problem: KnowledgeError(str(p), line, problem))
            parse_template(text, str(path), path.parent.parent.name)
        except KnowledgeError as exc:
            problems.append(exc)
    return problems


def parse_template(text: str, source: str, language: str) -> NoticeTemplate:
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise KnowledgeError(source, 1, "a notice file starts with '---' and YAML front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise KnowledgeError(
            source, len(lines), "front matter is not closed: add a line with '---' after it"
        ) from None
    front = "\n".join(lines[1:end])
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)
        data = yaml.safe_load(front)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise KnowledgeError(
            source, (mark.line + 2) if mark else 2, f"YAML error: {exc.problem}"
        ) from None
    except yaml.YAMLError as exc:
        raise KnowledgeError(source, 2, f"YAML error: {exc}") from None
    if not isinstance(data, dict) or node is None:
        raise KnowledgeError(source, 2, "front matter must be a mapping of keys to values")
    key_lines = {
        k.value: k.start_mark.line + 2 for k, _ in node.value if isinstance(k, yaml.ScalarNode)
    }

    def fail(key: str, problem: str) -> KnowledgeError:
        return KnowledgeError(source, key_lines.get(key, 2), problem)

    unknown = sorted(set(map(str, data)) - KNOWN_KEYS)
    if unknown:
        raise fail(
            unknown[0], f"unknown key '{unknown[0]}' (known: {', '.join(sorted(KNOWN_KEYS))})"
        )
    trigger = data.get("trigger")
    if trigger not in TRIGGERS:
        raise fail("trigger", f"'trigger' must be one of: {', '.join(TRIGGERS)}")
    subject = data.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        raise fail("subject", "'subject' is missing: the email's subject line")
    body = "\n".join(lines[end + 1 :]).strip()
    if not body:
        raise KnowledgeError(source, end + 2, "the message is empty: write it after the '---'")
    for offset, line in enumerate([subject, *lines[end + 1 :]]):
        for name in PLACEHOLDER.findall(line):
            at = key_lines.get("subject", 2) if offset == 0 else end + 1 + offset
            if name == "offer" and trigger != OFFER_TRIGGER:
                raise KnowledgeError(
                    source,
                    at,
                    f"{{offer}} is for '{OFFER_TRIGGER}' files only: the offer it names is"
                    " booked as goodwill when that notice is sent",
                )
            if name not in PLACEHOLDERS:
                raise KnowledgeError(
                    source,
                    at,
                    f"unknown placeholder {{{name}}} (known: {', '.join(sorted(PLACEHOLDERS))})",
                )
    offer = _offer(data.get("offer"), fail)
    if offer is not None and trigger != OFFER_TRIGGER:
        raise fail("offer", f"'offer' is for '{OFFER_TRIGGER}' files only")
    kind = data.get("kind", TRIGGERS[trigger])
    if kind not in ("service", "marketing"):
        raise fail("kind", "'kind' is 'service' or 'marketing'")
    if TRIGGERS[trigger] == "marketing" and kind == "service":
        raise fail("kind", f"'{trigger}' is marketing: it needs the customer's opt-in")
    return NoticeTemplate(
        trigger=trigger,
        language=language,
        subject=subject.strip(),
        body=body,
        delay=_delay(data.get("delay", "0h"), fail),
        kind=kind,
        tiers=_names(data.get("tiers"), "tiers", fail),
        stages=_names(data.get("stages"), "stages", fail),
        categories=_names(data.get("categories"), "categories", fail),
        offer=offer,
        source=source,
    )


def _delay(value: Any, fail: Any) -> timedelta:
    match = DELAY.match(str(value).strip())
    if match is None:
        raise fail("delay", f"'delay' is a number and m, h or d (e.g. 3d), not {value!r}")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def _offer(value: Any, fail: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        amount = Decimal(0)
    if isinstance(value, bool) or not amount.is_finite() or amount <= 0:
        raise fail("offer", f"'offer' is a positive amount (e.g. 10 or 7.50), not {value!r}")
    return amount.quantize(Decimal("0.01"))


def _names(value: Any, key: str, fail: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(key, f"'{key}' is a list of names")
    return tuple(value)
