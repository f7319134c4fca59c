"""The understanding engine: trained on labelled texts, it ranks labels for a
message with a calibrated confidence and decides to answer, to ask the customer
to choose, or to admit it does not know.

    engine = Engine.train([Sample("where is my parcel", "order_status", "en"), ...])
    engine.predict("wheres my parcel?")  # Prediction(decision="answer", ranked=...)

A linear SVM over sparse TF-IDF features (features.Featuriser) ranks the
labels; a nearest-example similarity and vocabulary coverage join the scores
in a confidence model learned by cross-validation (calibration). The engine
is immutable once trained: share it between threads freely.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.svm import LinearSVC

from bot.errors import InputError
from bot.matching import Decision
from bot.understanding.calibration import (
    Calibration,
    fit_calibration,
    fit_temperature,
    score_features,
    softmax,
)
from bot.understanding.features import Featuriser
from bot.understanding.language import detect
from bot.understanding.normalise import fold

logger = logging.getLogger(__name__)

FOLDS = 4
SEED = 13


@dataclass(frozen=True)
class Sample:
    text: str
    label: str
    language: str | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class Prediction:
    decision: Decision
    ranked: tuple[tuple[str, float], ...]  # (label, score 0..1), best first, at most `top`
    confidence: float


class _Model:
    """Featuriser + classifier + per-label nearest-example index for one training set."""

    def __init__(self, samples: Sequence[Sample], default_language: str | None) -> None:
        texts = [s.text for s in samples]
        self.languages = [s.language or default_language for s in samples]
        self.featuriser = Featuriser(texts, self.languages)
        matrix = self.featuriser.transform(texts, self.languages)
        labels = np.array([s.label for s in samples])
        self.labels: tuple[str, ...] = tuple(sorted({str(label) for label in labels}))
        index = {label: i for i, label in enumerate(self.labels)}
        y = np.array([index[label] for label in labels])
        weights = np.array([s.weight for s in samples])
        if len(self.labels) > 1:
            svm = LinearSVC(C=1.0, random_state=0)
            svm.fit(matrix, y, sample_weight=weights)
            coef = np.asarray(svm.coef_, dtype=np.float32)
            bias = np.asarray(svm.intercept_, dtype=np.float32)
            if len(self.labels) == 2:  # binary: one column for the positive label
                coef, bias = np.vstack([-coef, coef]), np.concatenate([-bias, bias])
        else:
            coef = np.zeros((1, matrix.shape[1]), dtype=np.float32)
            bias = np.ones(1, dtype=np.float32)
        self.coef_t = np.ascontiguousarray(coef.T)
        self.bias = bias
        # examples sorted by label, for the nearest example within each label
        order = np.argsort(y, kind="stable")
        weighty = weights[order] >= 1.0  # answer texts are no "examples"
        self.examples = matrix[order][weighty].T.tocsr()
        sorted_y = y[order][weighty]
        self.starts = np.searchsorted(sorted_y, np.arange(len(self.labels)))
        self.has_examples = np.isin(np.arange(len(self.labels)), sorted_y)

    def scores(
        self, texts: Sequence[str], languages: Sequence[str | None]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Classifier scores (n, labels), nearest-example similarity per label, coverage."""
        prepared = [self.featuriser.prepare(t) for t in texts]
        x = self.featuriser.transform(prepared, languages, prepared=True)
        decision = np.asarray(x @ self.coef_t + self.bias, dtype=np.float64)
        sims = np.asarray((x @ self.examples).toarray(), dtype=np.float64)
        if sims.shape[1]:
            starts = np.minimum(self.starts, sims.shape[1] - 1)
            neighbour = np.maximum.reduceat(sims, starts, axis=1)
            neighbour[:, ~self.has_examples] = 0.0
        else:
            neighbour = np.zeros_like(decision)
        coverage = np.array(
            [self.featuriser.coverage(p, lang) for p, lang in zip(prepared, languages, strict=True)]
        )
        return decision, neighbour, coverage


