"""Conversation tests ("stories"), like Rasa's test stories, run without a server.

A story file (YAML)::

    stories:
      - story: asks about returns in Portuguese
        language: pt                     # optional: the conversation's language
        steps:
          - user: posso devolver uma caneca?
            expect: {entry: returns-policy}
          - button: /handoff             # a button's payload instead of text
            expect: {handoff: true}

Expectations (all optional, every one given must hold for the turn):
  entry          id of the entry answered (its reply), or null for none
  decision       the matcher's decision: answer | choose | unknown
  action         an action that ran this turn
  handoff        true: a person was asked for this turn; false: not
  language       the conversation's language after the turn
  text_contains  text (or a list of texts) some reply of the turn contains

`run_story` drives `bot.core.dialogue.Dialogue` directly over an in-memory state,
like the store would; a failing step yields a readable expected/actual diff.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core import events as ev
from bot.core.conversation import ConversationState, IncomingMessage, Outcome
from bot.core.dialogue import Brain, Dialogue
from bot.errors import KnowledgeError
from bot.knowledge.entries import LANGUAGES

logger = logging.getLogger(__name__)

EXPECT_KEYS = ("entry", "decision", "action", "handoff", "language", "text_contains")
DECISIONS = ("answer", "choose", "unknown")


@dataclass(frozen=True)
class Step:
    text: str
    payload: str | None
    expect: dict[str, Any]
    line: int


@dataclass(frozen=True)
class Story:
    name: str
    steps: tuple[Step, ...]
    source: str
    line: int
    language: str | None = None


@dataclass(frozen=True)
class Turn:
    """What one step actually produced, in the terms of the expectations."""

    entry: str | None
    decision: str | None
    actions: tuple[str, ...]
    handoff: bool
    language: str | None
    texts: tuple[str, ...]
    guess: str | None = None  # best candidate and score, for the diff

    def value(self, key: str) -> Any:
        if key == "action":
            return list(self.actions) if self.actions else None
        if key == "text_contains":
            return list(self.texts)
        return getattr(self, key)


@dataclass(frozen=True)
class StoryResult:
    story: Story
    failed_step: int | None = None  # 1-based
    mismatches: tuple[str, ...] = ()  # expectation keys that did not hold
    turn: Turn | None = None
    transcript: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return self.failed_step is None

    def report(self) -> str:
        """A readable diff: `-` what the story expected, `+` what the bot did."""
        story = self.story
        if self.passed:
            return f"PASS {story.name} ({story.source}:{story.line})"
        assert self.failed_step is not None and self.turn is not None
        step = story.steps[self.failed_step - 1]
        said = f"button: {step.payload}" if step.payload else f"user: {step.text}"
        lines = [
            f"FAIL {story.name} ({story.source}:{story.line})",
            f"  step {self.failed_step} ({story.source}:{step.line}) {said}",
        ]
        for key in self.mismatches:
            lines.append(f"    - {key}: {_show(step.expect[key])}")
            lines.append(f"    + {key}: {_show(self.turn.value(key))}")
        if self.turn.guess:
            lines.append(f"      (decision {self.turn.decision}; best guess {self.turn.guess})")
        for text in self.turn.texts:
            lines.append(f"      bot: {_show(_clip(text))}")
        return "\n".join(lines)


def _show(value: Any) -> str:
    return (
        yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=1000)
        .strip()
        .removesuffix("...")
        .strip()
    )


def _clip(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- reading ------------------------------------------------------------------


def load_stories(path: Path) -> list[Story]:
    """Every story of one file; a KnowledgeError names file and line of the first problem."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KnowledgeError(source, 0, f"cannot read the file: {exc.strerror}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise KnowledgeError(
            source, mark.line + 1 if mark else 1, f"YAML error: {exc.problem}"
        ) from None
    if not isinstance(root, yaml.MappingNode):
        raise KnowledgeError(source, 1, "a story file is a mapping with a 'stories' list")
    top = _mapping(root)
    stories_node = top.get("stories")
    if not isinstance(stories_node, yaml.SequenceNode):
        raise KnowledgeError(source, 1, "'stories' must be a list of stories")
    return [_story(node, source) for node in stories_node.value]


def _mapping(node: yaml.MappingNode) -> dict[str, yaml.Node]:
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _value(node: yaml.Node) -> Any:
    return yaml.safe_load(yaml.serialize(node))


def _story(node: yaml.Node, source: str) -> Story:
    if not isinstance(node, yaml.MappingNode):
        raise KnowledgeError(source, _line(node), "each story is a mapping: story, steps")
    fields = _mapping(node)
    unknown = sorted(set(fields) - {"story", "language", "steps"})
    if unknown:
        raise KnowledgeError(
            source,
            _line(fields[unknown[0]]),
            f"unknown key '{unknown[0]}'; known: story, language, steps",
        )
    name = _value(fields["story"]) if "story" in fields else None
    if not isinstance(name, str) or not name.strip():
        raise KnowledgeError(source, _line(node), "'story' (the story's name) is required")
    language = _value(fields["language"]) if "language" in fields else None
    if language is not None and language not in LANGUAGES:
        raise KnowledgeError(
            source, _line(fields["language"]), f"language must be one of {', '.join(LANGUAGES)}"
        )
    steps = fields.get("steps")
    if not isinstance(steps, yaml.SequenceNode) or not steps.value:
        raise KnowledgeError(source, _line(node), f"story '{name}' needs a list of steps")
    return Story(
        name.strip(), tuple(_step(s, source) for s in steps.value), source, _line(node), language
    )


