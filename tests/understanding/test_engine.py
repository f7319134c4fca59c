from __future__ import annotations

import threading
import time

import pytest

from bot.errors import InputError
from bot.understanding.engine import OUT_OF_SCOPE, Engine, Sample

from .conftest import samples


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("where's my parcel?", "order_status"),
        ("I'd like a refund please", "refund"),
        ("can I pay using paypal", "payment_methods"),
        ("onde está a encomenda", "order_status"),
        ("quero mudar a morada", "change_address"),
        ("¿a qué hora abren?", "opening_hours"),
        ("quiero hablar con un agente", "talk_to_person"),
    ],
)
def test_in_scope_messages_rank_their_intent_first(engine: Engine, text: str, label: str) -> None:
    prediction = engine.predict(text)
    assert prediction.ranked[0][0] == label
    assert prediction.decision in ("answer", "choose")


def test_typos_are_tolerated(engine: Engine) -> None:
    assert engine.predict("chnage my adress").ranked[0][0] == "change_address"


def test_off_topic_message_is_unknown(engine: Engine) -> None:
    prediction = engine.predict("what is the boiling point of mercury in kelvin")
    assert prediction.decision == "unknown"


@pytest.mark.parametrize("text", ["", "?", "!!!", "😀"])
def test_messages_without_words_are_unknown_without_candidates(engine: Engine, text: str) -> None:
    prediction = engine.predict(text)
    assert prediction.decision == "unknown"
    assert prediction.ranked == ()


def test_ranked_scores_are_probabilities_best_first(engine: Engine) -> None:
    prediction = engine.predict("refund")
    scores = [score for _, score in prediction.ranked]
    assert len(scores) == 3
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[0] == prediction.confidence


def test_thresholds_are_ordered(engine: Engine) -> None:
    calibration = engine.calibration
    assert 0.0 <= calibration.unknown_below <= calibration.answer_at <= 1.0


def test_training_is_fast_and_predicting_is_quick(engine: Engine) -> None:
    assert engine.training_seconds < 2.0
    started = time.perf_counter()
    for _ in range(50):
        engine.predict("where is my order")
    assert (time.perf_counter() - started) / 50 < 0.02


def test_tiny_training_sets_still_work() -> None:
    engine = Engine.train([Sample("hello there", "greet"), Sample("bye now", "bye")])
    assert engine.predict("hello").ranked[0][0] == "greet"
    single = Engine.train([Sample("hello", "greet")])
    assert single.predict("hello").ranked[0][0] == "greet"


def test_nothing_to_train_on_is_an_input_error() -> None:
    with pytest.raises(InputError):
        Engine.train([Sample("  ", "x")])


