"""Order status, tracking and recent orders for verified customers, in their language."""

from __future__ import annotations

from tests.actions.conftest import (
    VERIFIED_ALICE,
    VERIFIED_JOAO,
    VERIFIED_LUCIA,
    RunAction,
    slots,
    texts,
)


async def test_status_of_a_named_order_has_carrier_tracking_eta_and_items(
    run_action: RunAction,
) -> None:
    result = await run_action("action_order_status", "where is 100001", slots=VERIFIED_ALICE)

    said = texts(result)
    assert "Order 100001" in said and "shipped" in said
    assert "Royal Mail" in said and "RM123456789GB" in said
    assert "Expected delivery: 17 Jun 2026" in said
    assert "1 × Ceramic Teapot" in said and "1 × Stoneware Tea Cups (4)" in said
    assert slots(result) == {"order_id": "100001"}


async def test_status_without_a_number_is_the_latest_order(run_action: RunAction) -> None:
    result = await run_action("action_order_status", "where is my order", slots=VERIFIED_ALICE)

    assert "Order 100001" in texts(result)


async def test_someone_elses_order_is_not_found_for_a_verified_customer(
    run_action: RunAction,
) -> None:
    result = await run_action("action_order_status", "status of 100004", slots=VERIFIED_ALICE)

    said = texts(result)
    assert "can't find order 100004" in said
    assert "processing" not in said and "64.90" not in said


async def test_status_in_portuguese(run_action: RunAction) -> None:
    result = await run_action("action_order_status", "encomenda 100004", slots=VERIFIED_JOAO)

    said = texts(result)
    assert "A encomenda 100004" in said and "em preparação" in said
    assert "64,90 €" in said and "Bule de Ferro Fundido" in said


async def test_status_in_spanish_with_delivery_date(run_action: RunAction) -> None:
    result = await run_action("action_order_status", "pedido 100005", slots=VERIFIED_LUCIA)

    said = texts(result)
    assert "El pedido 100005" in said and "entregado" in said
    assert "Entregado el 5 jun 2026" in said and "SE987654321ES" in said


async def test_recent_orders_lists_newest_first(run_action: RunAction) -> None:
    result = await run_action("action_recent_orders", "my orders", slots=VERIFIED_ALICE)

    said = texts(result)
    assert said.index("100001") < said.index("100002") < said.index("100003")
    assert "€33.95" in said


async def test_customer_with_orders_elsewhere_sees_only_their_own(run_action: RunAction) -> None:
    result = await run_action("action_recent_orders", "pedidos", slots=VERIFIED_LUCIA)

    said = texts(result)
    assert "100005" in said and "100008" in said
    assert "100001" not in said and "100004" not in said