def _step(node: yaml.Node, source: str) -> Step:
    line = _line(node)
    data = _value(node)
    if not isinstance(data, dict):
        raise KnowledgeError(source, line, "each step is a mapping: user (or button) and expect")
    unknown = sorted(set(map(str, data)) - {"user", "button", "expect"})
    if unknown:
        raise KnowledgeError(
            source, line, f"unknown key '{unknown[0]}'; known: user, button, expect"
        )
    text, payload = data.get("user"), data.get("button")
    if (text is None) == (payload is None):
        raise KnowledgeError(
            source, line, "a step has either 'user' (text) or 'button' (a payload)"
        )
    if payload is not None and (not isinstance(payload, str) or not payload.startswith("/")):
        raise KnowledgeError(source, line, "'button' is a payload starting with '/', e.g. /handoff")
    if text is not None and (not isinstance(text, str | int | float) or not str(text).strip()):
        raise KnowledgeError(source, line, "'user' must be non-empty text")
    expect = data.get("expect")
    if not isinstance(expect, dict) or not expect:
        raise KnowledgeError(
            source, line, f"a step needs 'expect' with any of: {', '.join(EXPECT_KEYS)}"
        )
    bad = sorted(set(map(str, expect)) - set(EXPECT_KEYS))
    if bad:
        raise KnowledgeError(
            source, line, f"unknown expectation '{bad[0]}'; known: {', '.join(EXPECT_KEYS)}"
        )
    if "decision" in expect and expect["decision"] not in DECISIONS:
        raise KnowledgeError(source, line, f"decision must be one of {', '.join(DECISIONS)}")
    if "handoff" in expect and not isinstance(expect["handoff"], bool):
        raise KnowledgeError(source, line, "handoff must be true or false")
    contains = expect.get("text_contains")
    if contains is not None and not (
        isinstance(contains, str)
        or (isinstance(contains, list) and all(isinstance(c, str) for c in contains))
    ):
        raise KnowledgeError(source, line, "text_contains is a text or a list of texts")
    shown = payload if payload is not None else str(text).strip()
    return Step(shown, payload, dict(expect), line)


# --- running --------------------------------------------------------------------


def observe(outcome: Outcome, state: ConversationState) -> Turn:
    user = next((e for e in outcome.events if e.kind == ev.USER), None)
    entry = next((r.entry for r in outcome.replies if r.entry), None)
    guess = None
    if user is not None and user.data.get("entry") and user.data.get("decision") != "answer":
        guess = f"{user.data['entry']} {float(user.data.get('confidence', 0.0)):.2f}"
    return Turn(
        entry=entry,
        decision=user.data.get("decision") if user is not None else None,
        actions=tuple(e.data["name"] for e in outcome.events if e.kind == ev.ACTION),
        handoff=any(
            e.kind == ev.HANDOFF and e.data.get("status") == "requested" for e in outcome.events
        ),
        language=state.language,
        texts=tuple(r.text for r in outcome.replies if r.text),
        guess=guess,
    )


def mismatches(expect: dict[str, Any], turn: Turn) -> tuple[str, ...]:
    wrong = []
    for key in EXPECT_KEYS:
        if key not in expect:
            continue
        wanted = expect[key]
        if key == "action":
            ok = wanted in turn.actions if wanted is not None else not turn.actions
        elif key == "text_contains":
            needles = [wanted] if isinstance(wanted, str) else wanted
            ok = all(any(n.casefold() in t.casefold() for t in turn.texts) for n in needles)
        else:
            ok = turn.value(key) == wanted
        if not ok:
            wrong.append(key)
    return tuple(wrong)


async def run_story(
    story: Story, brain: Brain, dialogue: Dialogue, start: float = 1_000_000.0
) -> StoryResult:
    """Play the story's steps against the dialogue; stop at the first step that fails."""
    state = ConversationState(f"story:{story.name}")
    seq = 0
    for number, step in enumerate(story.steps, start=1):
        message = IncomingMessage(
            text=step.text, payload=step.payload, language=story.language if number == 1 else None
        )
        outcome = await dialogue.respond(brain, state, message, sender="story", now=start + number)
        for event in outcome.events:
            seq += 1
            state = state.apply(event.with_seq(seq))
        turn = observe(outcome, state)
        wrong = mismatches(step.expect, turn)
        if wrong:
            return StoryResult(story, number, wrong, turn)
    return StoryResult(story)


async def run_stories(
    stories: Sequence[Story], brain: Brain, dialogue: Dialogue
) -> list[StoryResult]:
    return [await run_story(story, brain, dialogue) for story in stories]


def default_story_files(kb: Path) -> list[Path]:
    return sorted((kb / "tests").glob("*.yml")) + sorted((kb / "tests").glob("*.yaml"))
