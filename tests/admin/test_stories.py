"""kb test: stories that pass, stories that fail (the diff asserted), bad story files, the shipped suite."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli.admin import run_story_files
from bot.cli.program import main
from bot.errors import KnowledgeError
from bot.services.stories import load_stories
from tests.conftest import FIXTURES, TEST_ACTIONS

ROOT = Path(__file__).parent.parent.parent

PASSING = """\
stories:
  - story: greets and asks about delivery
    steps:
      - user: hello
        expect: {entry: greeting, decision: answer, language: en}
      - user: how long does delivery take
        expect: {entry: delivery-times, text_contains: "2-4 working days"}
  - story: a button asks for a person
    steps:
      - button: /handoff
        expect: {handoff: true, entry: null}
"""

FAILING = """\
stories:
  - story: expects the wrong entry
    steps:
      - user: hello
        expect: {entry: greeting}
      - user: how long does delivery take
        expect: {entry: returns, handoff: true}
"""


def run(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(
        ["kb", "test", str(path), "--kb", str(FIXTURES / "kb"), "--actions-package", TEST_ACTIONS]
    )
    return code, capsys.readouterr().out


def test_passing_stories_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ok.yml").write_text(PASSING, encoding="utf-8")
    code, out = run(tmp_path / "ok.yml", capsys)
    assert out.strip() == "2 of 2 stories passed"
    assert code == 0


def test_a_failing_story_prints_a_readable_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(FAILING, encoding="utf-8")
    code, out = run(path, capsys)
    assert code == 1
    assert out.splitlines() == [
        f"FAIL expects the wrong entry ({path}:2)",
        f"  step 2 ({path}:6) user: how long does delivery take",
        "    - entry: returns",
        "    + entry: delivery-times",
        "    - handoff: true",
        "    + handoff: false",
        "      bot: Orders arrive in 2-4 working days in Portugal and 3-6 in Spain.",
        "0 of 1 stories passed",
    ]


@pytest.mark.parametrize(
    "text,message",
    [
        ("stories: 3\n", "'stories' must be a list of stories"),
        (
            "stories:\n  - story: x\n    steps:\n      - user: hi\n",
            "a step needs 'expect' with any of: entry, decision, action, handoff, language, text_contains",
        ),
        (
            "stories:\n  - story: x\n    steps:\n      - user: hi\n        expect: {entri: greeting}\n",
            "unknown expectation 'entri'; known: entry, decision, action, handoff, language, text_contains",
        ),
        (
            "stories:\n  - story: x\n    language: fr\n    steps:\n      - user: hi\n        expect: {entry: null}\n",
            "language must be one of en, pt, es",
        ),
    ],
    ids=["not-a-list", "no-expect", "typo-in-expectation", "bad-language"],
)
def test_bad_story_files_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_stories(path)
    assert caught.value.problem == message


def test_the_shipped_conversation_suite_passes(tmp_path: Path) -> None:
    files = sorted((ROOT / "knowledge" / "tests").glob("*.yml"))
    assert [f.name for f in files] == ["en.yml", "es.yml", "pt.yml"]
    results = asyncio.run(
        run_story_files(files, ROOT / "knowledge", tmp_path / "shop.sqlite3", "actions")
    )
    per_language = {f.stem: len(load_stories(f)) for f in files}
    assert all(n >= 8 for n in per_language.values()), per_language
    failures = [r.report() for r in results if not r.passed]
    assert not failures, "\n".join(failures)
