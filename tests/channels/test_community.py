"""The community over HTTP: signing in with the host site's identity, asking and answering with
personal data masked, moderation by agents (audited), promotion into the knowledge base."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import DATABASE, create_app
from bot.config import Settings
from bot.core.identity import identity_hash
from channels.keys import RELOADER
from tests.channels.test_rest import say
from tests.security.conftest import SECRET, bearer, make_agent

Cookie = dict[str, str]


@pytest.fixture
def community_settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(business_hours="always", auto_assign=False, secret=SECRET)


@pytest.fixture
async def app_client(aiohttp_client: Any, community_settings: Settings) -> TestClient:
    """The real server with the understanding engine (the widget's), on SQLite."""
    return await aiohttp_client(create_app(community_settings))


async def sign_in(client: TestClient, customer_id: str, name: str, lang: str = "pt") -> Cookie:
    client.session.cookie_jar.clear()
    response = await client.post(
        "/community/session",
        data={
            "customer_id": customer_id,
            "identifier_hash": identity_hash(SECRET, customer_id),
            "name": name,
            "lang": lang,
        },
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    value = response.cookies["balcao_community"].value
    client.session.cookie_jar.clear()
    return {"Cookie": f"balcao_community={value}"}


async def ask(client: TestClient, who: Cookie, title: str, body: str, lang: str = "pt") -> str:
    response = await client.post(
        f"/community/{lang}/ask",
        data={"title": title, "body": body},
        headers=who,
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    return response.headers["Location"]


async def test_signing_in_needs_the_shops_hash_and_a_name_that_is_not_an_email(
    app_client: TestClient,
) -> None:
    bad = await app_client.post(
        "/community/session",
        data={"customer_id": "c1", "identifier_hash": "0" * 64, "name": "Ana"},
        allow_redirects=False,
    )
    assert bad.status == 403
    email_name = await app_client.post(
        "/community/session",
        data={
            "customer_id": "c1",
            "identifier_hash": identity_hash(SECRET, "c1"),
            "name": "ana@mail.pt",
        },
        allow_redirects=False,
    )
    assert email_name.status == 400
    anonymous = await app_client.post("/community/pt/ask", data={"title": "Olá", "body": "x"})
    assert anonymous.status == 403


async def test_personal_data_is_masked_before_anyone_sees_it_and_the_author_is_told(
    app_client: TestClient,
) -> None:
    ana = await sign_in(app_client, "c1", "Ana")
    where = await ask(
        app_client,
        ana,
        "A encomenda 100234 não chegou",
        "Escrevam para ana.silva@mail.pt ou 912 345 678, código postal 1100-148.",
    )
    assert "masked=" in where
    told = await (await app_client.get(where, headers=ana)).text()
    assert "We hid personal details" in told
    rui = await sign_in(app_client, "c2", "Rui")
    page = await (await app_client.get(where.split("?")[0], headers=rui)).text()
    for secret in ("100234", "ana.silva@mail.pt", "912 345 678", "1100-148"):
        assert secret not in page
    assert "[order number]" in page and "[email]" in page and "[phone number]" in page
    assert "We hid" not in page


async def test_spam_is_refused_and_posting_is_rate_limited(app_client: TestClient) -> None:
    ana = await sign_in(app_client, "c1", "Ana")
    spam = await app_client.post(
        "/community/pt/ask", data={"title": "viagra barato", "body": "compre"}, headers=ana
    )
    assert spam.status == 400
    statuses = []
    for n in range(7):
        response = await app_client.post(
            "/community/pt/ask",
            data={"title": f"Pergunta {n}", "body": "texto"},
            headers=ana,
            allow_redirects=False,
        )
        statuses.append(response.status)
    assert 429 in statuses and statuses[0] == 303


async def test_asked_answered_accepted_promoted_and_published(
    app_client: TestClient, community_settings: Settings
) -> None:
    kb: Path = community_settings.kb
    ana = await sign_in(app_client, "c1", "Ana")
    where = await ask(app_client, ana, "Posso pagar com MB Way?", "Queria pagar pelo telemóvel.")
    question_id = int(where.rsplit("/", 1)[1])
    rui = await sign_in(app_client, "c2", "Rui")
    answered = await app_client.post(
        f"/community/pt/{question_id}/answer",
        data={"body": "Sim, o MB Way aparece no fim da compra."},
        headers=rui,
        allow_redirects=False,
    )
    assert answered.status == 303
    page = await (await app_client.get(where)).text()
    answer_id = int(re.search(r'data-answer="(\d+)"', page).group(1))  # type: ignore[union-attr]

    # the second customer may not accept; an agent may, and it is audited
    refused = await app_client.post(
        f"/community/pt/{question_id}/accept", data={"answer": answer_id}, headers=rui
    )
    assert refused.status == 403
    agent = await make_agent(app_client, "eva@shop.example", "agent")
    accepted = await app_client.post(
        f"/api/community/questions/{question_id}/accept",
        json={"answer": answer_id},
        headers=bearer(agent),
    )
    assert accepted.status == 200, await accepted.text()
    assert "✓ accepted" in await (await app_client.get(where)).text()

    # an agent may not promote; an admin may
    denied = await app_client.post(
        f"/api/admin/community/questions/{question_id}/promote", headers=bearer(agent)
    )
    assert denied.status == 403
    admin = await make_agent(app_client, "ines@shop.example", "admin")
    promoted = await app_client.post(
        f"/api/admin/community/questions/{question_id}/promote", headers=bearer(admin)
    )
    assert promoted.status == 201, await promoted.text()
    body = await promoted.json()
    draft = kb / body["draft"]
    text = draft.read_text(encoding="utf-8")
    assert "question: Posso pagar com MB Way?" in text
    assert "Sim, o MB Way aparece no fim da compra." in text and "Rui" in text
    assert (await app_client.get(body["help_url"])).status == 404  # a draft: not yet live

    draft.rename(kb / body["publish_by_renaming_to"])
    # reload now, unless the background poll (every 0.1 s here) already has: the article
    # being served below is what shows the reload happened
    await app_client.app[RELOADER].check()
    article = await (await app_client.get(body["help_url"])).text()
    assert "Sim, o MB Way aparece no fim da compra." in article
    replies = await say(app_client, "dá para pagar com mb way?", sender="paraphrase")
    assert "Sim, o MB Way aparece no fim da compra." in replies[0]["text"]


async def test_agents_hide_and_lock_and_every_action_is_audited(app_client: TestClient) -> None:
    ana = await sign_in(app_client, "c1", "Ana")
    where = await ask(app_client, ana, "Pergunta a esconder", "texto")
    question_id = int(where.rsplit("/", 1)[1])
    agent = await make_agent(app_client, "eva@shop.example", "agent")
    locked = await app_client.post(
        f"/api/community/question/{question_id}/lock", headers=bearer(agent)
    )
    assert locked.status == 200
    rui = await sign_in(app_client, "c2", "Rui")
    blocked = await app_client.post(
        f"/community/pt/{question_id}/answer", data={"body": "olá"}, headers=rui
    )
    assert blocked.status == 403
    staff = await app_client.post(
        f"/api/community/questions/{question_id}/answers",
        json={"body": "Resposta da equipa"},
        headers=bearer(agent),
    )
    assert staff.status == 201
    assert "community-staff" in await (await app_client.get(where)).text()
    hidden = await app_client.post(
        f"/api/community/question/{question_id}/hide", headers=bearer(agent)
    )
    assert hidden.status == 200
    assert (await app_client.get(where)).status == 404
    anonymous = await app_client.post(f"/api/community/question/{question_id}/unhide")
    assert anonymous.status == 401
    reported = await app_client.post(
        "/community/report", data={"kind": "question", "id": question_id}
    )
    assert reported.status == 200
    rows = await app_client.app[DATABASE].run(
        lambda db: [
            (r[0], r[1])
            for r in db.execute(
                "SELECT action, subject FROM audit WHERE action LIKE 'community.%' ORDER BY id"
            ).fetchall()
        ]
    )
    assert rows == [
        ("community.lock", f"question:{question_id}"),
        ("community.hide", f"question:{question_id}"),
        ("community.report", f"question:{question_id}"),
    ]


async def test_dashboard_lists_unanswered_and_most_viewed(app_client: TestClient) -> None:
    ana = await sign_in(app_client, "c1", "Ana")
    where = await ask(app_client, ana, "Fazem embrulho para oferta de natal?", "texto")
    for _ in range(3):
        await app_client.get(where)
    admin = await make_agent(app_client, "ines@shop.example", "admin")
    response = await app_client.get("/api/admin/community", headers=bearer(admin))
    assert response.status == 200
    body = await response.json()
    assert body["unanswered_48h"] == []  # asked just now
    assert body["most_viewed_without_entry"][0]["views"] == 3


async def test_the_staff_json_bodies_are_checked_and_a_refusal_names_the_field(
    app_client: TestClient,
) -> None:
    ana = await sign_in(app_client, "c1", "Ana")
    question_id = int((await ask(app_client, ana, "Têm papel de embrulho?", "x")).rsplit("/")[-1])
    agent = bearer(await make_agent(app_client, "eva@shop.example", "agent"))
    answers = f"/api/community/questions/{question_id}/answers"
    accept = f"/api/community/questions/{question_id}/accept"
    for path, body, code, message in (
        (answers, {}, "invalid_body", "'body' is required"),
        (answers, {"body": 5}, "invalid_body", "'body' should be a valid string"),
        (answers, [], "invalid_json", "the body must be a JSON object"),
        (accept, {"answer": "1"}, "invalid_answer", "'answer' should be a valid integer"),
        (accept, {"answer": 0}, "invalid_answer", "'answer' should be greater than or equal to 1"),
        (accept, {"answer": 2**63}, "invalid_answer", "'answer' should be less than or equal"),
    ):
        response = await app_client.post(path, json=body, headers=agent)
        assert response.status == 400, (path, body)
        error = (await response.json())["error"]
        assert error["code"] == code and error["message"].startswith(message), (body, error)
    # a path id no row can have is not found (it would overflow SQLite's INTEGER)
    too_big = await app_client.post(
        f"/api/community/questions/{2**63}/accept", json={"answer": 1}, headers=agent
    )
    assert too_big.status == 404
    assert (await too_big.json())["error"]["code"] == "not_found"
    # a valid body answers as before
    staff = await app_client.post(answers, json={"body": "Temos, sim."}, headers=agent)
    assert staff.status == 201
    posted = await staff.json()
    assert posted == {"id": posted["id"], "notice": ""}
    accepted = await app_client.post(accept, json={"answer": posted["id"]}, headers=agent)
    assert accepted.status == 200 and await accepted.json() == {"ok": True}


async def test_an_id_no_post_can_have_is_not_found_on_the_pages(app_client: TestClient) -> None:
    """Past SQLite's INTEGER, an id reached the driver and the page answered 500."""
    ana = await sign_in(app_client, "c1", "Ana")
    too_big = str(2**63)
    for method, path, form in (
        ("GET", f"/community/pt/{too_big}", None),
        ("POST", f"/community/pt/{too_big}/answer", {"body": "olá"}),
        ("POST", "/community/pt/1/accept", {"answer": too_big}),
        ("POST", "/community/vote", {"answer": too_big}),
        ("POST", "/community/report", {"kind": "answer", "id": too_big}),
    ):
        response = await app_client.request(method, path, data=form, headers=ana)
        assert response.status == 404, (path, form, await response.text())


async def _accepted_question(client: TestClient) -> int:
    ana = await sign_in(client, "c1", "Ana")
    where = await ask(client, ana, "Vendem vasos de cerâmica para plantas?", "Para a varanda.")
    question_id = int(where.rsplit("/", 1)[1])
    rui = await sign_in(client, "c2", "Rui")
    await client.post(
        f"/community/pt/{question_id}/answer",
        data={"body": "Sim, **vasos** da [loja](javascript:x) de Alcobaça."},
        headers=rui,
    )
    page = await (await client.get(where)).text()
    answer_id = re.search(r'data-answer="(\d+)"', page).group(1)  # type: ignore[union-attr]
    accepted = await client.post(
        f"/community/pt/{question_id}/accept", data={"answer": answer_id}, headers=ana
    )
    assert accepted.status == 200  # followed to the page
    return question_id


async def test_the_bot_offers_an_accepted_community_answer_before_a_person(
    app_client: TestClient,
) -> None:
    question_id = await _accepted_question(app_client)
    replies = await say(app_client, "vocês vendem vasos de cerâmica?", sender="s1")
    text = replies[0]["text"]
    assert "comunidade" in text and "vasos da (loja)(javascript:x) de Alcobaça" in text
    assert f"/community/pt/{question_id})" in text
    assert "**vasos**" not in text
    assert len(replies[0]["buttons"]) == 1  # a person, still on offer
    unrelated = await say(app_client, "qual é a capital da mongólia?", sender="s2")
    assert "comunidade" not in unrelated[0]["text"]


async def test_the_community_in_chat_can_be_switched_off(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings(secret=SECRET, community_in_chat=False)))
    await _accepted_question(client)
    replies = await say(client, "vocês vendem vasos de cerâmica?", sender="s1")
    assert "comunidade" not in replies[0]["text"]


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    """The per-address limit counts the client a trusted proxy forwards, not the proxy:
    before, every customer behind it shared one allowance."""
    settings = make_settings(
        secret=SECRET, trusted_proxies="127.0.0.1,::1", ip_community_posts_per_minute=2
    )
    client = await aiohttp_client(create_app(settings))

    async def post(who: Cookie, forwarded: str, n: int) -> int:
        response = await client.post(
            "/community/pt/ask",
            data={"title": f"Pergunta número {n}", "body": "texto"},
            headers={**who, "X-Forwarded-For": forwarded},
            allow_redirects=False,
        )
        return response.status

    ana, bia = await sign_in(client, "c1", "Ana"), await sign_in(client, "c2", "Bia")
    assert [await post(ana, "1.2.3.4", n) for n in range(3)] == [303, 303, 429]
    assert await post(bia, "5.6.7.8", 9) == 303
