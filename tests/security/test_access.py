"""Who may do what: tokens on every API route, roles, holders, throttling, CSRF, secrets in logs,
and in-chat verification that cannot be brute-forced."""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from actions import store as action_store
from bot.app import create_app
from bot.config import Settings
from bot.core.agents import new_token
from bot.core.identity import identity_hash
from bot.understanding.matching import FuzzyMatcher
from channels.keys import AGENTS
from channels.openapi import SPEC
from tests.security.conftest import PASSWORD, SECRET, Login, bearer, make_agent
from tests.shop.factory import make_shop_db

MAX_FAILURES_PER_EMAIL = Settings().login_attempts_per_email
MAX_FAILURES_PER_ADDRESS = Settings().login_attempts_per_address
WEBHOOK = "/webhooks/rest/webhook"
METHODS = ("get", "post", "put", "patch", "delete")
PATH_VALUES = {
    "id": "1",
    "cluster": "c0",
    "kind": "question",
    "action": "hide",
    "conversation_id": "web:nobody",
}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _concrete(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    return path


SECURED = [
    pytest.param(method, path, id=f"{method} {path}")
    for method, path, op in _operations()
    if op.get("security")
]
ADMIN_ONLY = [
    pytest.param(method, path, id=f"{method} {path}")
    for method, path, op in _operations()
    if op.get("security") and op.get("summary", "").endswith("(admin)")
]
PUBLIC = {"POST /api/auth/login", "POST /api/feedback", "GET /health", "GET /webhooks/rest/",
          "POST /webhooks/rest/webhook",
          # signed instead of logged in: the shop's HMAC header, the reply address's token,
          # the unsubscribe link's (README "Reaching out", "A person takes over")
          "POST /api/shop/events", "POST /api/mail/inbound",
          "GET /api/notices/unsubscribe", "POST /api/notices/unsubscribe"}  # fmt: skip


def test_every_api_operation_but_login_and_feedback_needs_a_token() -> None:
    unsecured = {f"{m} {p}" for m, p, op in _operations() if not op.get("security")}
    assert unsecured <= PUBLIC, unsecured - PUBLIC
    assert len(SECURED) >= 15
    # analytics 6, community dashboard and promote, proactive, customer export and forget
    assert len(ADMIN_ONLY) == 11


async def _bad_credentials(client: TestClient) -> dict[str, dict[str, str]]:
    """Every way of sending no valid token, each with a readable name."""
    store = client.app[AGENTS]
    real = await make_agent(client, "kit@shop.example", "admin")
    expired = new_token()
    await store.create_session(expired, "kit@shop.example", time.time() - 7200, 3600)
    response = await client.post(
        "/api/auth/login", json={"email": "kit@shop.example", "password": PASSWORD}
    )
    ended = (await response.json())["token"]
    response = await client.post("/api/auth/logout", headers=bearer(ended))
    assert response.status == 200
    tampered = real[:-1] + ("A" if real[-1] != "A" else "B")
    return {
        "missing": {},
        "empty-bearer": {"Authorization": "Bearer "},
        "forged": bearer(new_token()),
        "tampered": bearer(tampered),
        "expired": bearer(expired),
        "logged-out": bearer(ended),
        "oversized": bearer("x" * 5000),
        "wrong-scheme": {"Authorization": f"Basic {real}"},
        "bare-token": {"Authorization": real},
        # the API takes no cookies, so a browser cannot be tricked into a forged request
        "cookie-only": {"Cookie": f"token={real}; balcao:token={real}; session={real}"},
        "sql-ish": bearer("' OR '1'='1"),
    }


@pytest.mark.parametrize(("method", "path"), SECURED)
async def test_secured_route_rejects_missing_expired_forged_and_cookie_tokens(
    app_client: TestClient, method: str, path: str
) -> None:
    url = _concrete(path)
    for name, headers in (await _bad_credentials(app_client)).items():
        response = await app_client.request(method, url, headers=headers, json={"text": "hi"})
        assert response.status == 401, f"{name}: {response.status} {await response.text()}"
        body = await response.json()
        assert body["error"]["code"] == "unauthorized", name
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), name
        assert "Set-Cookie" not in response.headers, name


@pytest.mark.parametrize(("method", "path"), ADMIN_ONLY)
async def test_admin_route_refuses_an_agent_token(
    app_client: TestClient, login: Login, method: str, path: str
) -> None:
    token = await login("rui@shop.example", "agent")
    response = await app_client.request(
        method, _concrete(path), headers=bearer(token), json={"mode": "example"}
    )
    assert response.status == 403, await response.text()
    assert (await response.json())["error"]["code"] == "forbidden"


