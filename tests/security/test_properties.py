"""Property-based tests of the core and the parsers: arbitrary input, only the errors we promise."""

from __future__ import annotations

import json
from typing import Any

import yaml
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.rasa.action_runner import InProcessActionRunner
from bot.config import Secret
from bot.core import events as ev
from bot.core.conversation import ConversationState, IncomingMessage
from bot.core.dialogue import Brain, Dialogue
from bot.core.identity import identity_hash
from bot.errors import InputError, KnowledgeError
from bot.knowledge.entries import ID_PATTERN, KNOWN_KEYS, load_knowledge, parse_entry
from bot.understanding.matching import FuzzyMatcher
from channels.parsing import parse_message, parse_sender
from tests.conftest import FIXTURES, TEST_ACTIONS

FAST = settings(max_examples=150, deadline=None)
SECRET = "property-secret"

# --- knowledge files ------------------------------------------------------------------------

# Characters YAML may carry. YAML itself refuses C0 controls (but tab, newline, return),
# U+FFFE and U+FFFF; parse_entry lets that refusal escape as yaml.reader.ReaderError (not a
# KnowledgeError), a known bug reported to bot/knowledge.py's owner, so those are left out here.
YAML_TEXT = st.characters(
    exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff", include_characters="\t\n\r"
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(YAML_TEXT, max_size=30),
    st.sampled_from(["returns", "action_x", "/payload", "", "  ", "---"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
front_matters = st.dictionaries(
    st.sampled_from(sorted(KNOWN_KEYS)) | st.text(YAML_TEXT, max_size=10), values, max_size=8
)


@st.composite
def knowledge_files(draw: st.DrawFn) -> str:
    """Arbitrary text, YAML-ish lines between '---', or a dumped mapping of (mostly) known keys."""
    body = draw(st.text(YAML_TEXT, max_size=60))
    shape = draw(st.sampled_from(["text", "lines", "dump"]))
    if shape == "text":
        return draw(st.text(YAML_TEXT, max_size=200))
    if shape == "lines":
        lines = draw(st.lists(st.text(YAML_TEXT, max_size=30), max_size=6))
        return "---\n" + "\n".join(lines) + "\n---\n" + body
    front = yaml.safe_dump(draw(front_matters), allow_unicode=True)
    return "---\n" + front + "---\n" + body


@FAST
@given(knowledge_files())
def test_parse_entry_raises_only_knowledge_errors_on_arbitrary_files(text: str) -> None:
    try:
        entry = parse_entry(text, "kb/en/fuzz.md", "en")
    except KnowledgeError as exc:
        assert exc.path == "kb/en/fuzz.md"
        assert exc.line >= 0
        assert str(exc).startswith(f"kb/en/fuzz.md:{exc.line}: ")
        return
    assert ID_PATTERN.match(entry.id)
    assert entry.question.strip() == entry.question and entry.question
    assert entry.answer or entry.action or entry.handoff
    assert all(isinstance(b.title, str) and isinstance(b.payload, str) for b in entry.buttons)
    assert all(isinstance(x, str) and x for x in (*entry.examples, *entry.tags))


# YAML 1.1 (PyYAML) reads U+0085, U+2028 and U+2029 as line breaks, and safe_dump writes them
# raw with allow_unicode: a dump/load asymmetry of PyYAML, not of the knowledge loader
ONE_LINE_TEXT = st.characters(
    exclude_categories=("Cs",), exclude_characters="\x85\u2028\u2029\ufffe\uffff"
)


@FAST
@given(
    st.text(ONE_LINE_TEXT, max_size=30),
    st.text(ONE_LINE_TEXT, max_size=30),
    st.text(YAML_TEXT, max_size=200),
)
def test_parse_entry_round_trips_any_question_and_answer(
    question: str, example: str, answer: str
) -> None:
    front = {"id": "fuzz", "question": question, "examples": [example]}
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + answer
    try:
        entry = parse_entry(text, "f.md", "en")
    except KnowledgeError:
        return
    assert entry.question == question.strip()
    assert entry.answer == "\n".join(answer.splitlines()).strip() or entry.answer == answer.strip()


# --- the channels' parser ----------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
texts = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["/handoff", '/rate{"rating": 9}', "  /returns ", "", "   ", "x" * 81]),
)
hashes = st.one_of(
    st.text(max_size=70),
    st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    st.text(max_size=3).map(lambda t: identity_hash(SECRET, "C1")[:-2] + t),
)
identities = st.one_of(
    st.fixed_dictionaries({"customer_id": st.text(max_size=10)}).map(
        lambda m: {**m, "identifier_hash": identity_hash(SECRET, m["customer_id"])}
    ),
    st.fixed_dictionaries({"customer_id": st.text(max_size=10), "identifier_hash": hashes}),
    st.fixed_dictionaries(
        {},
        optional={
            "customer_id": json_values,
            "identifier_hash": json_values | hashes,
            "customer_hash": json_values,
            "language": st.sampled_from(["en", "pt", "es", "xx"]) | json_values,
        },
    ),
)
valid_ids = st.from_regex(r"[\w\-]{1,64}", fullmatch=True)
likely_valid_bodies = st.fixed_dictionaries(
    {"message": st.text(min_size=1, max_size=60), "text": st.text(min_size=1, max_size=60)},
    optional={"metadata": identities, "id": valid_ids, "payload": texts},
)
chaotic_bodies = st.fixed_dictionaries(
    {},
    optional={
        "message": texts | json_values,
        "text": texts | json_values,
        "payload": texts | json_values,
        "metadata": identities | json_values,
        "id": valid_ids | st.text(max_size=70) | json_values,
        "language": st.sampled_from(["en", "pt", "es"]) | json_values,
        "sender": st.text(max_size=20),
    },
).flatmap(lambda d: st.dictionaries(st.text(max_size=8), json_values, max_size=3).map(
    lambda extra: {**extra, **d}))  # fmt: skip
message_bodies = likely_valid_bodies | chaotic_bodies


@FAST
@given(message_bodies, st.sampled_from(["message", "text"]), st.sampled_from(["", SECRET]))
def test_parse_message_raises_only_input_errors_on_arbitrary_json(
    body: dict[str, Any], text_key: str, secret: str
) -> None:
    try:
        message = parse_message(body, limit=80, text_key=text_key, secret=Secret(secret))
    except InputError as exc:
        assert exc.code and exc.message
        return
    assert isinstance(body[text_key], str)
    assert message.text == body[text_key].strip()
    assert len(message.text) <= 80
    assert message.text or message.payload
    assert message.payload is None or len(message.payload) <= 256
    assert message.message_id is None or ("\n" not in message.message_id)
    assert message.language in (None, "en", "pt", "es")
    assert "identifier_hash" not in message.metadata and "customer_hash" not in message.metadata
    if message.identity is not None:
        assert secret
        assert body["metadata"]["identifier_hash"].strip().lower() == identity_hash(
            secret, message.identity
        )


@FAST
@given(json_values | st.text(max_size=140) | st.from_regex(r"^[\w.@:+\-]{1,128}$"))
def test_parse_sender_accepts_only_plain_identifiers(value: Any) -> None:
    try:
        sender = parse_sender(value)
    except InputError as exc:
        assert exc.code == "invalid_sender"
        return
    assert sender == value
    assert 1 <= len(sender) <= 128
    assert not any(c.isspace() for c in sender)


# --- the conversation state ----------------------------------------------------------------

message_ids = st.sampled_from(["a", "b", "c", "d"])
event_data = {
    ev.USER: st.fixed_dictionaries(
        {"text": st.text(max_size=10)},
        optional={
            "message_id": message_ids,
            "decision": st.sampled_from(["answer", "choose", "unknown"]),
            "payload": st.sampled_from(["/handoff", "/returns"]),
        },
    ),
    ev.BOT: st.fixed_dictionaries(
        {"text": st.text(max_size=10)}, optional={"entry": st.sampled_from(["returns", "hi"])}
    ),
    ev.AGENT: st.fixed_dictionaries({"text": st.text(max_size=5), "agent": st.just("a@x")}),
    ev.NOTE: st.fixed_dictionaries({"text": st.text(max_size=5), "agent": st.just("a@x")}),
    ev.SLOT: st.fixed_dictionaries(
        {"name": st.sampled_from(["*", "customer_id", "verified"]), "value": json_values}
    ),
    ev.LANGUAGE: st.fixed_dictionaries({"language": st.sampled_from(["en", "pt", "es"])}),
    ev.ACTION: st.fixed_dictionaries({"name": st.just("action_x")}),
    ev.LOOP: st.fixed_dictionaries({"name": st.none() | st.just("action_ask_name")}),
    ev.HANDOFF: st.fixed_dictionaries(
        {"status": st.sampled_from(["requested", "queued", "claimed", "transferred", "resolved"])},
        optional={"handoff_id": st.integers(1, 9), "offline": st.booleans()},
    ),
    ev.FEEDBACK: st.one_of(
        st.fixed_dictionaries({"rating": st.integers(1, 5)}),
        st.fixed_dictionaries({"helpful": st.booleans(), "entry": st.just("returns")}),
    ),
    ev.SUGGESTION: st.fixed_dictionaries({"text": st.text(max_size=5)}),
}
unnumbered = st.lists(
    st.sampled_from(sorted(event_data)).flatmap(
        lambda kind: event_data[kind].map(lambda data: ev.Event(kind, data, 1.0))
    ),
    max_size=25,
)


@FAST
@given(unnumbered, st.integers(0, 3))
def test_state_from_events_is_deterministic_and_keeps_seq_bookkeeping(
    events: list[ev.Event], split: int
) -> None:
    numbered = [e.with_seq(n) for n, e in enumerate(events, start=1)]
    state = ConversationState.from_events("c", numbered)

    assert state == ConversationState.from_events("c", list(numbered))
    assert state.events == tuple(numbered)
    assert state.last_seq == len(numbered)
    # folding in two parts is folding at once
    cut = len(numbered) // (split + 1)
    resumed = ConversationState.from_events("c", numbered[:cut])
    for event in numbered[cut:]:
        resumed = resumed.apply(event)
    assert resumed == state
    # every client message id points at the last user event that carried it
    expected_ids: dict[str, int] = {}
    for event in numbered:
        if event.kind == ev.USER and event.data.get("message_id"):
            expected_ids[event.data["message_id"]] = event.seq
    assert dict(state.seen_message_ids) == expected_ids
    users = [e.seq for e in numbered if e.kind == ev.USER]
    assert state.last_user_seq == (users[-1] if users else 0)
    assert state.messages == tuple(e for e in numbered if e.kind in (ev.USER, ev.BOT, ev.AGENT))
    for seq in (0, *users):
        replies = state.replies_after(seq)
        following = [e for e in numbered if e.seq > seq]
        stop = next((i for i, e in enumerate(following) if e.kind == ev.USER), len(following))
        assert len(replies) == sum(1 for e in following[:stop] if e.kind == ev.BOT)


# --- the dialogue --------------------------------------------------------------------------

KB = load_knowledge(FIXTURES / "kb")
BRAIN = Brain(KB, FuzzyMatcher(KB))
payloads = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "/handoff",
            "/returns",
            "/open-now",
            "/ask-name",
            "/nope",
            '/rate{"rating": 4}',
            "/rate{bad",
            '/greeting{"x": 1}',
        ]
    ),  # fmt: skip
    st.text(max_size=10).map(lambda t: "/" + t),
)
conversations = st.lists(
    st.tuples(
        st.text(max_size=80) | st.sampled_from(["hello", "how long does delivery take",
                                                "I want to talk to a person", "Ask me my name"]),
        st.none() | message_ids,
        payloads,
        st.sampled_from([None, "en", "pt", "es"]),
    ),
    min_size=1,
    max_size=6,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(conversations)
async def test_dialogue_logs_one_user_event_per_new_message_and_never_raises(
    turns: list[tuple[str, str | None, str | None, str | None]],
) -> None:
    dialogue = Dialogue(InProcessActionRunner(TEST_ACTIONS))
    state = ConversationState("fuzz")
    seq = 0
    for n, (text, message_id, payload, language) in enumerate(turns):
        message = IncomingMessage(
            text=text, message_id=message_id, payload=payload, language=language
        )
        duplicate = message_id is not None and message_id in state.seen_message_ids
        outcome = await dialogue.respond(BRAIN, state, message, sender="fuzzer", now=1000.0 + n)
        users = [e for e in outcome.events if e.kind == ev.USER]
        if duplicate:
            assert outcome.duplicate
            assert outcome.events == ()
            continue
        assert not outcome.duplicate
        assert len(users) == 1
        assert users[0].data["text"] == text
        assert users[0].data.get("message_id") == message_id
        assert all(e.kind in ev.KINDS for e in outcome.events)
        assert [r.to_event_data() for r in outcome.replies] == [
            e.data for e in outcome.events if e.kind == ev.BOT
        ]
        for event in outcome.events:
            seq += 1
            state = state.apply(event.with_seq(seq))


# --- the widget's socket -------------------------------------------------------------------

frames = st.one_of(
    json_values,
    st.fixed_dictionaries({"type": st.just("hello"), "metadata": identities}),
    st.fixed_dictionaries(
        {"type": st.just("message"), "id": valid_ids, "text": st.text(min_size=1, max_size=40)}
    ),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["hello", "message", "typing", "feedback", "ping", "bye", ""])
         | json_values},
        optional={
            "id": st.text(max_size=70) | json_values,
            "text": texts | json_values,
            "payload": texts | json_values,
            "session_id": st.text(max_size=70) | json_values,
            "language": json_values,
            "metadata": identities | json_values,
            "entry": st.sampled_from(["returns", "delivery-times"]) | json_values,
            "helpful": json_values,
            "suggestion": json_values,
            "on": json_values,
        },
    ),
)  # fmt: skip
KNOWN_TYPES = ("hello", "message", "typing", "feedback", "ping")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(frames, min_size=1, max_size=4))
async def test_widget_socket_survives_arbitrary_frames_and_answers_errors(
    app_client: TestClient, sent: list[Any]
) -> None:
    async with app_client.ws_connect("/ws") as ws:
        for frame in sent:
            await ws.send_str(json.dumps(frame))
            await ws.send_str('{"type": "ping"}')
            pongs = 2 if isinstance(frame, dict) and frame.get("type") == "ping" else 1
            answers = []
            while pongs:
                reply = await ws.receive_json(timeout=10)
                if reply["type"] == "pong":
                    pongs -= 1
                else:
                    answers.append(reply)
            assert not ws.closed
            # bot messages relayed from the broker may come a little later: look at the rest
            kinds = [a["type"] for a in answers if a["type"] in ("error", "ack", "welcome")]
            errors = [a for a in answers if a["type"] == "error"]
            bad = not isinstance(frame, dict) or frame.get("type") not in KNOWN_TYPES
            if bad:
                assert kinds == ["error"], (frame, answers)
                assert errors[0]["code"] in ("invalid_json", "unknown_type")
            for error in errors:
                assert isinstance(error["code"], str) and isinstance(error["message"], str)
                assert error["code"] != "internal", (frame, error)
        for raw, code in ((b"\x00\x01", "binary_not_supported"), ("{not json", "invalid_json")):
            await (ws.send_bytes(raw) if isinstance(raw, bytes) else ws.send_str(raw))
            reply = await ws.receive_json(timeout=10)
            while reply["type"] != "error":  # a late bot message relayed from the broker
                reply = await ws.receive_json(timeout=10)
            assert reply["code"] == code
            assert not ws.closed
