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
from scipy import sparse
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
from bot.understanding.features import Featuriser, TermIndex, Terms, analyse, analyse_all
from bot.understanding.language import CONFIDENT, detect
from bot.understanding.normalise import fold

logger = logging.getLogger(__name__)

FOLDS = 3
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

    def __init__(
        self,
        samples: Sequence[Sample],
        index: TermIndex,
        rows: Sequence[int],
        docs: Sequence[Terms],
    ) -> None:
        self.featuriser = Featuriser(index, rows, docs)
        matrix = self.featuriser.matrix
        samples = [samples[i] for i in rows]
        labels = np.array([s.label for s in samples])
        self.labels: tuple[str, ...] = tuple(sorted({str(label) for label in labels}))
        position = {label: i for i, label in enumerate(self.labels)}
        y = np.array([position[label] for label in labels])
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
        # each label's own examples, for the nearest-example similarity
        examples = weights >= 1.0  # answer texts are no examples
        self.by_label: tuple[sparse.csr_matrix | None, ...] = tuple(
            matrix[np.nonzero(examples & (y == j))[0]] if np.any(examples & (y == j)) else None
            for j in range(len(self.labels))
        )

    def scores(
        self, docs: Sequence[Terms]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Classifier scores (n, labels); similarity of the nearest example of each row's
        top label (n,); vocabulary coverage (n,)."""
        x = self.featuriser.transform(docs)
        decision = np.asarray(x @ self.coef_t + self.bias, dtype=np.float64)
        top = np.argmax(decision, axis=1)
        near = np.zeros(len(docs))
        for i, label in enumerate(top):
            examples = self.by_label[label]
            if examples is not None:
                sims = examples @ x[i].T
                near[i] = sims.max() if sims.nnz else 0.0
        coverage = np.array([self.featuriser.coverage(d) for d in docs])
        return decision, near, coverage

    def score_one(
        self, doc: Terms
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """`scores` for a single message, with plain numpy on the row's few non-zeros."""
        columns, values, width = self.featuriser.parts(doc)
        decision = (values @ self.coef_t[columns] + self.bias).astype(np.float64)
        near = 0.0
        examples = self.by_label[int(np.argmax(decision))]
        if examples is not None and len(columns):
            dense = np.zeros(width, dtype=np.float32)
            dense[columns] = values
            near = float((examples @ dense).max())
        coverage = self.featuriser.coverage(doc)
        return decision[np.newaxis, :], np.array([near]), np.array([coverage])


def _features(
    decision: NDArray[np.float64],
    neighbour: NDArray[np.float64],
    coverage: NDArray[np.float64],
    temperature: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    probabilities = softmax(decision, temperature)
    return score_features(probabilities, decision, neighbour, coverage), probabilities


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
        languages = [s.language or default_language for s in samples]
        docs = analyse_all([s.text for s in samples], languages)
        index = TermIndex(docs)
        model = _Model(samples, index, range(len(samples)), docs)
        calibration = _cross_validate(samples, index, docs, languages, folds)
        seconds = time.perf_counter() - started
        logger.info(
            "trained on %d texts, %d labels in %.2fs", len(samples), len(model.labels), seconds
        )
        return cls(model, calibration, default_language, seconds)

    def language_for(self, text: str, hint: str | None) -> str | None:
        """The language to stem `text` in: one the engine was trained in."""
        trained = self._model.featuriser.languages
        if len(trained) <= 1:
            return self.default_language
        if hint in trained:
            return hint
        found = detect(text)
        if found.language in trained and found.confidence >= CONFIDENT:
            return found.language
        return self.default_language

    def predict(self, text: str, language: str | None = None, top: int = 3) -> Prediction:
        """Rank the labels for `text`; `language` is its language, if known."""
        if not fold(text):  # nothing but punctuation, symbols or emoji
            return Prediction("unknown", (), 0.0)
        lang = self.language_for(text, language)
        doc = self._model.featuriser.prepare(text, lang)
        decision, neighbour, coverage = self._model.score_one(doc)
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


def _corrected(featuriser: Featuriser, doc: Terms, language: str | None) -> Terms:
    corrected = featuriser.typos.correct_text(doc.folded)
    return doc if corrected == doc.folded else analyse(corrected, language)


def _majority_language(samples: Sequence[Sample]) -> str | None:
    given = Counter(s.language for s in samples if s.language)
    if given:
        return given.most_common(1)[0][0]
    votes = Counter(detect(s.text).language for s in samples[:2000])
    votes.pop(None, None)
    return votes.most_common(1)[0][0] if votes else None


def _cross_validate(
    samples: Sequence[Sample],
    index: TermIndex,
    docs: Sequence[Terms],
    languages: Sequence[str | None],
    folds: int,
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
        train = [i for i, s in enumerate(samples) if fold_of[i] != k and s.label not in hidden]
        test = [i for i, s in enumerate(samples) if fold_of[i] == k and samples[i].weight >= 1.0]
        if not test or len({samples[i].label for i in train}) < 2:
            continue
        model = _Model(samples, index, train, docs)
        test_samples = [samples[i] for i in test]
        # held-out texts go through typo correction, as a customer's message would
        test_docs = [_corrected(model.featuriser, docs[i], languages[i]) for i in test]
        decision, neighbour, coverage = model.scores(test_docs)
        position = {label: j for j, label in enumerate(model.labels)}
        truth = np.array([position.get(s.label, -1) for s in test_samples])
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
