"""The evaluation and import commands on the inputs a scorer or an admin may really
hand them: other encodings, odd paths, existing folders, tiny training sets. Each
bad input is one line and exit 2, never a traceback; nothing is half-written."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from bot.cli.program import main
from bot.knowledge.entries import load_knowledge
from bot.understanding.engine import Engine, Sample
from bot.understanding.evaluation import Progress

from .test_commands import FAQ_HEADER, faq_rows, write_csv

LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ")


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    err = [line for line in lines if not LOG_LINE.match(line)]  # logging has its own lines
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


def eval_argv(train: Path, test: Path, out: Path | str) -> list[str]:
    return ["nlu", "eval", "--train", str(train), "--test", str(test)] + [
        "--predictions", str(out), "--encoder", "off",
    ]  # fmt: skip


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, Path]:
    rows = [[f"where is my order number {i}", "track"] for i in range(8)]
    rows += [[f"i want a refund for item {i}", "refund"] for i in range(8)]
    rows += [[f"what time do you open on day {i}", "hours"] for i in range(8)]
    test = [["  where is my order?\n", "track"], ["refund please", "refund"]]
    return (
        write_csv(tmp_path / "train.csv", ["text", "category"], rows),
        write_csv(tmp_path / "test.csv", ["text", "category"], test),
    )


def test_a_file_not_in_utf8_names_its_line(
    tmp_path: Path, small: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    train, _ = small
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,category\nola,hours\nqual é,oos\n".encode("latin-1"))
    assert main(eval_argv(train, latin, tmp_path / "o.jsonl")) == 2
    assert one_line_error(capsys) == (
        f"balcao: {latin}:3: not UTF-8 text (byte 0xe9); save the file as UTF-8"
    )
    assert not (tmp_path / "o.jsonl").exists()


def test_a_knowledge_file_not_in_utf8_fails_kb_check_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "kb" / "en").mkdir(parents=True)
    bad = tmp_path / "kb" / "en" / "hours.md"
    bad.write_bytes("---\nid: hours\nquestion: When?\n---\nAt 9 caf\xe9.\n".encode("latin-1"))
    assert main(["kb", "check", str(tmp_path / "kb"), "--encoder", "off"]) == 1
    assert f"{bad}:5: not UTF-8 text" in capsys.readouterr().out


def test_a_huge_field_is_read_not_refused(
    tmp_path: Path, small: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    train, _ = small
    huge = write_csv(tmp_path / "huge.csv", ["text", "category"], [["order " * 30_000, "track"]])
    out = tmp_path / "o.jsonl"
    assert main(eval_argv(train, huge, out)) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1


@pytest.mark.parametrize("where", ["folder", "", "missing/o.jsonl"])
def test_predictions_that_cannot_be_written_are_refused_before_training(
    tmp_path: Path, small: tuple[Path, Path], capsys: pytest.CaptureFixture[str], where: str
) -> None:
    train, test = small
    (tmp_path / "folder").mkdir()
    target = str(tmp_path / where) if where else ""
    assert main(eval_argv(train, test, target)) == 2
    assert one_line_error(capsys).startswith("balcao: ")


def test_predictions_echo_each_text_as_written(
    tmp_path: Path, small: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    train, test = small
    out = tmp_path / "o.jsonl"
    assert main(eval_argv(train, test, out)) == 0
    texts = [json.loads(line)["text"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert texts == ["  where is my order?\n", "refund please"]


def test_line_separators_in_a_text_stay_inside_its_json_line(
    tmp_path: Path, small: tuple[Path, Path]
) -> None:
    train, _ = small
    odd = write_csv(tmp_path / "odd.csv", ["text", "category"], [["a\u2028b\x85c", "track"]])
    out = tmp_path / "o.jsonl"
    assert main(eval_argv(train, odd, out)) == 0
    text = out.read_text(encoding="utf-8")
    assert len(text.splitlines()) == 1
    assert json.loads(text)["text"] == "a\u2028b\x85c"


def test_a_test_set_without_in_scope_rows_has_no_in_scope_accuracy(
    tmp_path: Path, small: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    train, _ = small
    oos = write_csv(tmp_path / "oos.csv", ["text", "category"], [["sing me a song", "oos"]])
    assert main(eval_argv(train, oos, tmp_path / "o.jsonl")) == 0
    assert "in-scope accuracy  n/a" in capsys.readouterr().out


def test_training_on_out_of_scope_rows_alone_is_bad_input(
    tmp_path: Path, small: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, test = small
    only = write_csv(
        tmp_path / "only.csv", ["text", "category"], [["sing", "oos"], ["dance", "oos"]]
    )
    assert main(eval_argv(only, test, tmp_path / "o.jsonl")) == 2
    assert "every text is labelled 'oos'" in one_line_error(capsys)


def test_a_missing_flag_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["nlu", "eval", "--train", "t.csv", "--test", "t.csv"])
    assert stopped.value.code == 2
    assert "--predictions" in one_line_error(capsys)


def test_a_missing_knowledge_folder_names_no_line(
    tmp_path: Path, small: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, test = small
    argv = ["kb", "eval", "--kb", str(tmp_path / "nokb"), "--cases", str(test)]
    assert main([*argv, "--predictions", str(tmp_path / "o.jsonl"), "--encoder", "off"]) == 2
    assert one_line_error(capsys) == f"balcao: {tmp_path / 'nokb'}: knowledge folder not found"


def test_two_intents_with_out_of_scope_examples_still_decline(tmp_path: Path) -> None:
    """Too few labels to hide some in cross-validation: the out-of-scope examples stand
    in, so the in-scope gate is still learned (OOS recall was 0 before)."""
    balance = (
        "what is my account balance",
        "how much money do i have",
        "show my balance",
        "how much is left in my checking account",
        "tell me my savings balance",
        "what's in my bank account",
        "current balance please",
        "balance of my card",
        "how much cash is in my account",
        "check my funds",
    )
    alarm = (
        "set an alarm for 7 am",
        "wake me up at six",
        "alarm at 5 tomorrow",
        "please set my alarm",
        "i need an alarm for noon",
        "create a wake up alarm",
        "remind me with an alarm at 8",
        "set alarm 6:30",
        "alarm for my nap in 20 minutes",
        "can you set an alarm",
    )
    samples = [Sample(t, "balance") for t in balance] + [Sample(t, "alarm") for t in alarm]
    samples += [
        Sample(text, "oos")
        for text in (
            "tell me a joke", "who won the football", "what's the weather in paris",
            "recommend a film", "how tall is everest", "write a poem about the sea",
            "what is the capital of peru", "play some jazz", "how do i bake bread",
            "translate hello into french", "who wrote hamlet", "how far is the moon",
        )
    ]  # fmt: skip
    engine = Engine.train(samples)
    assert engine.calibration.in_scope_below > float("-inf")
    assert engine.predict("what's the weather in rome").decision == "unknown"
    assert engine.predict("what is my balance").ranked[0][0] == "balance"
    assert engine.predict("what is my balance").decision != "unknown"


def test_a_one_entry_knowledge_base_answers_its_question_and_declines_the_weather(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    faq = write_csv(
        tmp_path / "faq.csv", FAQ_HEADER[:4], [["hours", "en", "When do you open?", "At 9."]]
    )
    assert main(["kb", "import", str(faq), "--into", str(tmp_path / "kb")]) == 0
    cases = write_csv(
        tmp_path / "cases.csv",
        ["text", "category"],
        [["When do you open?", "hours"], ["what's the weather today", "oos"]],
    )
    out = tmp_path / "o.jsonl"
    argv = ["kb", "eval", "--kb", str(tmp_path / "kb"), "--cases", str(cases)]
    assert main([*argv, "--predictions", str(out), "--encoder", "off"]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["predicted"] for line in lines] == ["hours", "oos"]
    assert lines[1]["confidence"] >= 0.5  # declined by the gate: sure it is out of scope


def test_kb_import_refuses_an_entry_already_in_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    into = tmp_path / "kb"
    first = write_csv(tmp_path / "a.csv", FAQ_HEADER[:4], [["hours", "en", "When?", "At 9."]])
    assert main(["kb", "import", str(first), "--into", str(into)]) == 0
    (into / "en" / "hours.md").rename(into / "en" / "opening.md")  # same id, other file
    again = write_csv(
        tmp_path / "b.csv",
        FAQ_HEADER[:4],
        [["new-one", "en", "New?", "Yes."], ["hours", "en", "Open?", "At 10."]],
    )
    assert main(["kb", "import", str(again), "--into", str(into)]) == 2
    assert "entry 'hours' in 'en' is already in" in one_line_error(capsys)
    assert sorted(p.name for p in (into / "en").iterdir()) == ["opening.md"]
    assert load_knowledge(into).get("hours", "en").answer == "At 9."  # type: ignore[union-attr]


def test_kb_import_writes_nothing_when_a_target_is_taken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    into = tmp_path / "kb"
    (into / "pt").mkdir(parents=True)
    (into / "pt" / "refund.md").mkdir()  # a folder where a file would go
    faq = write_csv(tmp_path / "faq.csv", FAQ_HEADER, faq_rows())
    assert main(["kb", "import", str(faq), "--into", str(into)]) == 2
    assert "already exists; nothing imported" in one_line_error(capsys)
    assert not list(into.rglob("*.md"))[1:]  # only the folder that was there


@pytest.mark.parametrize("into_kind", ["file", "long-id"])
def test_kb_import_path_problems_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], into_kind: str
) -> None:
    into = tmp_path / "kb"
    if into_kind == "file":
        into.write_text("not a folder", encoding="utf-8")
        rows = [["hours", "en", "When?", "At 9."]]
    else:
        rows = [["x" * 300, "en", "When?", "At 9."]]
    faq = write_csv(tmp_path / "faq.csv", FAQ_HEADER[:4], rows)
    assert main(["kb", "import", str(faq), "--into", str(into)]) == 2
    assert one_line_error(capsys).startswith("balcao: ")
    assert into_kind == "file" or not into.exists()


def test_kb_import_takes_windows_line_breaks_inside_an_answer(tmp_path: Path) -> None:
    rows = [["hours", "en", "When?", "Line one.\r\n\r\nLine two.", "a\u2028b | c"]]
    faq = write_csv(tmp_path / "faq.csv", FAQ_HEADER[:5], rows)
    assert main(["kb", "import", str(faq), "--into", str(tmp_path / "kb")]) == 0
    entry = load_knowledge(tmp_path / "kb").get("hours", "en")
    assert entry is not None and entry.answer == "Line one.\n\nLine two."


def test_kb_import_strict_refuses_an_example_under_two_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        ["hours", "en", "When do you open?", "At 9.", "open on sunday?"],
        ["sunday", "en", "Are you open on Sundays?", "No.", "Open on Sunday"],
    ]
    faq = write_csv(tmp_path / "faq.csv", FAQ_HEADER[:5], rows)
    assert main(["kb", "import", str(faq), "--into", str(tmp_path / "kb"), "--strict"]) == 2
    assert one_line_error(capsys) == (
        f"balcao: {faq}:3: 'Open on Sunday' is also under 'hours' (line 2);"
        " an example belongs to one entry"
    )
    assert not (tmp_path / "kb").exists()


def test_kb_import_keeps_an_example_under_two_entries_under_the_first_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """#17: a real Portuguese FAQ export was refused whole for one shared question."""
    rows = [
        ["hours", "en", "When do you open?", "At 9.", "open on sunday? | at what time"],
        ["sunday", "en", "Are you open on Sundays?", "No.", "Open on Sunday | weekends?"],
        ["late", "en", "When do you open?", "At 9, as said.", ""],
    ]
    faq = write_csv(tmp_path / "faq.csv", FAQ_HEADER[:5], rows)
    assert main(["kb", "import", str(faq), "--into", str(tmp_path / "kb")]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == f"imported 3 entries into {tmp_path / 'kb'}"
    assert [line for line in out.err.splitlines() if line.startswith("warning:")] == [
        f"warning: {faq}:3: 'Open on Sunday' is also under 'hours' (line 2);"
        " kept there, left out of 'sunday'",
        f"warning: {faq}:4: 'When do you open?' is also under 'hours' (line 2);"
        " kept under both, as each entry's question",
    ]
    kb = load_knowledge(tmp_path / "kb")
    sunday = kb.get("sunday", "en")
    assert sunday is not None and sunday.examples == ("weekends?",)
    # kb check names the repeated question, as a warning: the folder is usable
    assert main(["kb", "check", str(tmp_path / "kb"), "--encoder", "off"]) == 0
    assert "warning: 'When do you open?' is also under" in capsys.readouterr().out


def test_the_progress_bar_ends_its_line_when_done() -> None:
    """Log lines written after the bar is full start a line of their own."""
    stream = io.StringIO()
    bar = Progress(3, stream, "encoding")
    for _ in range(3):
        bar.step()
    assert stream.getvalue().endswith("3/3\n")
    bar.close()  # the caller's close afterwards adds nothing
    assert stream.getvalue().count("\n") == 1
