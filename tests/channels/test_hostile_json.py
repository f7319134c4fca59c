"""Hostile JSON at the customer edges: nesting that exhausts the decoder's recursion, a lone
surrogate that no store can encode, and oversized metadata. Each gets the documented 4xx
JSON error (REST) or an error frame (widget), and the socket stays open."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

WEBHOOK = "/webhooks/rest/webhook"


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def rest_body(metadata: str) -> str:
    return '{"sender": "eve", "message": "hello", "metadata": ' + metadata + "}"


def frame(metadata: str) -> str:
    return '{"type": "message", "id": "m1", "text": "hello", "metadata": ' + metadata + "}"


HOSTILE = [
    pytest.param(deep(30_000), "invalid_json", id="30000-deep-body"),
    pytest.param(rest_body('{"a": ' + deep(5_000) + "}"), "invalid_json", id="5000-deep-metadata"),
    pytest.param(rest_body('{"a": ' + deep(40) + "}"), "invalid_json", id="over-max"),
    pytest.param('{"sender": "eve", "message": "\\ud800"}', "invalid_json", id="lone-surrogate"),
    pytest.param(rest_body('{"\\udfff": 1}'), "invalid_json", id="surrogate-key"),
    pytest.param(
        rest_body('{"a": {"b": {"c": {"d": {"e": 1}}}}}'), "metadata_too_deep", id="deep5"
    ),
    pytest.param(rest_body('{"pad": "' + "x" * 4000 + '"}'), "metadata_too_large", id="4kb-meta"),
]


@pytest.mark.parametrize(("body", "code"), HOSTILE)
async def test_rest_answers_hostile_json_with_a_json_400(
    client: TestClient, body: str, code: str
) -> None:
    response = await client.post(
        WEBHOOK,
        data=body.encode("utf-8", "surrogatepass"),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 400, await response.text()
    assert response.content_type == "application/json"
    assert (await response.json())["error"]["code"] == code


WIDGET_HOSTILE = [
    pytest.param(deep(30_000), "invalid_json", id="30000-deep-frame"),
    pytest.param(frame('{"a": ' + deep(5_000) + "}"), "invalid_json", id="5000-deep-metadata"),
    pytest.param(
        '{"type": "message", "id": "m1", "text": "\\ud800"}', "invalid_json", id="surrogate"
    ),
    pytest.param(frame('{"a": {"b": {"c": {"d": {"e": 1}}}}}'), "metadata_too_deep", id="deep5"),
    pytest.param(frame('{"pad": "' + "x" * 4000 + '"}'), "metadata_too_large", id="4kb-meta"),
]


@pytest.mark.parametrize(("raw", "code"), WIDGET_HOSTILE)
async def test_widget_answers_hostile_json_with_an_error_frame(
    client: TestClient, raw: str, code: str
) -> None:
    async with client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello"})
        assert (await ws.receive_json(timeout=5))["type"] == "welcome"
        await ws.send_str(raw)
        error = await ws.receive_json(timeout=5)
        assert error["type"] == "error" and error["code"] == code
        await ws.send_json({"type": "ping"})
        assert (await ws.receive_json(timeout=5))["type"] == "pong"  # still open


async def test_small_flat_metadata_is_still_stored(client: TestClient) -> None:
    response = await client.post(
        WEBHOOK, json={"sender": "eve", "message": "hello", "metadata": {"page": "/cart"}}
    )
    assert response.status == 200