def _features(
    decision: NDArray[np.float64],
    neighbour: NDArray[np.float64],
    coverage: NDArray[np.float64],
    temperature: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    probabilities = softmax(decision, temperature)
    top = np.argmax(probabilities, axis=1)
    near = neighbour[np.arange(len(top)), top]
    return score_features(probabilities, decision, near, coverage), probabilities


class Engine:
    """A trained engine. Build with `Engine.train`; `predict` is pure and thread-safe."""

    def __init__(
        self,
        model: _Model,
        calibration: Calibration,
        default_language: str | None,
        training_seconds: float,
    ) -> None:
        self._model = model
        self.calibration = calibration
        self.default_language = default_language
        self.training_seconds = training_seconds

    @property
    def labels(self) -> tuple[str, ...]:
        return self._model.labels

    @classmethod
    def train(cls, samples: Sequence[Sample], folds: int = FOLDS) -> Engine:
        samples = [s for s in samples if s.text.strip()]
        if not samples:
            raise InputError("nothing to train on: no labelled texts")
        started = time.perf_counter()
        default_language = _majority_language(samples)
        model = _Model(samples, default_language)
        calibration = _cross_validate(samples, default_language, folds)
        seconds = time.perf_counter() - started
        logger.info(
            "trained on %d texts, %d labels in %.2fs", len(samples), len(model.labels), seconds
        )
        return cls(model, calibration, default_language, seconds)

    def language_for(self, text: str, hint: str | None) -> str | None:
        found = detect(text)
        if found.language is not None and found.confidence >= 0.35:
            return found.language
        return hint or self.default_language

    def predict(self, text: str, language: str | None = None, top: int = 3) -> Prediction:
        """Rank the labels for `text`; `language` is the language to stem it in, if known."""
        if not fold(text):  # nothing but punctuation, symbols or emoji
            return Prediction("unknown", (), 0.0)
        lang = language or self.language_for(text, None)
        decision, neighbour, coverage = self._model.scores([text], [lang])
        features, probabilities = _features(
            decision, neighbour, coverage, self.calibration.temperature
        )
        confidence = float(self.calibration.confidence(features)[0])
        p = probabilities[0]
        order = np.argsort(-p)[:top]
        scale = confidence / p[order[0]] if p[order[0]] > 0 else 0.0
        ranked = tuple((self._model.labels[i], round(float(p[i] * scale), 4)) for i in order)
        if confidence >= self.calibration.answer_at:
            verdict: Decision = "answer"
        elif confidence >= self.calibration.unknown_below:
            verdict = "choose"
        else:
            verdict = "unknown"
        return Prediction(verdict, ranked, round(confidence, 4))


def _majority_language(samples: Sequence[Sample]) -> str | None:
    given = Counter(s.language for s in samples if s.language)
    if given:
        return given.most_common(1)[0][0]
    votes = Counter(detect(s.text).language for s in samples[:2000])
    votes.pop(None, None)
    return votes.most_common(1)[0][0] if votes else None


def _cross_validate(
    samples: Sequence[Sample], default_language: str | None, folds: int
) -> Calibration:
    """Held-out predictions over `folds` folds, each also hiding a group of labels."""
    rng = np.random.default_rng(SEED)
    labels = sorted({s.label for s in samples})
    if len(labels) < 3 or len(samples) < 20:
        return Calibration.default()
    group = {label: i % folds for i, label in enumerate(rng.permutation(labels))}
    fold_of = np.zeros(len(samples), dtype=int)
    by_label: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        by_label.setdefault(s.label, []).append(i)
    for members in by_label.values():
        offset = int(rng.integers(folds))
        for rank, i in enumerate(rng.permutation(members)):
            fold_of[i] = (rank + offset) % folds
    all_features, all_correct, all_in_scope = [], [], []
    raw: list[tuple[NDArray[np.float64], NDArray[np.int64]]] = []
    held: list[
        tuple[
            NDArray[np.float64],
            NDArray[np.float64],
            NDArray[np.float64],
            NDArray[np.bool_],
            NDArray[np.bool_],
        ]
    ] = []  # noqa: E501
    for k in range(folds):
        hidden = {label for label, g in group.items() if g == k}
        train = [s for i, s in enumerate(samples) if fold_of[i] != k and s.label not in hidden]
        test = [i for i, s in enumerate(samples) if fold_of[i] == k and samples[i].weight >= 1.0]
        if not test or len({s.label for s in train}) < 2:
            continue
        model = _Model(train, default_language)
        test_samples = [samples[i] for i in test]
        langs = [s.language or default_language for s in test_samples]
        decision, neighbour, coverage = model.scores([s.text for s in test_samples], langs)
        index = {label: j for j, label in enumerate(model.labels)}
        truth = np.array([index.get(s.label, -1) for s in test_samples])
        in_scope = truth >= 0
        raw.append((decision[in_scope], truth[in_scope]))
        held.append((decision, neighbour, coverage, in_scope, truth))
    if not held:
        return Calibration.default()
    temperature = float(np.median([fit_temperature(d, t) for d, t in raw if len(t)]))
    for decision, neighbour, coverage, in_scope, truth in held:
        features, probabilities = _features(decision, neighbour, coverage, temperature)
        all_features.append(features)
        all_correct.append(np.argmax(probabilities, axis=1) == truth)
        all_in_scope.append(in_scope)
    return fit_calibration(
        np.vstack(all_features),
        np.concatenate(all_correct),
        np.concatenate(all_in_scope),
        temperature,
    )
