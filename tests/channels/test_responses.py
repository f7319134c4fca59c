"""Every JSON answer the document describes (channels/wire/api.py `RESPONSES`) is the one
the server gives: one real server per module (real SQLite with the fixture shop, a real
SMTP server) is driven once through every described route, and each answer is checked
against its TypedDict exactly: strict types, no declared field missing, no field the
declaration lacks. A renamed field fails both ways. The document's 2xx schemas are
derived from the same declarations."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import shutil
import time
from collections.abc import AsyncIterator, Hashable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.controller import Controller
from pydantic import ConfigDict, TypeAdapter, ValidationError

from bot.app import NOTICE_STORE, create_app
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from bot.core.identity import identity_hash
from bot.core.notices import Due
from bot.understanding.matching import FuzzyMatcher
from channels.keys import AGENTS, ATTACHMENTS
from channels.openapi import SPEC
from channels.wire import schema
from channels.wire.api import RESPONSES
from channels.wire.console import QueueFrame, ReadyFrame
from channels.wire.desk import Handoff, QueueItem
from tests.channels.test_community import ask, sign_in
from tests.conftest import FIXTURES, TEST_ACTIONS
from tests.notices.conftest import Sink, free_port
from tests.security.conftest import PASSWORD, SECRET
from tests.shop.factory import make_shop_db

Route = tuple[str, str]
Seen = dict[Route, list[tuple[int, str]]]

ADMIN, RUI = "root@shop.example", "rui@shop.example"
WEBHOOK = "/webhooks/rest/webhook"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
CANNED = "- {id: thanks, language: en, title: Thanks, text: Thank you for waiting.}\n"
# lists that may be empty in what the server says here; every other list in every answer
# had something in it, so the shape of its items was checked too
MAY_BE_EMPTY = {"flags", "skills", "reasons", "unanswered_48h", "warehouse_exports", "earlier"}


@functools.cache
def _exact(kind: Hashable) -> TypeAdapter[Any]:
    # in a list: a TypeAdapter's config reaches the TypedDicts inside it (which declare
    # none), but may not be given for a TypedDict itself
    return TypeAdapter(list[kind], config=ConfigDict(extra="forbid", strict=True))


def conforms(kind: Any, text: str) -> None:
    """`text` (JSON) is exactly a `kind`, or a ValidationError."""
    _exact(kind).validate_json(f"[{text}]", strict=True)


class Driver:
    """Calls the server, keeping each answer of a described route."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.seen: Seen = {}

    async def call(
        self,
        method: str,
        route: str,
        token: str = "",
        query: str = "",
        body: Any = None,
        **path: object,
    ) -> Any:
        """`route` with its `{names}` filled from `path`, as `token`'s agent if given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = route.format(**path) + query
        response = await self.client.request(method, url, headers=headers, json=body)
        text = await response.text()
        assert response.status < 300, (method, url, response.status, text)
        self.seen.setdefault((method, route), []).append((response.status, text))
        return json.loads(text)

    async def login(self, email: str) -> str:
        session = await self.call(
            "POST", "/api/auth/login", body={"email": email, "password": PASSWORD}
        )
        token: str = session["token"]
        return token


def _settings(root: Path, smtp_url: str) -> Settings:
    kb = root / "kb"
    shutil.copytree(FIXTURES / "kb", kb)
    (kb / "canned.yml").write_text(CANNED, encoding="utf-8")
    return Settings.from_env(
        {},
        db=make_shop_db(root / "shop.sqlite3"),
        kb=kb,
        actions_package=TEST_ACTIONS,
        encoder=os.environ["BALCAO_ENCODER"],
        secret=SECRET,
        business_hours="always",
        auto_assign=False,
        smtp_url=smtp_url,
        mail_from="help@shop.example",
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def seen(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seen]:
    """Every described route's answers, from one real server driven through all of them."""
    sink, port = Sink(), free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=port)
    smtp.start()
    settings = _settings(tmp_path_factory.mktemp("responses"), f"smtp://127.0.0.1:{port}")
    client = TestClient(TestServer(create_app(settings, matcher_factory=FuzzyMatcher)))
    await client.start_server()
    try:
        driver = Driver(client)
        await _drive(driver, sink)
        yield driver.seen
    finally:
        await client.close()
        smtp.stop()


