"""#20: the admin dashboard's Proactive part shows the notices per trigger, per tier and
per lifecycle stage with the holdout uplift: the figures /api/analytics/proactive gives."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from bot.app import create_app
from bot.cli.shop import import_shop
from bot.config import Settings
from bot.core.agents import hash_password, new_agent
from bot.core.notices import Due
from channels.keys import AGENTS, NOTICES

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
NOW = datetime.now(UTC).replace(microsecond=0)

# (trigger, customer, subject, outcome, tier, stage): what the store keeps per notice
DECIDED = [
    ("order.shipped", "C1", "100001", "sent", "top", "dissolution"),
    ("order.shipped", "C2", "100003", "sent", "high-potential", "growth"),
    ("order.shipped", "C3", "100005", "holdout", "top", "dissolution"),
    ("order.shipped", "C4", "100006", "suppressed", "low-value", "growth"),
    ("winback.offer", "C1", "2026H1", "sent", "top", "dissolution"),
    ("winback.offer", "C3", "2026H1", "holdout", "top", "dissolution"),
    ("winback", "C4", "2026H1", "sent", "", ""),  # decided before tiers were kept: unrated
]


def format_figure(field: str, value: Any) -> str:
    """How the dashboard writes one API figure."""
    if value is None:
        return "–"
    if field == "uplift":
        points = value * 100
        sign = "+" if points > 0 else "−" if points < 0 else ""
        return f"{sign}{abs(points):.1f} pts"
    if field.endswith("_rate"):
        return f"{value * 100:.1f}%"
    return str(value)


FIELDS = [
    "sent", "shown", "holdout", "suppressed", "unsubscribed", "sent_ordered_7d",
    "holdout_ordered_7d", "sent_order_rate", "holdout_order_rate", "uplift",
]  # fmt: skip


async def seed(app: Any) -> None:
    """The outcomes above, one notice shown in the widget, and orders within the week:
    C1 (sent both) and C3 (held out of winback.offer) order again."""
    store = app[NOTICES].store
    await store.enqueue([Due(t, c, s, NOW) for t, c, s, *_ in DECIDED], NOW)
    claimed = {(n.trigger, n.customer_id): n for n in await store.claim(NOW, 50, timedelta(1))}
    for trigger, customer_id, _, outcome, tier, stage in DECIDED:
        notice = claimed[(trigger, customer_id)]
        await store.finish(
            notice.notice_id, outcome, NOW, title="t", body="b", tier=tier, stage=stage
        )
    await store.take_unshown("C2", NOW)
    for order_id, customer_id in (("300001", "C1"), ("300002", "C3")):
        order = {"order_id": order_id, "customer_id": customer_id, "status": "processing",
                 "created_at": (NOW + timedelta(days=2)).isoformat(), "total": "20.00",
                 "currency": "EUR", "carrier": "", "tracking_code": ""}  # fmt: skip
        await store.apply_records("orders.csv", [order], NOW, app[NOTICES].templates())


async def rendered(page: Page, table: str) -> list[dict[str, str]]:
    """Each row of one of the Proactive tables, as its cells' texts by field."""
    rows: list[dict[str, str]] = await page.eval_on_selector_all(
        f"#{table} tbody tr",
        """rows => rows.map(tr => {
            const cells = {trigger: tr.querySelector("th").textContent};
            tr.querySelectorAll("td[data-field]").forEach(td => {
                cells[td.dataset.field] = td.textContent;
            });
            return cells;
        })""",
    )
    return rows


def expected(rows: list[dict[str, Any]], segment: str | None) -> list[dict[str, str]]:
    names = {"tier": "unrated", "stage": "unknown"}
    out = []
    for row in rows:
        cells = {"trigger": row["trigger"], **{f: format_figure(f, row[f]) for f in FIELDS}}
        if segment:
            cells[segment] = row[segment] or names[segment]
        out.append(cells)
    return out


async def admin_dashboard(browser: Browser, server: TestServer) -> Page:
    """The dashboard, logged in as the admin the test saved."""
    page = await (await browser.new_context()).new_page()
    await page.goto(str(server.make_url("/admin")))
    await page.locator("#email").fill("boss@shop.example")
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#login button[type=submit]").click()
    return page


async def test_the_dashboard_shows_proactive_figures_by_trigger_tier_and_stage_as_the_api(
    browser: Browser, make_settings: Callable[..., Settings], kb_dir: Path
) -> None:
    for lang in ("en", "pt", "es"):
        shutil.copytree(REPO / "knowledge" / lang / "notices", kb_dir / lang / "notices")
    settings = make_settings(notice_poll_seconds=3600.0)  # no scan during the test
    import_shop(REPO / "tests" / "shop" / "fixtures" / "shop", settings.db, kb=kb_dir)
    app = create_app(settings)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        await app[AGENTS].save(
            new_agent("boss@shop.example", "Boss", "admin"), hash_password(PASSWORD), time.time()
        )
        await seed(app)
        async with ClientSession() as http:
            login = await http.post(
                server.make_url("/api/auth/login"),
                json={"email": "boss@shop.example", "password": PASSWORD},
            )
            token = (await login.json())["token"]
            answer = await http.get(
                server.make_url("/api/analytics/proactive"),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.status == 200
            api = await answer.json()
        # the seeded outcomes are what the API counts, uplift included
        [shipped] = [r for r in api["triggers"] if r["trigger"] == "order.shipped"]
        assert (shipped["sent"], shipped["shown"], shipped["holdout"]) == (2, 1, 1)
        [offer_top] = [r for r in api["by_tier"] if r["trigger"] == "winback.offer"]
        assert (offer_top["sent_order_rate"], offer_top["holdout_order_rate"]) == (1.0, 1.0)
        assert shipped["uplift"] == -0.5  # C1 of the 2 sent ordered; C3, held out, did too

        page = await admin_dashboard(browser, server)
        await expect(page.locator("#proactive-triggers tbody tr")).to_have_count(
            len(api["triggers"])
        )
        assert await rendered(page, "proactive-triggers") == expected(api["triggers"], None)
        assert await rendered(page, "proactive-by-tier") == expected(api["by_tier"], "tier")
        assert await rendered(page, "proactive-by-stage") == expected(api["by_stage"], "stage")
        # the figures in words, as an admin reads them
        row = page.locator("#proactive-triggers tr[data-trigger='order.shipped']")
        await expect(row.locator("td[data-field=uplift]")).to_have_text("−50.0 pts")
        await expect(row.locator("td[data-field=sent_order_rate]")).to_have_text("50.0%")
        unrated = page.locator("#proactive-by-tier tr[data-trigger='winback'] td[data-field=tier]")
        await expect(unrated).to_have_text("unrated")
        await expect(page.locator("#proactive-status")).to_be_hidden()
    finally:
        await server.close()


async def test_with_notices_off_the_dashboard_says_so_and_shows_the_rest(
    browser: Browser, make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings(notices=False))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        await app[AGENTS].save(
            new_agent("boss@shop.example", "Boss", "admin"), hash_password(PASSWORD), time.time()
        )
        page = await admin_dashboard(browser, server)
        await expect(page.locator("#proactive-status")).to_have_text("notices are not running")
        await expect(page.locator("#proactive-tables")).to_be_hidden()
        await expect(page.locator("#status")).to_contain_text("Updated")
        await expect(page.locator("[data-kpi=conversations]")).to_be_visible()
    finally:
        await server.close()
