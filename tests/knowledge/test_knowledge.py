"""The knowledge loader: good files load, bad ones are named by file and line with a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import KnowledgeError
from bot.knowledge.entries import Button, load_knowledge, parse_entry

REPO_KB = Path(__file__).parents[2] / "knowledge"

GOOD = """---
id: returns
question: How do I return an item?
examples:
  - can I send it back
  - return policy
tags: [returns, policy]
buttons:
  - title: Start a return
    payload: /return-request
---
You can return any item within **30 days**.
"""


def test_a_good_file_becomes_an_entry() -> None:
    entry = parse_entry(GOOD, "knowledge/en/returns.md", "en")
    assert entry.id == "returns"
    assert entry.language == "en"
    assert entry.question == "How do I return an item?"
    assert entry.examples == ("can I send it back", "return policy")
    assert entry.tags == ("returns", "policy")
    assert entry.buttons == (Button("Start a return", "/return-request"),)
    assert entry.answer == "You can return any item within **30 days**."
    assert entry.phrasings[0] == "How do I return an item?"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "id: x\n",
            "knowledge/pt/devolucoes.md:1: a knowledge file starts with '---' and YAML front matter",
            id="no-front-matter",
        ),
        pytest.param(
            "---\nid: x\nquestion: q\n",
            "knowledge/pt/devolucoes.md:3: front matter is not closed: add a line with '---' after it",
            id="unclosed",
        ),
        pytest.param(
            "---\nid: devolucoes\nexamples: devolver\nquestion: Como devolvo?\n---\nResposta.\n",
            "knowledge/pt/devolucoes.md:3: 'examples' must be a list (one '- item' per line)",
            id="examples-not-a-list",
        ),
        pytest.param(
            "---\nid: devolucoes\nquestion: Como devolvo?\nexemplos: [a]\n---\nResposta.\n",
            "knowledge/pt/devolucoes.md:4: unknown key 'exemplos'; known keys: action, buttons, "
            "examples, handoff, id, question, tags, title",
            id="unknown-key",
        ),
        pytest.param(
            "---\nquestion: Como devolvo?\n---\nResposta.\n",
            "knowledge/pt/devolucoes.md:2: 'id' is required: lowercase letters, digits, '-' or '_' (e.g. id: returns)",
            id="missing-id",
        ),
        pytest.param(
            "---\nid: Devoluções!\nquestion: Como devolvo?\n---\nResposta.\n",
            "knowledge/pt/devolucoes.md:2: 'id' is required: lowercase letters, digits, '-' or '_' (e.g. id: returns)",
            id="bad-id",
        ),
        pytest.param(
            "---\nid: devolucoes\nquestion: Como devolvo?\n---\n\n",
            "knowledge/pt/devolucoes.md:5: the answer is missing: write it below the closing '---'",
            id="no-answer",
        ),
        pytest.param(
            "---\nid: devolucoes\nquestion: [unclosed\n---\nResposta.\n",
            "knowledge/pt/devolucoes.md:3: YAML error: expected ',' or ']', but got '<stream end>'",
            id="yaml-syntax",
        ),
        pytest.param(
            "---\nid: d\nquestion: q\nbuttons:\n  - title: x\n---\nR.\n",
            "knowledge/pt/devolucoes.md:4: each button needs 'title' and 'payload' text",
            id="button-without-payload",
        ),
        pytest.param(
            "---\nid: d\nquestion: q\naction: order_status\n---\n",
            "knowledge/pt/devolucoes.md:4: 'action' must name a rasa-sdk action, e.g. action: action_order_status",
            id="bad-action",
        ),
        pytest.param(
            "---\nid: a\x00b\nquestion: q\n---\nR.\n",
            "knowledge/pt/devolucoes.md:2: YAML error: unacceptable character #x0000: special characters are not allowed\n"
            '  in "<unicode string>", position 5',
            id="control-character",
        ),
        pytest.param(
            "---\n" + "[" * 2000 + "\n---\nR.\n",
            "knowledge/pt/devolucoes.md:2: YAML error: the front matter is nested too deeply",
            id="too-deep",
        ),
        pytest.param(
            '---\nid: "returns\\n"\nquestion: q\n---\nR.\n',
            "knowledge/pt/devolucoes.md:2: 'id' is required: lowercase letters, digits, '-' or '_' (e.g. id: returns)",
            id="id-with-newline",
        ),
        pytest.param(
            "---\nid: oos\nquestion: q\n---\nR.\n",
            "knowledge/pt/devolucoes.md:2: id 'oos' is reserved (it marks out-of-scope messages)",
            id="reserved-id",
        ),
        pytest.param(
            "---\nid: d\nquestion: q\nhandoff: maybe\n---\nR.\n",
            "knowledge/pt/devolucoes.md:4: 'handoff' must be true or false",
            id="bad-handoff",
        ),
    ],
)
def test_a_bad_file_is_named_by_file_line_and_fix(text: str, message: str) -> None:
    with pytest.raises(KnowledgeError) as caught:
        parse_entry(text, "knowledge/pt/devolucoes.md", "pt")
    assert str(caught.value) == message


def test_duplicate_ids_in_one_language_are_refused(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "a.md").write_text(GOOD)
    (tmp_path / "en" / "b.md").write_text(GOOD)
    with pytest.raises(KnowledgeError, match=r"b\.md:2: id 'returns' is already used by .*a\.md"):
        load_knowledge(tmp_path)


def test_the_same_id_in_another_language_is_a_translation(tmp_path: Path) -> None:
    for language in ("en", "pt"):
        (tmp_path / language).mkdir()
        (tmp_path / language / "returns.md").write_text(GOOD)
    kb = load_knowledge(tmp_path)
    assert kb.ids == ("returns",)
    assert kb.languages == ("en", "pt")
    assert kb.get("returns", "pt").language == "pt"  # type: ignore[union-attr]
    assert kb.get("returns", "es").language == "en"  # type: ignore[union-attr]


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="no knowledge files found"):
        load_knowledge(tmp_path)


def test_every_shipped_knowledge_file_loads() -> None:
    kb = load_knowledge(REPO_KB)
    for language in ("en", "pt", "es"):
        assert len(kb.in_language(language)) >= 15, language
    assert set(kb.languages) == {"en", "pt", "es"}
    ids = {lang: {e.id for e in kb.in_language(lang)} for lang in kb.languages}
    assert ids["pt"] == ids["en"] == ids["es"], "every entry is translated into every language"


def test_shipped_buttons_point_at_existing_entries() -> None:
    kb = load_knowledge(REPO_KB)
    for entry in kb:
        for button in entry.buttons:
            target = button.payload.lstrip("/")
            assert target == "handoff" or target in kb.ids, f"{entry.source}: {button.payload}"


def test_drafts_are_not_served_until_renamed(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "returns.md").write_text(GOOD)
    (tmp_path / "en" / "draft-gift-wrap.md").write_text(
        "---\nid: gift-wrap\nquestion: Do you gift wrap?\n---\nTODO: write the answer\n"
    )
    assert load_knowledge(tmp_path).ids == ("returns",)
    (tmp_path / "en" / "draft-gift-wrap.md").rename(tmp_path / "en" / "gift-wrap.md")
    assert load_knowledge(tmp_path).ids == ("gift-wrap", "returns")


def test_the_shipped_knowledge_passes_its_own_check(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.program import main

    code = main(["kb", "check", str(REPO_KB)])
    summary = capsys.readouterr()
    assert code == 0, summary.out + summary.err
