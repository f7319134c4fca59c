"""Schemathesis against the OpenAPI document: no operation answers a 5xx, whatever it is sent.

The server runs on a real port in a thread of its own (its own event loop), as a deployed
one would; schemathesis calls it with `requests`, logged in as an admin.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import requests
import schemathesis
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from bot.app import create_app
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from bot.core.identity import identity_hash
from bot.understanding.matching import FuzzyMatcher
from channels.keys import AGENTS
from channels.openapi import SPEC
from tests.conftest import FIXTURES, TEST_ACTIONS
from tests.security.conftest import PASSWORD, SECRET, bearer, make_agent

T = TypeVar("T")

# the served document, loaded by schemathesis (test_the_served_document_is_the_one_fuzzed
# checks that /api/openapi.json serves exactly this)
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(SPEC)))
ADMIN = "root@shop.example"


class LiveServer:
    """The app on 127.0.0.1:<free port>, served from a background thread's event loop."""

    def __init__(self, settings: Settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.app = create_app(settings, matcher_factory=FuzzyMatcher)
        # no access log: the thread may answer after pytest has closed the captured stream
        self.server = TestServer(self.app, host="127.0.0.1", access_log=None)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def start(self) -> str:
        self.thread.start()
        self.run(self.server.start_server())
        return str(self.server.make_url("")).rstrip("/")

    def stop(self) -> None:
        self.run(self.server.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, requests.Session]]:
    """A running server with an admin, a few handoffs and a suggestion; its URL and a session."""
    root = tmp_path_factory.mktemp("schema-fuzz")
    kb = root / "kb"
    shutil.copytree(FIXTURES / "kb", kb)
    settings = Settings.from_env(
        {},
        db=root / "fuzz.sqlite3",
        kb=kb,
        actions_package=TEST_ACTIONS,
        secret=SECRET,
        business_hours="always",
        auto_assign=False,
    )
    server = LiveServer(settings)
    base = server.start()
    server.run(
        server.app[AGENTS].save(
            new_agent(ADMIN, "Root", "admin"), hash_password(PASSWORD), time.time()
        )
    )
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {_login(http, base)}"
        for n in range(3):
            reply = http.post(
                f"{base}/webhooks/rest/webhook",
                json={"sender": f"seed{n}", "message": "I want to talk to a person"},
            )
            assert reply.status_code == 200
        reply = http.post(
            f"{base}/webhooks/rest/webhook",
            json={
                "sender": "seed9",
                "message": "how long does delivery take",
                "metadata": {"customer_id": "C1", "identifier_hash": identity_hash(SECRET, "C1")},
            },
        )
        assert reply.status_code == 200
        rating = reply.json()[0]["feedback"]
        reply = http.post(
            f"{base}/api/feedback",
            json={"conversation": "seed9", "channel": "rest", "entry": "delivery-times",
                  "seq": rating["seq"], "token": rating["token"],
                  "helpful": False, "suggestion": "Two to four days"},
        )  # fmt: skip
        assert reply.status_code == 201, reply.text
        try:
            yield base, http
        finally:
            server.stop()


