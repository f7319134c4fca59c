"""Benchmark of the understanding engine against two baselines (`make bench-nlu`).

    python benchmarks/bench_nlu.py [--data ../shared/data] [--folds 5] [--out FILE]
        [--systems "engine,engine + encoder,rapidfuzz nearest,tfidf + linear SVM"]

BANKING77: stratified k-fold cross-validation on its train split, with all the
training examples and with 10 per intent. CLINC150: trained on train.csv (no
out-of-scope rows), scored on val.csv, whose `oos` rows only check the
out-of-scope decision (nothing is fitted on them). Baselines: rapidfuzz
nearest example (token-set ratio, out of scope below 60) and TF-IDF + linear SVM (out
of scope when no one-vs-rest score is positive). Latency is one message at a
time; training seconds (per fold) include the engine's cross-validated calibration and,
for "engine + encoder", encoding every training text (nothing is kept between folds) and
learning the contrastive layers (the default; "engine + encoder, no contrastive layer",
not run unless named, is BALCAO_CONTRASTIVE=off).

The engines also run on the shipped knowledge base against benchmarks/cases/<lang>.csv:
paraphrases customers might type of each FAQ entry, and off-topic messages (`oos`), read
as the server reads them (the entries of bot/understanding/reminders.py by their words,
then the engine);
`--knowledge-only` runs that part alone (no data needed), `--kb DIR` on another knowledge
base (to compare a change to the entries before and after).

Conversation-level reading (#17), always run, `--reading-only` alone (no data needed):
the at-risk reader's precision and recall per language on benchmarks/cases/at_risk.csv
(rule-based: tuned on its `tune` half, reported on both halves, the `test` half being
the honest figure); two questions in one message (benchmarks/cases/two_questions.csv:
split, each part matched by the lean engine on the shipped knowledge base; both answered
with confidence, and both at least offered); language switches
(benchmarks/cases/language_switch.csv: the conversation's language after a message).

Columns: top-1 acc. = the best-ranked label is right (in-scope rows, whatever
the decision); accuracy = the decision is right (an out-of-scope verdict on an
in-scope row counts as wrong); in-scope acc. = the same on in-scope rows only;
OOS recall = share of `oos` rows declined.
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.understanding.encoder import SentenceEncoder, load_default  # noqa: E402
from bot.understanding.engine import Engine, Sample  # noqa: E402
from bot.understanding.normalise import fold  # noqa: E402

OOS = "oos"
Predict = Callable[[str], tuple[str, str]]  # (top label, decision: the label or "oos")
Trainer = Callable[[Sequence[str], Sequence[str]], Predict]


@dataclass
class Result:
    system: str
    dataset: str
    top1: float
    accuracy: float
    in_scope: float
    oos_recall: float | None
    p50: float
    p99: float
    train_s: float


def load(path: Path) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def engine_trainer(
    texts: Sequence[str],
    labels: Sequence[str],
    encoder: SentenceEncoder | None = None,
    contrastive: bool = True,
) -> Predict:
    if encoder is not None:
        encoder.forget()  # each fold encodes its own training texts, as a fresh server would
    samples = [Sample(t, y) for t, y in zip(texts, labels, strict=True)]
    engine = Engine.train(samples, encoder=encoder, contrastive=contrastive)

    def predict(text: str) -> tuple[str, str]:
        result = engine.predict(text)
        top = result.ranked[0][0] if result.ranked else OOS
        return top, OOS if result.decision == "unknown" else top

    return predict


def fuzzy_trainer(texts: Sequence[str], labels: Sequence[str]) -> Predict:
    choices = [fold(t) for t in texts]

    def predict(text: str) -> tuple[str, str]:
        best = process.extractOne(fold(text), choices, scorer=fuzz.token_set_ratio)
        if best is None:
            return OOS, OOS
        return labels[best[2]], labels[best[2]] if best[1] >= 60 else OOS

    return predict


def svm_trainer(texts: Sequence[str], labels: Sequence[str]) -> Predict:
    vectoriser = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    svm = LinearSVC(C=1.0, random_state=0).fit(vectoriser.fit_transform(texts), labels)

    def predict(text: str) -> tuple[str, str]:
        scores = svm.decision_function(vectoriser.transform([text]))[0]
        top = str(svm.classes_[int(np.argmax(scores))])
        return top, top if scores.max() > 0 else OOS

    return predict


def encoder_trainer(
    texts: Sequence[str], labels: Sequence[str], contrastive: bool = True
) -> Predict:
    encoder = load_default()
    if encoder is None:
        raise SystemExit("bench_nlu: the sentence encoder cannot load (make venv)")
    return engine_trainer(texts, labels, encoder, contrastive)


def unlayered_trainer(texts: Sequence[str], labels: Sequence[str]) -> Predict:
    return encoder_trainer(texts, labels, contrastive=False)


# not run unless named in --systems: the encoder without the contrastive layer
# (BALCAO_CONTRASTIVE=off; the default until #17's third session)
NO_LAYER = "engine + encoder, no contrastive layer"
SYSTEMS: dict[str, Trainer] = {
    "engine": engine_trainer,
    "engine + encoder": encoder_trainer,
    "rapidfuzz nearest": fuzzy_trainer,
    "tfidf + linear SVM": svm_trainer,
    NO_LAYER: unlayered_trainer,
}


Outcome = tuple[list[str], list[str], list[str], list[float], float]


def run(
    trainer: Trainer, splits: Sequence[tuple[list[str], list[str], list[str], list[str]]]
) -> Outcome:
    truth, tops, predicted, timings, training = [], [], [], [], 0.0
    for train_x, train_y, test_x, test_y in splits:
        started = time.perf_counter()
        predict = trainer(train_x, train_y)
        training += time.perf_counter() - started
        for text, label in zip(test_x, test_y, strict=True):
            started = time.perf_counter()
            top, decided = predict(text)
            timings.append((time.perf_counter() - started) * 1000)
            tops.append(top)
            predicted.append(decided)
            truth.append(label)
    return truth, tops, predicted, timings, training / len(splits)


def score(system: str, dataset: str, outcome: Outcome) -> Result:
    truth, tops, predicted, timings, training = outcome
    y, t, p = np.array(truth), np.array(tops), np.array(predicted)
    inside = y != OOS
    return Result(
        system,
        dataset,
        float(np.mean(y[inside] == t[inside])),
        float(np.mean(y == p)),
        float(np.mean(y[inside] == p[inside])),
        float(np.mean(p[~inside] == OOS)) if (~inside).any() else None,
        float(np.percentile(timings, 50)),
        float(np.percentile(timings, 99)),
        training,
    )


def banking_splits(
    data: Path, folds: int, shots: int | None
) -> list[tuple[list[str], list[str], list[str], list[str]]]:
    texts, labels = load(data / "banking77" / "train.csv")
    x, y = np.array(texts, dtype=object), np.array(labels)
    rng = np.random.default_rng(0)
    splits = []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y):
        if shots is not None:
            train = np.concatenate(
                [rng.permutation(train[y[train] == label])[:shots] for label in np.unique(y)]
            )
        splits.append((list(x[train]), list(y[train]), list(x[test]), list(y[test])))
    return splits


def clinc_split(data: Path) -> list[tuple[list[str], list[str], list[str], list[str]]]:
    train_x, train_y = load(data / "clinc150" / "train.csv")
    val_x, val_y = load(data / "clinc150" / "val.csv")
    return [(train_x, train_y, val_x, val_y)]


def knowledge_results(system: str, cases: Path, kb: Path = ROOT / "knowledge") -> list[Result]:
    """The shipped knowledge base (with its built-in off-topic examples) against the
    paraphrase cases of benchmarks/cases/<language>.csv: one row per language."""
    from bot.knowledge.entries import load_knowledge
    from bot.understanding.entities import extract_entities
    from bot.understanding.kb_adapter import samples_from_kb
    from bot.understanding.reminders import read_request

    encoder = load_default() if system.startswith("engine + encoder") else None
    if encoder is not None:
        encoder.forget()
    started = time.perf_counter()
    samples = samples_from_kb(load_knowledge(kb))
    engine = Engine.train(samples, encoder=encoder, contrastive=system != NO_LAYER)
    training = time.perf_counter() - started
    results = []
    for path in sorted(cases.glob("[a-z][a-z].csv")):  # not at_risk.csv and the like
        texts, labels = load(path)
        truth, tops, predicted, timings = [], [], [], []
        for text, label in zip(texts, labels, strict=True):
            begun = time.perf_counter()
            # as the server's matcher: the entries read by their words first, then the engine
            asked = read_request(text, extract_entities(text))
            result = None if asked else engine.predict(text, path.stem)
            timings.append((time.perf_counter() - begun) * 1000)
            if result is None:
                tops.append(str(asked))
                predicted.append(str(asked))
            else:
                top = result.ranked[0][0] if result.ranked else OOS
                tops.append(top)
                predicted.append(OOS if result.decision == "unknown" else top)
            truth.append(label)
        outcome = (truth, tops, predicted, timings, training)
        results.append(score(system, f"knowledge paraphrases {path.stem}", outcome))
    return results


def reading_tables(cases: Path) -> str:
    """The conversation-level reading figures, as three Markdown tables."""
    from bot.knowledge.entries import load_knowledge
    from bot.understanding.at_risk import read_at_risk
    from bot.understanding.kb_adapter import samples_from_kb
    from bot.understanding.language import follows_customer
    from bot.understanding.questions import split_questions

    with (cases / "at_risk.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    lines = [
        "| at-risk reader | half | messages | at risk | precision | recall | F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for language in ("en", "pt", "es", "all"):
        for half in ("tune", "test"):
            mine = [r for r in rows if r["split"] == half and language in ("all", r["language"])]
            said = [read_at_risk(r["text"]).at_risk for r in mine]
            truth = [r["label"] == "at_risk" for r in mine]
            tp = sum(s and t for s, t in zip(said, truth, strict=True))
            precision = tp / max(1, sum(said))
            recall = tp / max(1, sum(truth))
            f1 = 2 * precision * recall / max(1e-9, precision + recall)
            lines.append(
                f"| {language} | {half} | {len(mine)} | {sum(truth)} | {precision:.3f} "
                f"| {recall:.3f} | {f1:.3f} |"
            )

    engine = Engine.train(samples_from_kb(load_knowledge(ROOT / "knowledge")))
    with (cases / "two_questions.csv").open(encoding="utf-8") as handle:
        questions = list(csv.DictReader(handle))
    lines += [
        "",
        "| two questions (lean engine) | messages | split right | both answered | both offered |",
        "|---|---|---|---|---|",
    ]
    for language in ("en", "pt", "es"):
        mine = [q for q in questions if q["language"] == language]
        split = answered = offered = 0
        for q in mine:
            expected = q["entries"].split("|")
            parts = split_questions(q["text"])
            split += len(parts) == len(expected)
            found = [engine.predict(part, language) for part in parts]
            tops = [r.ranked[0][0] if r.ranked else OOS for r in found]
            sure = [r.decision == "answer" for r in found]
            right = len(parts) == len(expected) and sorted(tops) == sorted(expected)
            offered += right and all(r.decision != "unknown" for r in found)
            answered += right and all(sure)
        lines.append(f"| {language} | {len(mine)} | {split} | {answered} | {offered} |")

    with (cases / "language_switch.csv").open(encoding="utf-8") as handle:
        switches = list(csv.DictReader(handle))
    right_switch = right_stay = total_switch = total_stay = 0
    for case in switches:
        current = case["current"] or None
        after = follows_customer(case["text"], current) or current
        if (case["expected"] or None) != current:
            total_switch += 1
            right_switch += after == (case["expected"] or None)
        else:
            total_stay += 1
            right_stay += after == current
    lines += [
        "",
        "| language switches | cases | right |",
        "|---|---|---|",
        f"| the customer switched (or a first message) | {total_switch} | {right_switch} |",
        f'| the customer did not ("ok", a number, same language) | {total_stay} | {right_stay} |',
    ]
    return "\n".join(lines)


def table(results: Sequence[Result]) -> str:
    head = (
        "| system | data | top-1 acc. | accuracy | in-scope acc. | OOS recall "
        "| p50 ms | p99 ms | training s |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        recall = "–" if r.oos_recall is None else f"{r.oos_recall:.4f}"
        lines.append(
            f"| {r.system} | {r.dataset} | {r.top1:.4f} | {r.accuracy:.4f} | {r.in_scope:.4f} | {recall} "
            f"| {r.p50:.2f} | {r.p99:.2f} | {r.train_s:.1f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="folder with banking77/ and clinc150/ (default ../shared/data)")  # fmt: skip
    parser.add_argument("--folds", type=int, default=5, help="BANKING77 folds (default 5)")
    parser.add_argument("--systems", default=",".join(s for s in SYSTEMS if s != NO_LAYER),
                        help=f"comma-separated systems (add '{NO_LAYER}' to measure it)")  # fmt: skip
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    parser.add_argument("--reading-only", action="store_true",
                        help="only the conversation-level reading tables (no data needed)")  # fmt: skip
    parser.add_argument("--knowledge-only", action="store_true",
                        help="only the knowledge base's paraphrase cases (no data needed)")  # fmt: skip
    parser.add_argument("--kb", type=Path, default=ROOT / "knowledge",
                        help="the knowledge base the paraphrase cases run on (default knowledge/)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.knowledge_only:
        cases = ROOT / "benchmarks" / "cases"
        found = [r for s in args.systems.split(",") for r in knowledge_results(s, cases, args.kb)]
        print(table(found))
        return 0
    reading = reading_tables(ROOT / "benchmarks" / "cases")
    if args.reading_only:
        print(reading)
        if args.out:
            args.out.write_text(reading + "\n", encoding="utf-8")
        return 0
    if not (args.data / "banking77" / "train.csv").is_file():
        print(f"bench_nlu: no data under {args.data} (use --data)", file=sys.stderr)
        return 2
    datasets = {
        f"BANKING77 {args.folds}-fold": banking_splits(args.data, args.folds, None),
        f"BANKING77 10-shot {args.folds}-fold": banking_splits(args.data, args.folds, 10),
        "CLINC150 train→val": clinc_split(args.data),
    }
    results = []
    for system in args.systems.split(","):
        for dataset, splits in datasets.items():
            started = time.perf_counter()
            results.append(score(system, dataset, run(SYSTEMS[system], splits)))
            print(f"{system} / {dataset}: {time.perf_counter() - started:.0f}s", file=sys.stderr)
        if system.startswith("engine"):  # the baselines know no knowledge base
            results += knowledge_results(system, ROOT / "benchmarks" / "cases", args.kb)
    header = (
        f"{date.today().isoformat()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}, 2 cores"
    )
    output = f"{header}\n\n{table(results)}\n\n{reading}\n"
    print(output)
    if args.out:
        args.out.write_text(output, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
