"""Business hours: when people are there to take conversations.

Parsed from a compact text, e.g. ``mon-fri 09:00-18:00; sat 10:00-14:00``, in a
time zone (``Europe/Lisbon``), minus holidays (``2026-12-25,2027-01-01``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(r"^(\w{3})(?:-(\w{3}))?\s+(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class BusinessHours:
    # weekday (0 = Monday) -> (opens, closes)
    week: dict[int, tuple[time, time]] = field(default_factory=dict)
    zone: str = "UTC"
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    @classmethod
    def parse(cls, text: str, zone: str = "UTC", holidays: str = "") -> BusinessHours:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"unknown time zone {zone!r}") from None
        days: set[date] = set()
        for item in filter(None, (h.strip() for h in holidays.split(","))):
            try:
                days.add(date.fromisoformat(item))
            except ValueError:
                raise ConfigError(f"holiday {item!r} is not a date like 2026-12-25") from None
        if text.strip().lower() in ("", "always", "24/7"):
            return cls({}, zone, frozenset(days), always_open=True)
        week: dict[int, tuple[time, time]] = {}
        for part in filter(None, (p.strip().lower() for p in text.split(";"))):
            match = _PART.match(part)
            if not match or match.group(1) not in DAYS or (match.group(2) or "mon") not in DAYS:
                raise ConfigError(
                    f"business hours {part!r}: write e.g. 'mon-fri 09:00-18:00; sat 10:00-14:00'"
                )
            first = DAYS.index(match.group(1))
            last = DAYS.index(match.group(2)) if match.group(2) else first
            opens, closes = (
                time.fromisoformat(match.group(3).zfill(5)),
                time.fromisoformat(match.group(4).zfill(5)),
            )
            if closes <= opens:
                raise ConfigError(f"business hours {part!r}: closing must come after opening")
            for day in range(first, last + 1):
                week[day] = (opens, closes)
        return cls(week, zone, frozenset(days))

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.zone))
        if local.date() in self.holidays:
            return False
        if self.always_open:
            return True
        hours = self.week.get(local.weekday())
        return hours is not None and hours[0] <= local.time() < hours[1]

    def next_open(self, moment: datetime) -> datetime | None:
        """When people are next there (now if open), in the business's time zone."""
        tz = ZoneInfo(self.zone)
        local = moment.astimezone(tz)
        if self.is_open(local):
            return local
        for offset in range(0, 370):
            day = (local + timedelta(days=offset)).date()
            if day in self.holidays:
                continue
            if self.always_open:
                return datetime.combine(day, time(0, 0), tz)
            hours = self.week.get(day.weekday())
            if hours is None:
                continue
            start = datetime.combine(day, hours[0], tz)
            if start > local:
                return start
        return None
