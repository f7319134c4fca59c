"""Attachments (#19 item 10): photos and PDFs through the widget's socket, checked by their
content, stored under the data folder, served as downloads to the conversation's people only."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.core.agents import hash_password, new_agent
from bot.core.attachments import LINK_SECONDS, sniff
from channels.keys import AGENTS, ATTACHMENTS
from tests.channels.test_widget import hello, receive

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%fake\n"
HTML_AS_PNG = b"<html><script>alert(1)</script></html>"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        pytest.param(PNG, "image/png", id="png"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 8, "image/jpeg", id="jpeg"),
        pytest.param(b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", id="webp"),
        pytest.param(PDF, "application/pdf", id="pdf"),
        pytest.param(HTML_AS_PNG, None, id="html-named-png"),
        pytest.param(b"GIF89a", None, id="gif"),
        pytest.param(b"<svg onload=alert(1)>", None, id="svg"),
    ],
)
def test_the_type_is_read_from_the_content(head: bytes, kind: str | None) -> None:
    assert sniff(head[:16]) == kind


def stored_files(data: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((data / "attachments").glob("*.*[!n]"))}


async def send_file(client: TestClient, data: bytes) -> tuple[dict, str]:  # type: ignore[type-arg]
    ws, welcome = await hello(client)
    await ws.send_json({"type": "attachment", "id": "f1"})
    await ws.send_bytes(data)
    message = await receive(ws, "message")
    await ws.close()
    return message, welcome["session_id"]


async def agent_token(client: TestClient) -> str:
    await client.app[AGENTS].save(
        new_agent("ana@shop.example", "Ana"), hash_password("correct horse battery"), time.time()
    )
    login = await client.post(
        "/api/auth/login", json={"email": "ana@shop.example", "password": "correct horse battery"}
    )
    return str((await login.json())["token"])


async def test_a_photo_is_stored_and_served_to_agent_and_customer_only(
    client: TestClient, tmp_path: Path
) -> None:
    message, session = await send_file(client, PNG)
    attachment = message["attachment"]
    assert attachment["type"] == "image/png" and attachment["size"] == len(PNG)
    stored = stored_files(tmp_path)
    assert list(stored.values()) == [PNG]
    assert list(stored) == [f"{attachment['id']}.png"]  # a random name, not the customer's

    token = await agent_token(client)
    url = f"/api/attachments/{attachment['id']}"
    assert (await client.get(url)).status == 401
    resp = await client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200 and await resp.read() == PNG
    assert resp.headers["Content-Type"] == "image/png"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp.headers["Content-Security-Policy"]

    mine = await client.get(attachment["url"])
    assert mine.status == 200 and await mine.read() == PNG

    ids = await client.app[ATTACHMENTS].attachments_of(f"web:{session}")
    assert ids == [attachment["id"]]


async def test_html_named_as_an_image_is_refused_and_nothing_is_stored(
    client: TestClient, tmp_path: Path
) -> None:
    ws, _ = await hello(client)
    await ws.send_json({"type": "attachment", "id": "f1"})
    await ws.send_bytes(HTML_AS_PNG)
    error = await receive(ws, "error")
    assert error["code"] == "attachment_type" and error["id"] == "f1"
    assert stored_files(tmp_path) == {}


async def test_a_file_over_the_limit_is_refused(aiohttp_client, make_settings) -> None:  # type: ignore[no-untyped-def]
    from bot.app import create_app

    client = await aiohttp_client(create_app(make_settings(attachment_max_bytes=32)))
    ws, _ = await hello(client)
    await ws.send_json({"type": "attachment", "id": "big"})
    await ws.send_bytes(PNG)
    assert (await receive(ws, "error"))["code"] == "attachment_too_large"


async def test_the_customers_link_carries_a_token_for_that_file_never_the_session(
    client: TestClient,
) -> None:
    """#19: a URL with the session id leaks the conversation through logs, Referer and
    history; the link is a short-lived token scoped to the one attachment."""
    photo, session = await send_file(client, PNG)
    pdf, _ = await send_file(client, PDF)
    photo_id, pdf_id = photo["attachment"]["id"], pdf["attachment"]["id"]
    url = photo["attachment"]["url"]
    assert session not in url and url.startswith(f"/attachments/{photo_id}?t=")
    assert (await client.get(url)).status == 200

    # the old shape, with the session in the URL, opens nothing any more
    old = await client.get(f"/attachments/{photo_id}?session={session}")
    assert old.status == 404
    # a token made for one file does not open another
    token = url.split("?t=", 1)[1]
    assert (await client.get(f"/attachments/{pdf_id}?t={token}")).status == 404
    assert (await client.get(f"/attachments/{photo_id}?t={token[:-2]}xx")).status == 404
    assert (await client.get(f"/attachments/{photo_id}?t=")).status == 404

    # and it runs out
    service = client.app[ATTACHMENTS]
    service.clock = lambda: time.time() + LINK_SECONDS + 5
    assert (await client.get(url)).status == 404


async def test_a_fresh_link_is_given_for_the_conversations_own_files_only(
    client: TestClient,
) -> None:
    ws, welcome = await hello(client)
    await ws.send_json({"type": "attachment", "id": "f1"})
    await ws.send_bytes(PNG)
    mine = (await receive(ws, "message"))["attachment"]["id"]
    theirs, _ = await send_file(client, PDF)

    await ws.send_json({"type": "attachment_link", "id": mine})
    link = await receive(ws, "attachment_link")
    assert link["id"] == mine and welcome["session_id"] not in link["url"]
    resp = await client.get(link["url"])
    assert resp.status == 200 and await resp.read() == PNG

    await ws.send_json({"type": "attachment_link", "id": theirs["attachment"]["id"]})
    assert (await receive(ws, "error"))["code"] == "not_found"
    await ws.close()

    # a reconnecting widget's history carries fresh links too
    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "hello", "session_id": welcome["session_id"]})
    [shown] = [m for m in (await receive(ws, "welcome"))["history"] if m.get("attachment")]
    assert (await client.get(shown["attachment"]["url"])).status == 200
    await ws.close()
