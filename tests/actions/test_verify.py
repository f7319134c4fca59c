"""In-chat verification: order number plus email or postcode, attempts limited, nothing leaked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.actions.conftest import RunAction, loop_of, slots, texts

VERIFYING = {"verify_order": "100001", "pending_action": "action_order_status"}


async def test_unverified_status_question_asks_for_details_and_reveals_nothing(
    run_action: RunAction,
) -> None:
    result = await run_action("action_order_status", "where is my order 100001?")

    said = texts(result)
    assert "check it's you" in said
    assert "email" in said
    for secret in ("shipped", "RM123456789GB", "Royal Mail", "46.90", "Teapot"):
        assert secret not in said
    assert loop_of(result) == "action_verify_identity"
    assert slots(result)["verify_order"] == "100001"
    assert slots(result)["pending_action"] == "action_order_status"
    assert "verified" not in slots(result)


async def test_right_email_verifies_and_answers_the_pending_question(run_action: RunAction) -> None:
    result = await run_action(
        "action_verify_identity",
        "it's Alice@Example.com",
        slots=VERIFYING,
        loop="action_verify_identity",
    )

    assert slots(result)["customer_id"] == "C1"
    assert slots(result)["verified"] is True
    assert loop_of(result) is None
    said = texts(result)
    assert "RM123456789GB" in said and "Royal Mail" in said and "17 Jun 2026" in said


async def test_postcode_verifies_as_well_as_email(run_action: RunAction) -> None:
    result = await run_action(
        "action_verify_identity", "sw1a1aa", slots=VERIFYING, loop="action_verify_identity"
    )

    assert slots(result)["verified"] is True


async def test_spanish_postcode_alone_is_read_as_a_postcode_not_an_order(
    run_action: RunAction,
) -> None:
    result = await run_action(
        "action_verify_identity",
        "28001",
        slots={"verify_order": "100005", "pending_action": None, "language": "es"},
        loop="action_verify_identity",
    )

    assert slots(result)["customer_id"] == "C3"


async def test_wrong_email_gets_no_data_and_counts_down(run_action: RunAction) -> None:
    result = await run_action(
        "action_verify_identity",
        "mallory@example.com",
        slots=VERIFYING,
        loop="action_verify_identity",
    )

    said = texts(result)
    assert "don't match" in said and "Attempts left: 2" in said
    assert "RM123456789GB" not in said and "shipped" not in said
    assert "verified" not in slots(result)
    assert loop_of(result) == "action_verify_identity"


async def test_unknown_order_answers_exactly_like_a_wrong_email(run_action: RunAction) -> None:
    unknown = await run_action(
        "action_verify_identity",
        "alice@example.com",
        slots={"verify_order": "999999"},
        loop="action_verify_identity",
        sender="a",
    )
    wrong = await run_action(
        "action_verify_identity",
        "bob@example.com",
        slots=VERIFYING,
        loop="action_verify_identity",
        sender="b",
    )

    assert texts(unknown) == texts(wrong)


async def test_third_failure_in_a_conversation_locks_it_and_offers_a_person(
    run_action: RunAction,
) -> None:
    for _ in range(2):
        await run_action(
            "action_verify_identity",
            "x@example.com",
            slots=VERIFYING,
            loop="action_verify_identity",
        )
    third = await run_action(
        "action_verify_identity", "y@example.com", slots=VERIFYING, loop="action_verify_identity"
    )
    after = await run_action(
        "action_verify_identity",
        "alice@example.com",
        slots=VERIFYING,
        loop="action_verify_identity",
    )

    assert "can't try any more checks" in texts(third)
    assert third["responses"][-1]["buttons"][0]["payload"] == "/handoff"
    assert loop_of(third) is None
    # even the right details are refused now
    assert "verified" not in slots(after)
    assert "RM123456789GB" not in texts(after)


async def test_five_failures_on_one_order_lock_it_across_conversations(
    run_action: RunAction,
) -> None:
    for n in range(5):
        await run_action(
            "action_verify_identity",
            f"guess{n}@example.com",
            slots=VERIFYING,
            loop="action_verify_identity",
            sender=f"attacker-{n}",
        )
    result = await run_action(
        "action_verify_identity",
        "alice@example.com",
        slots=VERIFYING,
        loop="action_verify_identity",
        sender="fresh",
    )

    assert "too many failed checks" in texts(result)
    assert "verified" not in slots(result)


async def test_one_message_with_many_guesses_counts_as_one_guess(run_action: RunAction) -> None:
    result = await run_action(
        "action_verify_identity",
        "a@example.com b@example.com alice@example.com",
        slots=VERIFYING,
        loop="action_verify_identity",
    )

    assert "verified" not in slots(result)


async def test_order_and_email_in_one_message_verify_at_once(run_action: RunAction) -> None:
    result = await run_action(
        "action_payment_status",
        "payments for order 100004 please, joao@example.com",
        slots={"language": "pt"},
    )

    assert slots(result)["customer_id"] == "C2"
    assert "Pagamentos e reembolsos da encomenda 100004" in texts(result)


async def test_customer_who_gives_nothing_twice_leaves_the_loop(run_action: RunAction) -> None:
    result = await run_action(
        "action_verify_identity",
        "hmm I don't know",
        slots={"verify_prompts": 1, "pending_action": "action_order_status"},
        loop="action_verify_identity",
    )

    assert loop_of(result) is None
    assert "just ask again" in texts(result)


@pytest.mark.parametrize(
    "slot_values",
    [
        pytest.param({"customer_id": "C1"}, id="customer-id-without-verified"),
        pytest.param({"customer_id": "C1", "verified": "true"}, id="verified-as-text"),
        pytest.param({"verified": True}, id="verified-without-customer"),
    ],
)
async def test_only_verified_true_with_a_customer_id_counts_as_verified(
    run_action: RunAction, slot_values: dict[str, Any]
) -> None:
    result = await run_action("action_recent_orders", "my orders", slots=slot_values)

    assert "100001" not in texts(result)
    assert loop_of(result) == "action_verify_identity"