async def test_the_agent_socket_refuses_forged_and_missing_tokens(app_client: TestClient) -> None:
    for token in (new_token(), "", None, "x" * 5000, ["list"]):
        async with app_client.ws_connect("/api/agent/ws") as ws:
            await ws.send_json({"type": "auth", "token": token})
            frame = await ws.receive_json(timeout=5)
            assert frame == {
                "type": "error",
                "code": "unauthorized",
                "message": "invalid or expired token",
            }
            await ws.receive(timeout=5)
            assert ws.closed and ws.close_code == 4401
    async with app_client.ws_connect("/api/agent/ws") as ws:
        await ws.send_json({"type": "watch", "handoff_id": 1})  # before auth
        assert (await ws.receive_json(timeout=5))["code"] == "unauthorized"


# --- holders --------------------------------------------------------------------------


async def _held_by_ana(client: TestClient, login: Login) -> tuple[int, str, str]:
    ana = await login("ana@shop.example")
    rui = await login("rui@shop.example")
    response = await client.post(
        WEBHOOK, json={"sender": "carla", "message": "I want to speak to a human"}
    )
    assert response.status == 200
    response = await client.get("/api/handoffs?status=waiting", headers=bearer(ana))
    [row] = await response.json()
    response = await client.post(f"/api/handoffs/{row['id']}/claim", headers=bearer(ana))
    assert response.status == 200
    return row["id"], ana, rui


HOLDER_ACTIONS = [
    pytest.param("messages", {"text": "hello from someone else"}, 403, id="messages"),
    pytest.param("notes", {"text": "a note on someone else's chat"}, 403, id="notes"),
    pytest.param("transfer", {"agent": "rui@shop.example"}, 403, id="transfer"),
    pytest.param("resolve", None, 403, id="resolve"),
    pytest.param("goodwill", {"kind": "credit", "amount": 5}, 403, id="goodwill"),
    pytest.param("claim", None, 409, id="claim"),
]


@pytest.mark.parametrize(("action", "body", "status"), HOLDER_ACTIONS)
async def test_an_agent_cannot_act_on_a_conversation_another_holds(
    app_client: TestClient, login: Login, action: str, body: Any, status: int
) -> None:
    handoff, ana, rui = await _held_by_ana(app_client, login)
    before = await (await app_client.get(f"/api/handoffs/{handoff}", headers=bearer(ana))).json()

    response = await app_client.post(
        f"/api/handoffs/{handoff}/{action}", json=body, headers=bearer(rui)
    )

    assert response.status == status, await response.text()
    after = await (await app_client.get(f"/api/handoffs/{handoff}", headers=bearer(ana))).json()
    assert after["handoff"]["agent"] == "ana@shop.example"
    assert after["handoff"]["status"] == "assigned"
    assert after["transcript"] == before["transcript"]  # nothing was written


async def test_the_holder_can_still_do_what_the_other_agent_could_not(
    app_client: TestClient, login: Login
) -> None:
    handoff, ana, _ = await _held_by_ana(app_client, login)
    for action, body in (("messages", {"text": "hi"}), ("notes", {"text": "n"})):
        response = await app_client.post(
            f"/api/handoffs/{handoff}/{action}", json=body, headers=bearer(ana)
        )
        assert response.status == 201, await response.text()


# --- logins -----------------------------------------------------------------------------