async def _drive(d: Driver, sink: Sink) -> None:
    app = d.client.app
    for email, role in ((ADMIN, "admin"), (RUI, "agent")):
        agent = new_agent(email, email.split("@")[0].title(), role, ("en", "pt"))
        await app[AGENTS].save(agent, hash_password(PASSWORD), time.time())

    # nobody online yet: carla's handoff waits offline, and she leaves an email
    for text in ("I want to speak to a human", "write to carla@example.pt"):
        await d.call("POST", WEBHOOK, body={"sender": "carla", "message": text})
    admin, rui = await d.login(ADMIN), await d.login(RUI)
    for token in (admin, rui):
        await d.call("POST", "/api/agents/me/status", token, body={"status": "online"})
    await d.call("GET", "/api/me", admin)

    # a verified customer asks for a person; others are answered, rate, suggest, or stump it
    identity = {"customer_id": "C1", "identifier_hash": identity_hash(SECRET, "C1")}
    await d.call("POST", WEBHOOK, body={"sender": "alice", "message": "I want to speak to a human",
                                        "metadata": identity})  # fmt: skip
    for sender, question, better in (
        ("dora", "how long does delivery take", "Two to four days"),
        ("eli", "what is your return policy", "Thirty days, free"),
    ):
        [answer, *_] = await d.call("POST", WEBHOOK, body={"sender": sender, "message": question})
        rating = answer["feedback"]
        await d.call("POST", "/api/feedback", body={
            "conversation": sender, "channel": "rest", "entry": rating["entry"],
            "seq": rating["seq"], "token": rating["token"], "helpful": False,
            "suggestion": better,
        })  # fmt: skip
    rated = {"conversation": "dora", "channel": "rest", "rating": 5}
    await d.call("POST", "/api/feedback", body=rated)
    await d.call("POST", WEBHOOK, body={"sender": "fred", "message": "blorp zork quux"})

    # the desk
    async with d.client.ws_connect("/api/agent/ws") as ws:
        await ws.send_json({"type": "auth", "token": admin})
        frames = [await ws.receive_str(timeout=5) for _ in range(2)]
    d.seen[("WS", "ready")], d.seen[("WS", "queue")] = [(0, frames[0])], [(0, frames[1])]
    queue = await d.call("GET", "/api/handoffs", admin)
    [carla] = await d.call("GET", "/api/handoffs", admin, "?awaiting=email")
    alice = next(h["id"] for h in queue if h["sender"] == "alice")
    for handoff in (alice, carla["id"]):
        await d.call("POST", "/api/handoffs/{id}/claim", admin, id=handoff)
    await d.call("POST", "/api/handoffs/{id}/messages", admin, body={"text": "Hi"}, id=alice)
    await d.call("POST", "/api/handoffs/{id}/notes", admin, body={"text": "VIP"}, id=alice)
    grant = {"kind": "credit", "amount": "5.00"}
    await d.call("POST", "/api/handoffs/{id}/goodwill", admin, body=grant, id=alice)
    await d.call("GET", "/api/handoffs/{id}/goodwill", admin, id=alice)
    await d.call("GET", "/api/handoffs/{id}", admin, id=alice)
    await d.call("POST", "/api/handoffs/{id}/email", admin, body={"text": "Soon."}, id=carla["id"])
    assert await asyncio.to_thread(sink.wait, 1, 10)
    [mail] = [m for m in sink.received() if m["To"] == "carla@example.pt"]
    answer = {"to": str(mail["Reply-To"]), "text": "Thanks!", "message_id": "<m1@x>"}
    await d.call("POST", "/api/mail/inbound", body=answer)
    await d.call("POST", "/api/handoffs/{id}/transfer", admin, body={"agent": RUI}, id=carla["id"])
    await d.call("POST", "/api/handoffs/{id}/resolve", admin, id=alice)
    await d.call("GET", "/api/agents", admin)
    await d.call("GET", "/api/canned", admin)
    await d.call("GET", "/api/conversations", admin, "?q=human")

    # the dashboard
    listed = await d.call("GET", "/api/analytics/conversations", admin)
    one = listed["conversations"][0]["conversation_id"]
    await d.call(
        "GET", "/api/analytics/conversations/{conversation_id}", admin, conversation_id=one
    )
    await d.call("GET", "/api/analytics/summary", admin)
    unanswered = await d.call("GET", "/api/analytics/unanswered", admin)
    cluster = unanswered["clusters"][0]["id"]
    await d.call("POST", "/api/analytics/unanswered/{cluster}/draft", admin, cluster=cluster)
    suggestions = (await d.call("GET", "/api/analytics/suggestions", admin))["suggestions"]
    for action, suggestion in zip(("accept", "dismiss"), suggestions, strict=True):
        await d.call("POST", f"/api/analytics/suggestions/{{id}}/{action}", admin,
                     body={"mode": "example"}, id=suggestion["id"])  # fmt: skip
    due = datetime.now(UTC) + timedelta(days=1)
    await app[NOTICE_STORE].enqueue([Due("order.shipped", "C2", "200001", due)], due)
    await d.call("GET", "/api/analytics/proactive", admin)

    # the community
    ana = await sign_in(d.client, "C2", "Ana")
    where = await ask(d.client, ana, "Fazem embrulho para oferta?", "Para o Natal.")
    question = int(where.rsplit("/", 1)[1])
    await d.client.get(where)  # a view
    report = await d.client.post("/community/report", data={"kind": "question", "id": question})
    assert report.status == 200
    staff = await d.call("POST", "/api/community/questions/{id}/answers", admin,
                         body={"body": "Fazemos, sim."}, id=question)  # fmt: skip
    await d.call("POST", "/api/community/questions/{id}/accept", admin,
                 body={"answer": staff["id"]}, id=question)  # fmt: skip
    await d.call("GET", "/api/community/moderation", admin)
    await d.call("GET", "/api/admin/community", admin)
    await d.call("POST", "/api/community/{kind}/{id}/{action}", admin,
                 kind="question", id=question, action="approve")  # fmt: skip
    await d.call("POST", "/api/admin/community/questions/{id}/promote", admin, id=question)

    # her data: a file she sent, the export, then forgetting her
    conversation = next(h["conversation_id"] for h in queue if h["sender"] == "alice")
    await app[ATTACHMENTS].receive(conversation, PNG, sender="alice", channel="rest")
    await d.call("GET", "/api/admin/customers/{id}/export", admin, id="C1")
    await d.call("POST", "/api/admin/customers/{id}/forget", admin, id="C1")
    await d.call("POST", "/api/auth/logout", rui)


