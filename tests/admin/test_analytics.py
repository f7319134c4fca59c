"""Analytics from a hand-built event log with known timestamps: every figure checked exactly."""

from __future__ import annotations

from bot.core.analytics import ConversationLog, summarise, unanswered
from bot.core.events import Event
from bot.core.unanswered import cluster_questions

DAY1 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
DAY2 = DAY1 + 86_400


def log(
    cid: str, *events: tuple[str, dict[str, object], float], language: str | None = None
) -> ConversationLog:
    return ConversationLog(
        cid,
        tuple(Event(k, d, t, i) for i, (k, d, t) in enumerate(events, start=1)),
        "web",
        language,
    )


def user(
    text: str, t: float, decision: str = "answer", entry: str | None = "shipping"
) -> tuple[str, dict[str, object], float]:
    data: dict[str, object] = {"text": text, "decision": decision}
    if entry:
        data["entry"] = entry
    return ("user", data, t)


LOGS = [
    # 1: answered by the bot, rated 5: resolved automatically
    log(
        "web:a",
        ("language", {"language": "en"}, DAY1 + 10),
        user("shipping?", DAY1 + 10),
        ("bot", {"text": "We ship", "entry": "shipping"}, DAY1 + 10),
        ("feedback", {"rating": 5}, DAY1 + 60),
    ),
    # 2: two fallbacks, then a person: queued at +100, claimed at +160 (wait 60 s), rated 2
    log(
        "web:b",
        ("language", {"language": "pt"}, DAY1 + 20),
        user("qual o tempo em marte", DAY1 + 20, "unknown", "shipping"),
        user("tempo em marte hoje", DAY1 + 30, "unknown", None),
        ("handoff", {"status": "requested", "reason": "fallback"}, DAY1 + 30),
        (
            "handoff",
            {"status": "queued", "handoff_id": "h1", "priority": 40, "offline": False},
            DAY1 + 100,
        ),
        ("handoff", {"status": "claimed", "handoff_id": "h1", "agent": "ana"}, DAY1 + 160),
        ("feedback", {"rating": 2}, DAY1 + 500),
    ),
    # 3: answered but the answer was rated unhelpful: not resolved
    log(
        "web:c",
        ("language", {"language": "en"}, DAY2 + 5),
        user("returns", DAY2 + 5, entry="returns"),
        ("feedback", {"helpful": False, "entry": "returns"}, DAY2 + 9),
    ),
    # 4: asks for a person; queued +0, claimed +30 (wait 30 s); choose counted as unanswered
    log(
        "rest:d",
        user("do you sell chairs", DAY2 + 50, "choose", "showroom"),
        ("handoff", {"status": "requested", "reason": "asked_for_person"}, DAY2 + 60),
        (
            "handoff",
            {"status": "queued", "handoff_id": "h2", "priority": 10, "offline": False},
            DAY2 + 60,
        ),
        ("handoff", {"status": "claimed", "handoff_id": "h2", "agent": "rui"}, DAY2 + 90),
        ("feedback", {"rating": 4}, DAY2 + 200),
        language="en",
    ),
    # 5: the customer never wrote: counted, not resolved
    log("web:e", ("language", {"language": "es"}, DAY2 + 70)),
]


def test_summary_totals_are_exact() -> None:
    total = summarise(LOGS).total
    assert total == {
        "conversations": 5,
        "resolved_automatically": 1,
        "automated_resolution_rate": 0.2,
        "escalated": 2,
        "escalation_rate": 0.4,
        "escalation_reasons": {"asked_for_person": 1, "fallback": 1},
        "user_messages": 5,
        "fallbacks": 2,
        "fallback_rate": 0.4,
        "handoffs_claimed": 2,
        "average_wait_seconds": 45.0,
        "ratings": 3,
        "csat": 0.6667,
        "average_rating": 3.67,
        "answers_helpful": 0,
        "answers_unhelpful": 1,
    }


def test_summary_per_day_and_per_language() -> None:
    summary = summarise(LOGS)
    assert list(summary.by_day) == ["2026-01-01", "2026-01-02"]
    day1, day2 = summary.by_day["2026-01-01"], summary.by_day["2026-01-02"]
    assert (
        day1["conversations"],
        day1["resolved_automatically"],
        day1["average_wait_seconds"],
    ) == (2, 1, 60.0)
    assert (day2["conversations"], day2["escalated"], day2["csat"]) == (3, 1, 1.0)
    assert {k: v["conversations"] for k, v in summary.by_language.items()} == {
        "en": 3,
        "es": 1,
        "pt": 1,
    }
    assert summary.by_language["pt"]["fallback_rate"] == 1.0
    assert summary.by_language["en"]["automated_resolution_rate"] == 0.3333


def test_no_conversations_gives_empty_rates_not_errors() -> None:
    total = summarise([]).total
    assert total["conversations"] == 0
    assert total["automated_resolution_rate"] is None
    assert total["average_wait_seconds"] is None


def test_unanswered_lists_unknown_and_choose_in_the_conversation_language() -> None:
    found = unanswered(LOGS)
    assert [(q.text, q.language, q.decision, q.guess) for q in found] == [
        ("qual o tempo em marte", "pt", "unknown", "shipping"),
        ("tempo em marte hoje", "pt", "unknown", None),
        ("do you sell chairs", "en", "choose", "showroom"),
    ]


def test_unanswered_questions_are_grouped_by_similarity() -> None:
    more = LOGS + [
        log(
            "web:f",
            ("language", {"language": "pt"}, DAY2),
            user("qual o tempo em Marte?", DAY2 + 1, "unknown", None),
        ),
        log(
            "web:g",
            ("language", {"language": "pt"}, DAY2),
            user("vendem cadeiras de jardim", DAY2 + 2, "unknown", None),
        ),
    ]
    clusters = cluster_questions(unanswered(more))
    assert [(c.language, c.label, c.count, c.examples) for c in clusters] == [
        ("pt", "qual o tempo em marte", 3, ("qual o tempo em marte", "tempo em marte hoje")),
        ("en", "do you sell chairs", 1, ("do you sell chairs",)),
        ("pt", "vendem cadeiras de jardim", 1, ("vendem cadeiras de jardim",)),
    ]
    assert clusters[0].guesses == ("shipping",)
    assert clusters[0].id == cluster_questions(unanswered(list(reversed(more))))[0].id


def test_a_conversation_left_on_an_unanswered_question_is_not_resolved() -> None:
    left = log("web:x", user("hi", DAY1), user("do you sell chairs", DAY1 + 5, "unknown", None))
    back = log(
        "web:y", user("do you sell chairs", DAY1, "choose", None), user("shipping?", DAY1 + 5)
    )
    total = summarise([left, back]).total
    assert (total["conversations"], total["resolved_automatically"]) == (2, 1)
