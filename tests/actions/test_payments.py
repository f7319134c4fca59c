"""Payments and refunds of an order or the account, with their states explained."""

from __future__ import annotations

from tests.actions.conftest import VERIFIED_ALICE, VERIFIED_JOAO, RunAction, texts


async def test_order_payments_explain_settled_and_pending_refund(run_action: RunAction) -> None:
    result = await run_action("action_payment_status", "refund for 100002", slots=VERIFIED_ALICE)

    said = texts(result)
    assert "order 100002" in said
    assert "Payment of €33.95 (PayPal)" in said and "settled — paid in full" in said
    assert "Refund of €29.00" in said and "3 to 5 working days" in said


async def test_account_payments_include_credits_and_nobody_elses(run_action: RunAction) -> None:
    result = await run_action("action_payment_status", "my payments", slots=VERIFIED_ALICE)

    said = texts(result)
    assert "Store credit of €10.00" in said and "next order" in said
    assert "64.90" not in said  # João's


async def test_refunded_payment_explained_in_portuguese(run_action: RunAction) -> None:
    result = await run_action("action_payment_status", "pagamento 100007", slots=VERIFIED_JOAO)

    said = texts(result)
    assert "reembolsado — o valor foi-lhe devolvido" in said
    assert "Reembolso de 22,00 € (cartão)" in said and "liquidado" in said


async def test_pending_payment_explained(run_action: RunAction) -> None:
    result = await run_action("action_payment_status", "pagamento 100004", slots=VERIFIED_JOAO)

    assert "pendente — autorizado, mas ainda não debitado" in texts(result)