async def test_failed_logins_are_throttled_per_email_even_with_the_right_password(
    app_client: TestClient, login: Login
) -> None:
    await login("bob@shop.example", online=False)
    for _ in range(MAX_FAILURES_PER_EMAIL):
        response = await app_client.post(
            "/api/auth/login", json={"email": "bob@shop.example", "password": "guess"}
        )
        assert response.status == 401
    for email in ("bob@shop.example", "  BOB@shop.example "):  # same account, other spelling
        response = await app_client.post(
            "/api/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert response.status == 429
        assert (await response.json())["error"]["code"] == "too_many_attempts"
        assert "token" not in await response.text()


async def test_failed_logins_are_throttled_per_address_across_emails(
    app_client: TestClient, login: Login
) -> None:
    await login("eve@shop.example", online=False)
    for n in range(MAX_FAILURES_PER_ADDRESS):
        response = await app_client.post(
            "/api/auth/login", json={"email": f"user{n}@shop.example", "password": "guess"}
        )
        assert response.status == 401
    response = await app_client.post(
        "/api/auth/login", json={"email": "eve@shop.example", "password": PASSWORD}
    )
    assert response.status == 429


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"email": "ana@shop.example"}, id="no-password"),
        pytest.param({"email": "ana@shop.example", "password": None}, id="null-password"),
        pytest.param({"email": "ana@shop.example", "password": ["x"]}, id="list-password"),
        pytest.param({"email": {"$ne": ""}, "password": {"$ne": ""}}, id="operator-injection"),
        pytest.param({"email": "ana@shop.example' --", "password": "x' OR '1'='1"}, id="sql-ish"),
        pytest.param({"email": "ana@shop.example", "password": ""}, id="empty-password"),
    ],
)
async def test_malformed_logins_get_no_token(
    app_client: TestClient, login: Login, body: dict[str, Any]
) -> None:
    await login("ana@shop.example", online=False)
    response = await app_client.post("/api/auth/login", json=body)
    assert response.status in (400, 401)
    assert "token" not in await response.json()


# --- CSRF: bearer tokens only, no cookies -------------------------------------------------


async def test_no_response_sets_a_cookie(app_client: TestClient, login: Login) -> None:
    token = await login("ana@shop.example", "admin")
    requests: list[tuple[str, str, Any, dict[str, str]]] = [
        ("GET", "/", None, {}),
        ("GET", "/console", None, {}),
        ("GET", "/admin", None, {}),
        ("GET", "/static/widget.js", None, {}),
        ("GET", "/health", None, {}),
        ("GET", "/api/openapi.json", None, {}),
        ("POST", WEBHOOK, {"sender": "zoe", "message": "hello"}, {}),
        ("POST", "/api/auth/login", {"email": "ana@shop.example", "password": PASSWORD}, {}),
        ("POST", "/api/auth/login", {"email": "ana@shop.example", "password": "bad"}, {}),
        ("GET", "/api/me", None, bearer(token)),
        ("GET", "/api/handoffs", None, bearer(token)),
        ("GET", "/api/analytics/summary", None, bearer(token)),
        ("POST", "/api/auth/logout", None, bearer(token)),
    ]
    for method, url, body, headers in requests:
        response = await app_client.request(method, url, json=body, headers=headers)
        assert response.status < 500, url
        assert "Set-Cookie" not in response.headers, url
    async with app_client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello"})
        assert (await ws.receive_json(timeout=5))["type"] == "welcome"
    assert not app_client.session.cookie_jar.filter_cookies(app_client.make_url("/"))


async def test_a_logged_in_cookie_without_authorization_is_refused(
    app_client: TestClient, login: Login
) -> None:
    token = await login("ana@shop.example", "admin")
    for url in ("/api/me", "/api/handoffs", "/api/analytics/summary"):
        response = await app_client.get(
            url, headers={"Cookie": f"token={token}", "Origin": "https://evil.example"}
        )
        assert response.status == 401, url
    response = await app_client.post(
        "/api/agents/me/status",
        json={"status": "offline"},
        headers={"Cookie": f"balcao:token={token}", "Origin": "https://evil.example"},
    )
    assert response.status == 401
    me = await (await app_client.get("/api/me", headers=bearer(token))).json()
    assert me["status"] == "online"  # the forged request changed nothing


# --- secrets never logged -----------------------------------------------------------------


