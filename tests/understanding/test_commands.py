from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.program import main
from bot.knowledge.entries import load_knowledge, parse_entry

from .conftest import INTENTS


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def train_test(tmp_path: Path) -> tuple[Path, Path]:
    train, test = [], []
    for label, by_language in INTENTS.items():
        for texts in by_language.values():
            train += [[t, label] for t in texts[1:]]
            test.append([texts[0], label])
    test += [["what is the airspeed of an unladen swallow", "oos"]]
    return (
        write_csv(tmp_path / "train.csv", ["text", "category"], train),
        write_csv(tmp_path / "test.csv", ["text", "category"], test),
    )


def test_nlu_eval_writes_one_prediction_per_test_row(
    train_test: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train, test = train_test
    out = tmp_path / "out.jsonl"
    code = main(
        ["nlu", "eval", "--train", str(train), "--test", str(test), "--predictions", str(out)]
    )
    assert code == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    with test.open(encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    assert [line["text"] for line in lines] == texts
    for line in lines:
        assert set(line) == {"text", "predicted", "confidence", "ms"}
        assert 0.0 <= line["confidence"] <= 1.0
        assert line["ms"] >= 0
        assert line["predicted"] in {*INTENTS, "oos"}
    captured = capsys.readouterr()
    for name in ("accuracy", "in-scope accuracy", "oos recall", "oos precision", "macro-F1"):
        assert name in captured.out
    assert "p50 / p99" in captured.out and "training" in captured.out
    assert f"{len(texts)}/{len(texts)}" in captured.err  # the progress bar


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "file not found"),
        ("", "empty"),
        ("sentence,label\nhi,greet\n", "header must be text,category"),
        ("text,category\n", "no rows"),
        ("text,category\nhello,\n", ":2: expected 2 non-empty fields"),
    ],
)
def test_nlu_eval_rejects_bad_input_with_exit_2(
    tmp_path: Path,
    train_test: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    reason: str,
) -> None:
    bad = tmp_path / "bad.csv"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    _, test = train_test
    argv = ["nlu", "eval", "--train", str(bad), "--test", str(test), "--predictions", "o.jsonl"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("balcao: ") and reason in err[0]


FAQ_HEADER = ["id", "language", "question", "answer", "examples", "tags"]


def faq_rows() -> list[list[str]]:
    rows = []
    for label, by_language in INTENTS.items():
        for language, texts in by_language.items():
            rows.append([
                label.replace("_", "-"), language, texts[0],
                f"Answer about *{label}*: yes, \"really\".\n\nSecond paragraph.",
                " | ".join(texts[1:]), "support | " + language,
            ])  # fmt: skip
    return rows


def test_kb_import_writes_knowledge_files_that_round_trip(tmp_path: Path) -> None:
    faq = write_csv(tmp_path / "faq.csv", FAQ_HEADER, faq_rows())
    into = tmp_path / "kb"
    assert main(["kb", "import", str(faq), "--into", str(into)]) == 0
    kb = load_knowledge(into)
    assert len(kb) == len(faq_rows())
    entry = kb.get("refund", "pt")
    assert entry is not None and entry.language == "pt"
    assert entry.examples == tuple(INTENTS["refund"]["pt"][1:])
    assert entry.tags == ("support", "pt")
    assert entry.answer.endswith("Second paragraph.")
    path = into / "pt" / "refund.md"
    assert parse_entry(path.read_text(encoding="utf-8"), str(path), "pt") == entry
    assert not [p for p in into.iterdir() if p.name.startswith(".")]


def test_kb_import_without_optional_columns(tmp_path: Path) -> None:
    faq = write_csv(
        tmp_path / "faq.csv", FAQ_HEADER[:4], [["hours", "en", "When do you open?", "At 9."]]
    )
    assert main(["kb", "import", str(faq), "--into", str(tmp_path / "kb")]) == 0
    assert load_knowledge(tmp_path / "kb").get("hours", "en") is not None


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (["Bad Id", "en", "q?", "a"], "id 'Bad Id'"),
        (["ok-id", "fr", "q?", "a"], "language 'fr'"),
        (["ok-id", "en", "", "a"], "question is empty"),
        (["ok-id", "en", "q?", ""], "answer is empty"),
        (["refund", "en", "again?", "a"], "repeats line"),
        (["oos", "en", "q?", "a"], "id 'oos' is reserved"),
    ],
)
def test_kb_import_bad_row_names_file_and_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad_row: list[str], reason: str
) -> None:
    rows = faq_rows()
    rows.insert(5, bad_row + ["", ""])
    faq = write_csv(tmp_path / "faq.csv", FAQ_HEADER, rows)
    into = tmp_path / "kb"
    assert main(["kb", "import", str(faq), "--into", str(into)]) == 2
    err = capsys.readouterr().err.strip()
    line = 2 + 5 * 3  # each row before it spans 3 lines (its answer has a blank line)
    assert err.startswith(f"balcao: {faq}:{line}: ") and reason in err
    assert not into.exists() or not any(into.rglob("*.md"))


def test_kb_import_wrong_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    faq = write_csv(tmp_path / "faq.csv", ["id", "question", "answer"], [["a", "q", "a"]])
    assert main(["kb", "import", str(faq), "--into", str(tmp_path / "kb")]) == 2
    assert ":1: the header must be" in capsys.readouterr().err


def test_kb_eval_scores_cases_against_the_knowledge_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    faq = write_csv(tmp_path / "faq.csv", FAQ_HEADER, faq_rows())
    into = tmp_path / "kb"
    assert main(["kb", "import", str(faq), "--into", str(into)]) == 0
    cases = write_csv(
        tmp_path / "cases.csv",
        ["text", "category"],
        [["where's my parcel", "order-status"], ["cómo pido un reembolso", "refund"],
         ["recipe for banana bread", "oos"]],
    )  # fmt: skip
    out = tmp_path / "out.jsonl"
    argv = ["kb", "eval", "--kb", str(into), "--cases", str(cases), "--predictions", str(out)]
    assert main(argv) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["predicted"] for line in lines[:2]] == ["order-status", "refund"]
    assert "accuracy" in capsys.readouterr().out


def test_kb_eval_unknown_category_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    faq = write_csv(tmp_path / "faq.csv", FAQ_HEADER, faq_rows())
    main(["kb", "import", str(faq), "--into", str(tmp_path / "kb")])
    cases = write_csv(tmp_path / "cases.csv", ["text", "category"], [["hi", "nope"]])
    argv = ["kb", "eval", "--kb", str(tmp_path / "kb"), "--cases", str(cases),
            "--predictions", str(tmp_path / "o.jsonl")]  # fmt: skip
    assert main(argv) == 2
    assert f"{cases}:2: 'nope'" in capsys.readouterr().err


def test_balcao_command_runs_as_a_subprocess(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "import", str(tmp_path / "missing.csv"),
         "--into", str(tmp_path / "kb")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().endswith("missing.csv: file not found")


def test_other_modules_can_add_to_the_kb_group() -> None:
    import argparse

    from bot.cli.understanding import kb_subparsers, register

    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    register(subparsers)
    kb_subparsers(subparsers).add_parser("check").set_defaults(handler=lambda a: 0)
    assert parser.parse_args(["kb", "check"]).handler(None) == 0
    assert parser.parse_args(["kb", "import", "f.csv", "--into", "d"]).into == Path("d")
