"""Who may speak as a REST sender: an optional channel token (each names an origin whose
conversations are its own), and ratings bound to the answer and conversation they rate."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Secret, Settings
from bot.core import events as ev
from bot.core.identity import identity_hash
from bot.understanding.matching import FuzzyMatcher
from channels.keys import STORE
from tests.channels.test_identity import SECRET, identity_settings  # noqa: F401 (a fixture)

WEBHOOK = "/webhooks/rest/webhook"
TOKENS = "shop=tok-shop-0123456789,app=tok-app-0123456789"


def flip(token: str) -> str:
    """The token with its last character changed."""
    return token[:-1] + ("1" if token[-1] == "0" else "0")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic tok-shop-0123456789"}, bearer("tok-shop-0123456780"),
     bearer("tok-shop-0123456789x"), bearer("é" * 10)],
    ids=["none", "basic", "wrong", "longer", "non-ascii"],
)  # fmt: skip
async def test_the_rest_channel_refuses_a_missing_or_wrong_token_when_tokens_are_set(
    aiohttp_client: Any, make_settings: Callable[..., Settings], headers: dict[str, str]
) -> None:
    client = await aiohttp_client(create_app(make_settings(rest_tokens=Secret(TOKENS))))
    body = {"sender": "alice", "message": "hello"}
    refused = await client.post(WEBHOOK, json=body, headers=headers)
    assert refused.status == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert (await refused.json())["error"]["code"] == "unauthorized"
    accepted = await client.post(WEBHOOK, json=body, headers=bearer("tok-app-0123456789"))
    assert accepted.status == 200


async def test_without_tokens_the_channel_stays_public_as_rasas(client: TestClient) -> None:
    response = await client.post(WEBHOOK, json={"sender": "alice", "message": "hello"})
    assert response.status == 200


async def test_a_verified_sender_id_used_from_another_origin_is_not_verified(
    aiohttp_client: Any,
    identity_settings: Settings,  # noqa: F811
) -> None:
    settings = dataclasses.replace(identity_settings, rest_tokens=Secret(TOKENS))
    client = await aiohttp_client(create_app(settings, matcher_factory=FuzzyMatcher))
    vouched = {"customer_id": "C1", "identifier_hash": identity_hash(SECRET, "C1")}
    shop = await client.post(
        WEBHOOK,
        json={"sender": "site-user", "message": "where is my order", "metadata": vouched},
        headers=bearer("tok-shop-0123456789"),
    )
    assert "RM123456789GB" in " ".join(r.get("text", "") for r in await shop.json())
    # the same sender id, concurrently, from the other origin: a stranger every time
    others = await asyncio.gather(
        *(
            client.post(
                WEBHOOK,
                json={"sender": "site-user", "message": question},
                headers=bearer("tok-app-0123456789"),
            )
            for question in ("where is my order", "my recent orders", "payment status")
        )
    )
    for other in others:
        assert other.status == 200
        text = " ".join(r.get("text", "") for r in await other.json())
        assert "RM123456789GB" not in text and "C1" not in text


async def test_a_stranger_cannot_rate_someone_elses_answers_into_a_handoff(
    client: TestClient,
) -> None:
    answers = []
    for question in ("return policy", "how long does delivery take"):
        replies = await (
            await client.post(WEBHOOK, json={"sender": "bob", "message": question})
        ).json()
        answers.append(replies[0]["feedback"])
    # the attacker knows the sender and the entries, and tries seqs and tokens at once
    attempts = [
        {"conversation": "bob", "channel": "rest", "entry": a["entry"], "helpful": False, **extra}
        for a in answers
        for extra in ({}, {"seq": a["seq"]}, {"seq": a["seq"], "token": "0" * 32},
                      {"seq": a["seq"], "token": flip(a["token"])})
    ]  # fmt: skip
    responses = await asyncio.gather(*(client.post("/api/feedback", json=b) for b in attempts))
    assert {r.status for r in responses} == {403}
    events = await client.app[STORE].load("rest:bob")
    assert not [e for e in events if e.kind in (ev.FEEDBACK, ev.HANDOFF)]


async def test_an_answer_is_rated_once_even_when_the_rating_is_sent_many_times_at_once(
    client: TestClient,
) -> None:
    replies = await (
        await client.post(WEBHOOK, json={"sender": "cy", "message": "return policy"})
    ).json()
    rating = replies[0]["feedback"]
    body = {"conversation": "cy", "channel": "rest", "entry": rating["entry"], "helpful": False,
            "seq": rating["seq"], "token": rating["token"]}  # fmt: skip
    responses = await asyncio.gather(*(client.post("/api/feedback", json=body) for _ in range(8)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [201] + [400] * 7
    events = await client.app[STORE].load("rest:cy")
    assert len([e for e in events if e.kind == ev.FEEDBACK]) == 1
    assert not [e for e in events if e.kind == ev.HANDOFF]


async def test_a_token_for_one_conversation_does_not_rate_another(client: TestClient) -> None:
    mine = await (
        await client.post(WEBHOOK, json={"sender": "dee", "message": "return policy"})
    ).json()
    await client.post(WEBHOOK, json={"sender": "eve", "message": "return policy"})
    rating = mine[0]["feedback"]
    body = {"conversation": "eve", "channel": "rest", "entry": rating["entry"], "helpful": False,
            "seq": rating["seq"], "token": rating["token"]}  # fmt: skip
    response = await client.post("/api/feedback", json=body)
    assert response.status == 403
