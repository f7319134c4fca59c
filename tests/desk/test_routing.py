"""Pure routing rules: priority, queue order, capacity, dedicated account managers, hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.core.agents import Agent, hash_password, verify_password
from bot.core.business_hours import BusinessHours
from bot.core.handoff import (
    Handoff,
    choose_agent,
    expected_wait,
    position_in_queue,
    priority,
    queue_order,
)
from bot.errors import ConfigError, InputError


def handoff(**overrides: object) -> Handoff:
    values: dict[str, object] = {
        "id": 1,
        "conversation_id": "c",
        "sender": "s",
        "channel": "web",
        "reason": "asked_for_person",
        "language": "en",
        "priority": 50,
        "created_at": 100.0,
    }
    values.update(overrides)
    return Handoff(**values)  # type: ignore[arg-type]


ANA = Agent("ana@x.pt", "Ana", languages=("en", "pt"), max_chats=2, status="online")
BEA = Agent("bea@x.pt", "Bea", languages=("en",), max_chats=3, status="online")


def test_relationships_at_risk_and_valuable_customers_come_first() -> None:
    assert priority("complaint", "low-value") > priority("asked_for_person", "top")
    assert priority("asked_for_person", "top") > priority("asked_for_person", "low-value")
    assert priority("action_return_request_needs_person", None) > priority("fallback", None)


def test_queue_orders_by_priority_then_waiting_time() -> None:
    old_low = handoff(id=1, priority=40, created_at=1.0)
    new_high = handoff(id=2, priority=100, created_at=50.0)
    old_high = handoff(id=3, priority=100, created_at=10.0)
    taken = handoff(id=4, priority=200, status="assigned")
    assert [h.id for h in queue_order([old_low, new_high, old_high, taken])] == [3, 2, 1]
    assert position_in_queue(1, [old_low, new_high, old_high]) == 3


def test_least_busy_agent_who_speaks_the_language_gets_it() -> None:
    assert choose_agent(handoff(), [ANA, BEA], {"ana@x.pt": 1, "bea@x.pt": 1}) == BEA  # 1/3 < 1/2
    assert choose_agent(handoff(language="pt"), [ANA, BEA], {}) == ANA


def test_nothing_goes_to_a_full_or_offline_agent() -> None:
    assert choose_agent(handoff(language="pt"), [ANA], {"ana@x.pt": 2}) is None
    assert (
        choose_agent(handoff(), [replace(BEA, status="away"), replace(ANA, status="offline")], {})
        is None
    )


def test_skills_are_required() -> None:
    assert choose_agent(
        handoff(skills=("billing",)), [ANA, replace(BEA, skills=("billing",))], {}
    ) == replace(BEA, skills=("billing",))


def test_a_dedicated_account_manager_takes_their_customer_when_online() -> None:
    h = handoff(account_manager="ana@x.pt")
    assert choose_agent(h, [ANA, BEA], {"bea@x.pt": 0, "ana@x.pt": 1}) == ANA
    assert choose_agent(h, [replace(ANA, status="offline"), BEA], {}) == BEA


def test_expected_wait_scales_with_position_and_agents() -> None:
    assert expected_wait(3, 2, 300) == 450
    assert expected_wait(1, 0) is None


def test_business_hours_with_time_zone_and_holidays() -> None:
    hours = BusinessHours.parse(
        "mon-fri 09:00-18:00; sat 10:00-14:00", "Europe/Lisbon", "2026-12-25"
    )
    monday_10_lisbon = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # winter: Lisbon = UTC
    assert hours.is_open(monday_10_lisbon)
    assert not hours.is_open(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))  # Sunday
    assert not hours.is_open(datetime(2026, 12, 25, 10, 0, tzinfo=UTC))  # holiday
    back = hours.next_open(datetime(2026, 11, 21, 15, 0, tzinfo=UTC))  # Saturday after closing
    assert back is not None and back.isoformat() == "2026-11-23T09:00:00+00:00"


@pytest.mark.parametrize(
    "text",
    ["mon-fri 9-18", "funday 09:00-10:00", "mon 18:00-09:00"],
    ids=["no-minutes", "bad-day", "backwards"],
)
def test_bad_business_hours_are_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        BusinessHours.parse(text, "UTC")


def test_passwords_are_salted_slow_hashes() -> None:
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first != second and first.startswith("scrypt$16384$")
    assert verify_password("s3cret-pass", first)
    assert not verify_password("s3cret-pasS", first)
    with pytest.raises(InputError):
        hash_password("short")
