"""Returns and cancellations: recorded within policy, a person offered outside it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.actions.conftest import (
    VERIFIED_ALICE,
    VERIFIED_JOAO,
    RunAction,
    loop_of,
    slots,
    texts,
)


def requests(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT kind, order_id, customer_id FROM service_requests ORDER BY order_id"
        ).fetchall()


async def test_return_within_thirty_days_is_recorded(run_action: RunAction, shop_db: Path) -> None:
    result = await run_action("action_return_request", "return order 100002", slots=VERIFIED_ALICE)

    said = texts(result)
    assert "recorded your return request R-" in said and "until 24 Jun 2026" in said
    assert requests(shop_db) == [("return", "100002", "C1")]


async def test_asking_twice_does_not_record_twice(run_action: RunAction, shop_db: Path) -> None:
    await run_action("action_return_request", "return order 100002", slots=VERIFIED_ALICE)
    again = await run_action("action_return_request", "return 100002", slots=VERIFIED_ALICE)

    assert "already an open request" in texts(again)
    assert len(requests(shop_db)) == 1


async def test_unshipped_order_gets_a_cancellation(run_action: RunAction, shop_db: Path) -> None:
    result = await run_action("action_return_request", "cancelar 100004", slots=VERIFIED_JOAO)

    assert "pedido de cancelamento" in texts(result)
    assert requests(shop_db) == [("cancellation", "100004", "C2")]


async def test_late_return_is_refused_with_the_offer_of_a_person(
    run_action: RunAction, shop_db: Path
) -> None:
    result = await run_action("action_return_request", "return 100003", slots=VERIFIED_ALICE)

    assert "outside our return window" in texts(result)
    assert result["responses"][-1]["buttons"] == [
        {"title": "Talk to a person", "payload": "/handoff"}
    ]
    assert requests(shop_db) == []


async def test_order_in_transit_cannot_be_cancelled_here(
    run_action: RunAction, shop_db: Path
) -> None:
    result = await run_action("action_return_request", "cancel 100001", slots=VERIFIED_ALICE)

    assert "already on its way" in texts(result)
    assert requests(shop_db) == []


async def test_without_an_order_number_it_asks_which_then_takes_the_answer(
    run_action: RunAction, shop_db: Path
) -> None:
    asked = await run_action(
        "action_return_request", "I want to return something", slots=VERIFIED_ALICE
    )
    answered = await run_action(
        "action_return_request", "100002", slots=VERIFIED_ALICE, loop="action_return_request"
    )

    assert "Which order" in texts(asked) and "100002" in texts(asked)
    assert loop_of(asked) == "action_return_request"
    assert loop_of(answered) is None
    assert slots(answered)["order_id"] == "100002"
    assert requests(shop_db) == [("return", "100002", "C1")]