def test_predict_is_safe_from_many_threads(engine: Engine) -> None:
    expected = engine.predict("track my package")
    results: list[object] = []

    def work() -> None:
        for _ in range(20):
            results.append(engine.predict("track my package"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


def test_training_is_deterministic() -> None:
    a, b = Engine.train(samples()), Engine.train(samples())
    assert a.calibration == b.calibration


def test_a_long_message_of_unknown_words_stays_quick(engine: Engine) -> None:
    words = [f"qwx{i}zzy" for i in range(250)]
    text = " ".join(words)[:2000]
    started = time.perf_counter()
    prediction = engine.predict(text)
    assert time.perf_counter() - started < 0.25
    assert prediction.decision == "unknown"


def test_messages_are_stemmed_in_a_language_the_engine_was_trained_in(engine: Engine) -> None:
    english = Engine.train([Sample("hello there", "greet"), Sample("bye now", "bye")])
    assert english.language_for("quiero devolver el producto", None) == "en"
    assert engine.language_for("quiero devolver el producto", None) == "es"
    assert engine.language_for("ok", "pt") == "pt"
    assert engine.language_for("ok", "fr") == engine.default_language


OFF_TOPIC = [
    "what will the weather be like tomorrow",
    "who won the football match last night",
    "tell me a joke about cats",
    "how do i cook rice in the microwave",
    "what is the capital of australia",
    "recommend a good film for tonight",
    "how much does a plumber charge per hour",
    "is it going to snow this weekend",
    "what is the square root of 144",
    "who wrote the lord of the rings",
]


def test_out_of_scope_examples_are_a_class_never_answered() -> None:
    """Texts labelled OUT_OF_SCOPE teach what not to answer; the label is never ranked."""
    trained = samples() + [Sample(t, OUT_OF_SCOPE, "en") for t in OFF_TOPIC]
    engine = Engine.train(trained)
    assert OUT_OF_SCOPE not in engine.labels
    for text in ("will it rain tomorrow in lisbon", "tell me a funny joke"):
        result = engine.predict(text, "en")
        assert result.decision == "unknown", text
        assert OUT_OF_SCOPE not in [label for label, _ in result.ranked]
    for text, label in [
        ("where is my order", "order_status"),
        ("can i pay with paypal", "payment_methods"),
    ]:
        result = engine.predict(text, "en")
        assert result.decision == "answer" and result.ranked[0][0] == label, text


@pytest.mark.parametrize(
    "text",
    ["where's my parcel?", "refund refund refund", "onde está a encomenda", "zzz qqq", "hi"],
)
@pytest.mark.parametrize("with_oos", [False, True])
def test_one_message_path_agrees_with_the_batch_path(
    engine: Engine, text: str, with_oos: bool
) -> None:
    """`predict` scores one message with its own plain-number code; training and
    evaluation score many at once (sparse rows, a label at a time). Both must give the
    same confidence, ranking and, with out-of-scope examples, in-scope gate."""
    if with_oos:
        engine = Engine.train(
            [*samples(), *(Sample(t, OUT_OF_SCOPE, "en") for t in OFF_TOPIC)], folds=3
        )
    model, calibration = engine._model, engine.calibration
    doc = model.featuriser.prepare(text, engine.language_for(text, None))
    batch = model.scores([doc, doc])  # two rows: the batch code, not the one-row shortcut
    features, probabilities = batch.features(calibration.temperature)
    batch_confidence = float(calibration.confidence(features)[0])
    prediction = engine.predict(text)
    assert prediction.confidence == pytest.approx(round(batch_confidence, 4), abs=1e-4)
    assert prediction.ranked[0][0] == model.labels[int(probabilities[0].argmax())]
    if batch.domain[0] < calibration.in_scope_below:  # the gate declines whatever the rest
        assert prediction.decision == "unknown"


def test_folds_of_other_labels_stay_put_when_one_label_grows() -> None:
    """Calibration's folds come from each label's and text's own hash: a new example
    moves its own label's examples at most, so `kb check`'s verdicts on other entries
    do not reshuffle with every edit."""
    from bot.understanding.engine import assign_folds

    before = samples()
    grown = [*before, Sample("where exactly is my parcel right now", before[0].label, "en")]
    groups_before, folds_before = assign_folds(before, 3)
    groups_after, folds_after = assign_folds(grown, 3)
    assert groups_before == groups_after
    others = [i for i, s in enumerate(before) if s.label != before[0].label]
    assert len(others) > 10
    assert [folds_before[i] for i in others] == [folds_after[i] for i in others]
    # every fold holds some of each label with three or more examples
    for label in {s.label for s in before}:
        mine = [int(folds_before[i]) for i, s in enumerate(before) if s.label == label]
        if len(mine) >= 3:
            assert set(mine) == {0, 1, 2}, label
    # and the same in every run: no random state
    assert assign_folds(before, 3)[1].tolist() == folds_before.tolist()
    # a text twice in a label sits in one fold: never held out against its own twin
    twice = [*before, Sample(before[0].text, before[0].label, "en")]
    folds_twice = assign_folds(twice, 3)[1]
    assert folds_twice[0] == folds_twice[-1]


def test_translations_share_a_calibration_fold() -> None:
    """A held-out question never has its translation in training (its sentence vector
    would give the answer away and make the in-scope gate too strict): the knowledge
    base's n-th phrasing of an entry in each language is one twin group."""
    from bot.knowledge.entries import load_knowledge
    from bot.understanding.engine import assign_folds
    from bot.understanding.kb_adapter import samples_from_kb

    from .test_paraphrase_cases import ROOT

    kb_samples = samples_from_kb(load_knowledge(ROOT / "knowledge"))
    _, fold_of = assign_folds(kb_samples, 3)
    by_twin: dict[tuple[str, str], set[int]] = {}
    for sample, fold in zip(kb_samples, fold_of, strict=True):
        if sample.twin:
            by_twin.setdefault((sample.label, sample.twin), set()).add(int(fold))
    refunds = [s for s in kb_samples if s.label == "refunds" and s.twin == "#0"]
    assert {s.language for s in refunds} == {"en", "pt", "es"}
    assert all(len(folds) == 1 for folds in by_twin.values())
    # and the twins still spread over every fold
    assert {f for folds in by_twin.values() for f in folds} == {0, 1, 2}
    # a phrasing repeated at another position stays with its first twin group
    repeated = [*kb_samples, Sample(refunds[0].text, "refunds", "en", twin="#40")]
    folds_repeated = assign_folds(repeated, 3)[1]
    assert folds_repeated[-1] == folds_repeated[kb_samples.index(refunds[0])]