def _empty_lists(value: Any, key: str = "") -> set[str]:
    """The keys of the empty lists anywhere in a JSON value."""
    if isinstance(value, list):
        if not value:
            return {key}
        return set().union(*(_empty_lists(v, key) for v in value))
    if isinstance(value, dict):
        return set().union(set(), *(_empty_lists(v, k) for k, v in value.items()))
    return set()


@pytest.mark.parametrize("route", list(RESPONSES), ids=" ".join)
def test_the_answer_is_exactly_its_declared_shape(seen: Seen, route: Route) -> None:
    status, kind = RESPONSES[route]
    assert route in seen, "the route was not driven"
    for got, text in seen[route]:
        assert got == status, text
        conforms(kind, text)
        assert _empty_lists(json.loads(text)) <= MAY_BE_EMPTY, text


def test_the_console_socket_sends_its_declared_frames(seen: Seen) -> None:
    [(_, ready)], [(_, queue)] = seen[("WS", "ready")], seen[("WS", "queue")]
    conforms(ReadyFrame, ready)
    conforms(QueueFrame, queue)
    assert json.loads(queue)["handoffs"], "the queue frame listed no handoff"


def test_a_renamed_missing_or_retyped_field_does_not_conform(seen: Seen) -> None:
    [(_, text), *_] = seen[("POST", "/api/handoffs/{id}/claim")]
    conforms(Handoff, text)
    handoff = json.loads(text)
    renamed = {("wait_s" if k == "waiting_s" else k): v for k, v in handoff.items()}
    retyped = {**handoff, "id": str(handoff["id"])}
    for wrong, kind in ((renamed, Handoff), (handoff, QueueItem), (retyped, Handoff),
                        ({**handoff, "title": "x", "extra": 1}, QueueItem)):  # fmt: skip
        with pytest.raises(ValidationError):
            conforms(kind, json.dumps(wrong))


def test_the_document_describes_each_answer_from_its_declaration() -> None:
    for (method, path), (status, kind) in RESPONSES.items():
        responses = SPEC["paths"][path][method.lower()]["responses"]
        assert [c for c in responses if c.startswith("2")] == [str(status)], path
        described = responses[str(status)]["content"]["application/json"]["schema"]
        assert described == schema(kind), path