async def test_passwords_tokens_secret_and_identity_hashes_never_reach_the_logs(
    aiohttp_client: Any, tmp_path: Path, kb_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings.from_env(
        {"BALCAO_SECRET": SECRET, "BALCAO_LOG_LEVEL": "DEBUG"},
        db=tmp_path / "logs.sqlite3",
        kb=kb_dir,
        actions_package="tests.support.echo_actions",
        business_hours="always",
        auto_assign=False,
    )
    caplog.set_level(logging.DEBUG)
    client = await aiohttp_client(create_app(settings, matcher_factory=FuzzyMatcher))
    token = await make_agent(client, "ana@shop.example", "admin")
    await client.post("/api/auth/login", json={"email": "ana@shop.example", "password": "nope"})
    await client.get("/api/me", headers=bearer(token))
    await client.get("/api/me", headers=bearer(token + "x"))
    customer = "C-4242"
    digest = identity_hash(SECRET, customer)
    async with client.ws_connect("/ws") as ws:
        await ws.send_json(
            {"type": "hello", "metadata": {"customer_id": customer, "identifier_hash": digest}}
        )
        assert (await ws.receive_json(timeout=5))["type"] == "welcome"
        await ws.send_json({"type": "hello", "metadata": {"customer_id": customer,
                                                          "identifier_hash": "0" * 64}})  # fmt: skip
        await ws.send_json({"type": "message", "id": "m1", "text": "I want to speak to a human"})
        while (await ws.receive_json(timeout=5))["type"] != "ack":
            pass
    metadata = {"customer_id": customer, "identifier_hash": digest}
    response = await client.post(
        WEBHOOK, json={"sender": "rita", "message": "hello", "metadata": metadata}
    )
    assert response.status == 200
    forged = {"customer_id": customer, "identifier_hash": digest[:-1] + "0"}
    response = await client.post(
        WEBHOOK, json={"sender": "rita", "message": "hello", "metadata": forged}
    )
    assert response.status == 400
    await client.post("/api/auth/logout", headers=bearer(token))

    records = caplog.records
    assert records, "expected some log output at DEBUG"
    logged = "\n".join(
        [caplog.text]
        + [r.getMessage() for r in records]
        + [repr(r.args) for r in records]
        + [repr(settings)]
    )
    for secret in (PASSWORD, token, SECRET, digest, digest[:-1] + "0"):
        assert secret not in logged


# --- in-chat verification cannot be brute-forced --------------------------------------------

REPO_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
ORDER_DATA = ("RM123456789GB", "Royal Mail", "46.90", "Teapot", "Tea Cups", "100002", "100003",
              "Alice", "alice@example.com", "SW1A")  # fmt: skip


@pytest.fixture
def shop_client_settings(tmp_path: Path) -> Iterator[Settings]:
    kb = tmp_path / "kb"
    for language in ("en", "pt", "es"):
        (kb / language).mkdir(parents=True)
        for path in (REPO_KNOWLEDGE / language).glob("action-*.md"):
            shutil.copy(path, kb / language / path.name)
    db = make_shop_db(tmp_path / "shop.sqlite3")
    yield Settings.from_env({}, db=db, kb=kb, actions_package="actions")
    action_store.close()


async def _say(client: TestClient, sender: str, text: str, seen: list[dict[str, Any]]) -> str:
    response = await client.post(WEBHOOK, json={"sender": sender, "message": text})
    assert response.status == 200
    replies = await response.json()
    seen.extend(replies)
    return "\n".join(r.get("text", "") for r in replies)


async def test_guessing_order_and_email_pairs_in_one_chat_locks_it_and_leaks_nothing(
    aiohttp_client: Any, shop_client_settings: Settings
) -> None:
    client = await aiohttp_client(create_app(shop_client_settings, matcher_factory=FuzzyMatcher))
    seen: list[dict[str, Any]] = []
    await _say(client, "mallory", "where is my order", seen)
    answers = []
    for n, order in enumerate(("100001", "100002", "100003", "100004", "100005", "100001")):
        answers.append(await _say(client, "mallory", f"order {order}, guess{n}@example.com", seen))
    # the right details after the lockout are refused too
    answers.append(await _say(client, "mallory", "order 100001, alice@example.com", seen))
    answers.append(await _say(client, "mallory", "where is my order 100001", seen))
    answers.append(await _say(client, "mallory", "alice@example.com", seen))

    assert "Attempts left: 2" in answers[0] and "Attempts left: 1" in answers[1]
    assert "can't try any more checks" in answers[2]
    assert any(b["payload"] == "/handoff" for r in seen for b in r.get("buttons", ()))
    assert not any("that's you confirmed" in a for a in answers)
    everything = json.dumps(seen, ensure_ascii=False)
    for secret in ORDER_DATA:
        assert secret not in everything, secret


async def test_guessing_one_order_from_many_chats_locks_the_order(
    aiohttp_client: Any, shop_client_settings: Settings
) -> None:
    client = await aiohttp_client(create_app(shop_client_settings, matcher_factory=FuzzyMatcher))
    seen: list[dict[str, Any]] = []
    for n in range(5):
        await _say(client, f"attacker-{n}", "where is my order", seen)
        await _say(client, f"attacker-{n}", f"order 100001, guess{n}@example.com", seen)
    await _say(client, "attacker-x", "where is my order", seen)
    last = await _say(client, "attacker-x", "order 100001, alice@example.com", seen)

    assert "too many failed checks" in last
    everything = json.dumps(seen, ensure_ascii=False)
    for secret in ORDER_DATA:
        assert secret not in everything, secret
