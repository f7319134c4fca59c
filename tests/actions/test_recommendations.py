"""Recommendations: personal, in stock, not owned, with a reason, in the customer's language."""

from __future__ import annotations

from typing import Any

from tests.actions.conftest import (
    VERIFIED_ALICE,
    VERIFIED_JOAO,
    VERIFIED_LUCIA,
    RunAction,
    loop_of,
    texts,
)


def cards(result: dict[str, Any]) -> list[dict[str, Any]]:
    custom = result["responses"][-1]["custom"]
    assert custom["type"] == "products"
    return list(custom["items"])


async def test_up_sell_and_cross_sell_never_owned_or_out_of_stock(run_action: RunAction) -> None:
    result = await run_action(
        "action_recommendations", "recommend me something", slots=VERIFIED_ALICE
    )

    picks = {c["sku"]: c for c in cards(result)}
    assert picks["TEA-PRE"]["kind"] == "upsell"
    assert picks["TEA-PRE"]["reason"] == "an upgrade of your Ceramic Teapot"
    assert "TRV-CRK" in picks
    owned = {"TEA-BAS", "CUP-SET", "TWL-BAS", "MAT-BTH"}
    out_of_stock = {"TEA-STR", "TWL-PRE"}
    assert not (set(picks) & (owned | out_of_stock))
    assert "Cast Iron Teapot — €64.90" in texts(result)


async def test_reasons_in_spanish(run_action: RunAction) -> None:
    result = await run_action("action_recommendations", "qué me recomiendas", slots=VERIFIED_LUCIA)

    said = texts(result)
    assert "Algunas sugerencias" in said
    assert (
        "Tetera de Hierro Fundido" in said
        and "una versión mejor de Tetera de Cerámica, que ya tienes" in said
    )


async def test_owner_of_the_premium_version_is_not_offered_the_basic_one(
    run_action: RunAction,
) -> None:
    result = await run_action("action_recommendations", "sugestões", slots=VERIFIED_JOAO)

    skus = {c["sku"] for c in cards(result)}
    assert "TEA-BAS" not in skus and "TEA-PRE" not in skus
    assert "Algumas sugestões" in texts(result)


async def test_stranger_gets_verification_not_recommendations(run_action: RunAction) -> None:
    result = await run_action("action_recommendations", "recommend something")

    assert loop_of(result) == "action_verify_identity"
    assert all(not r.get("custom") for r in result["responses"])