def _login(http: requests.Session, base: str) -> str:
    reply = http.post(f"{base}/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    token: str = reply.json()["token"]
    return token


def test_the_served_document_is_the_one_fuzzed(live: tuple[str, requests.Session]) -> None:
    base, http = live
    served = http.get(f"{base}/api/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(SPEC))
    assert len(list(schema.get_all_operations())) >= 20


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(
    case: schemathesis.Case, live: tuple[str, requests.Session]
) -> None:
    base, http = live
    headers = {}
    if case.path == "/api/auth/logout":
        headers["Authorization"] = f"Bearer {_login(http, base)}"  # keep the shared token alive
    response = case.call(base_url=base, session=http, headers=headers, timeout=30)
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, (case.method, case.formatted_path, response.text)
    assert "Set-Cookie" not in response.headers
    if response.headers.get("Content-Type", "").startswith("application/json"):
        json.loads(response.text, parse_constant=_not_json)  # NaN and Infinity are not JSON


def _not_json(constant: str) -> None:
    raise AssertionError(f"the response holds {constant}, which is not JSON")


def test_the_fuzzed_server_still_works_afterwards(live: tuple[str, requests.Session]) -> None:
    base, http = live
    assert http.get(f"{base}/health").json()["status"] == "ok"
    assert http.get(f"{base}/api/me").status_code == 200
    reply = http.post(f"{base}/webhooks/rest/webhook", json={"sender": "after", "message": "hello"})
    assert reply.status_code == 200
    assert "Hello" in reply.json()[0]["text"]


# --- what the fuzzers found, kept as plain regression cases ------------------------------------

TOO_BIG = str(2**63)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", f"/api/handoffs/{TOO_BIG}", 404, id="handoff-over-int64"),
        pytest.param("POST", f"/api/handoffs/{TOO_BIG}/claim", 404, id="claim-over-int64"),
        pytest.param("POST", f"/api/handoffs/{TOO_BIG}/notes", 404, id="notes-over-int64"),
        pytest.param("POST", "/api/handoffs/-1/resolve", 404, id="negative-handoff"),
        pytest.param("POST", "/api/handoffs/0/transfer", 404, id="zero-handoff"),
        pytest.param("POST", f"/api/analytics/suggestions/{TOO_BIG}/dismiss", 400, id="suggestion-over-int64"),
        pytest.param("POST", f"/api/analytics/suggestions/{'9' * 5000}/accept", 400, id="suggestion-5000-digits"),
        pytest.param("GET", "/api/analytics/summary?to=9999-12-31", 400, id="day-after-9999-12-31"),
        pytest.param("GET", "/api/analytics/summary?from=nan", 400, id="from-nan"),
        pytest.param("GET", "/api/analytics/unanswered?from=-inf", 400, id="from-minus-infinity"),
        pytest.param("GET", "/api/analytics/unanswered?to=1e400", 400, id="to-overflows-to-infinity"),
    ],
)  # fmt: skip
async def test_out_of_range_ids_and_dates_are_refused_not_server_errors(
    app_client: TestClient, method: str, path: str, status: int
) -> None:
    token = await make_agent(app_client, "root@shop.example", "admin")
    response = await app_client.request(
        method, path, headers=bearer(token), json={"text": "x", "agent": "a@b", "mode": "example"}
    )
    assert response.status == status, await response.text()
    assert "error" in json.loads(await response.text(), parse_constant=_not_json)


async def test_the_console_socket_refuses_an_out_of_range_handoff_and_stays_open(
    app_client: TestClient,
) -> None:
    token = await make_agent(app_client, "root@shop.example", "admin")
    async with app_client.ws_connect("/api/agent/ws") as ws:
        await ws.send_json({"type": "auth", "token": token})
        assert (await ws.receive_json(timeout=5))["type"] == "ready"
        for bad in (2**63, 2**80, -1, 0, True, "1", 1.5, None):
            await ws.send_json({"type": "watch", "handoff_id": bad})
            frame = await ws.receive_json(timeout=5)
            while frame["type"] == "queue":
                frame = await ws.receive_json(timeout=5)
            assert frame["type"] == "error" and frame["code"] == "invalid_handoff", (bad, frame)
        await ws.send_json({"type": "watch", "handoff_id": 99})
        frame = await ws.receive_json(timeout=5)
        while frame["type"] == "queue":
            frame = await ws.receive_json(timeout=5)
        assert frame["type"] == "error"  # 99 does not exist: refused, still open
        assert not ws.closed


NON_ASCII_HASHES = ["é" * 64, "０" * 64, identity_hash(SECRET, "C1")[:-1] + "é"]


@pytest.mark.parametrize(
    "digest", NON_ASCII_HASHES, ids=["accents", "fullwidth-digits", "last-char"]
)
async def test_a_non_ascii_identity_hash_is_refused_not_a_crash(
    app_client: TestClient, digest: str
) -> None:
    metadata = {"customer_id": "C1", "identifier_hash": digest}
    response = await app_client.post(
        "/webhooks/rest/webhook", json={"sender": "eve", "message": "hi", "metadata": metadata}
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "invalid_identity"
    async with app_client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello", "metadata": metadata})
        assert (await ws.receive_json(timeout=5))["code"] == "invalid_identity"
        welcome = await ws.receive_json(timeout=5)
        assert welcome["type"] == "welcome"  # carries on as a stranger
        await ws.send_json({"type": "message", "id": "m1", "text": "hi", "metadata": metadata})
        frame = await ws.receive_json(timeout=5)
        assert frame["type"] == "error" and frame["code"] == "invalid_identity"
        assert not ws.closed
