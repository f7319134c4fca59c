from __future__ import annotations

import numpy as np

from bot.understanding.calibration import Calibration, fit_calibration, fit_temperature, softmax
from bot.understanding.features import Featuriser, TermIndex, analyse, analyse_all


def test_softmax_rows_sum_to_one() -> None:
    p = softmax(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]), 0.5)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert p[0].argmax() == 2


def test_temperature_sharpens_confident_correct_scores() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(200, 5))
    truth = scores.argmax(axis=1)  # the top score is always right: a low temperature fits
    assert fit_temperature(scores, truth) < 0.5


def test_calibration_learns_thresholds_in_order() -> None:
    rng = np.random.default_rng(1)
    n = 400
    in_scope = rng.random(n) > 0.25
    correct = in_scope & (rng.random(n) > 0.1)
    # the first feature separates right answers from the rest, with noise
    signal = np.where(correct, 0.8, 0.3) + rng.normal(scale=0.15, size=n)
    features = np.column_stack([signal, *(rng.normal(size=(5, n)))])
    calibration = fit_calibration(features, correct, in_scope, 1.0)
    confidence = calibration.confidence(features)
    assert 0.0 < calibration.unknown_below <= calibration.answer_at <= 1.0
    assert confidence[correct].mean() > confidence[~in_scope].mean()
    kept = confidence[correct] >= calibration.unknown_below
    assert 0.95 <= kept.mean() <= 1.0


def test_too_little_data_falls_back_to_defaults() -> None:
    features = np.zeros((5, 6))
    flags = np.ones(5, dtype=bool)
    assert fit_calibration(features, flags, flags, 1.0).weights == Calibration.default().weights


def test_one_message_vector_equals_the_batch_transform() -> None:
    texts = ["where is my order", "refund my card please", "hello there", "order status"]
    docs = analyse_all(texts, ["en"] * len(texts))
    featuriser = Featuriser(TermIndex(docs), [0, 1, 2], docs)
    for doc in [*docs, analyse("zzz", "en"), analyse("", "en")]:
        single = featuriser.vector(doc).toarray()
        batch = featuriser.transform([doc, doc])[0].toarray()
        assert np.allclose(single, batch, atol=1e-6)
