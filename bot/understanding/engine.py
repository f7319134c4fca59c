"""The understanding engine: trained on labelled texts, it ranks labels for a
message with a calibrated confidence and decides to answer, to ask the customer
to choose, or to admit it does not know.

    engine = Engine.train([Sample("where is my parcel", "order_status", "en"), ...])
    engine.predict("wheres my parcel?")  # Prediction(decision="answer", ranked=...)

A linear SVM over sparse TF-IDF features (features.Featuriser) ranks the
labels; a nearest-example similarity and vocabulary coverage join the scores
in a confidence model learned by cross-validation (calibration). With the
sentence encoder (encoder.py, multilingual, in the default install), each text's
sentence vector, through a contrastive layer learned on the training set
(contrastive.py; `contrastive=False` keeps the vectors as they are), joins the
TF-IDF features (scaled by EMBEDDING_WEIGHT) and the similarity of the nearest
example by meaning joins the confidence model; a text in a language the encoder
does not know is scored by a model trained without vectors. The engine is
immutable once trained: share it between threads freely.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.svm import LinearSVC

from bot.errors import InputError
from bot.understanding.blas import ONE_BLAS_THREAD
from bot.understanding.calibration import (
    RETENTION,
    SEMANTIC_RETENTION,
    Calibration,
    fit_calibration,
    fit_temperature,
    in_scope_threshold,
    one_message_features,
    score_features,
    softmax,
    softmax_one,
)
from bot.understanding.contrastive import learn, project
from bot.understanding.encoder import SentenceEncoder
from bot.understanding.features import Featuriser, TermIndex, Terms, analyse, analyse_all
from bot.understanding.folds import spread, stable
from bot.understanding.language import CONFIDENT, detect
from bot.understanding.matching import Decision
from bot.understanding.normalise import fold

logger = logging.getLogger(__name__)

FOLDS = 3
# fewer in-scope examples than this and held-out predictions say nothing: no calibration
MIN_HELD_OUT = 12
SEED = 13
# Training texts with this label are examples of what not to answer: never a label, they
# train a classifier of in scope against them whose score joins the confidence model.
OUT_OF_SCOPE = "oos"
# the sentence vectors' scale beside the unit-length TF-IDF rows: chosen by 5-fold
# cross-validation on BANKING77 train (full and 10 per intent), 1.0 to 2.0 within noise
# with all data, 2.0 clearly best with few examples (docs/benchmarks.md)
EMBEDDING_WEIGHT = 2.0
# the in-scope score's nearest-neighbour margin by meaning (see _Model._margin): its weight
# makes its spread the linear in-scope score's (about 0.17 against 1.1 on held-out
# messages), so the two count alike; NEIGHBOURS nearest on each side
MARGIN_WEIGHT = 6.0
NEIGHBOURS = 3

Vectors = NDArray[np.float32]


@dataclass(frozen=True)
class Sample:
    text: str
    label: str
    language: str | None = None
    weight: float = 1.0
    # samples of one label with the same twin key (a question and its translations) share
    # a calibration fold: a held-out text never has its translation in training, whose
    # sentence vector would all but give the answer away; "" keys a sample by its text
    twin: str = ""


@dataclass(frozen=True)
class Prediction:
    decision: Decision
    ranked: tuple[tuple[str, float], ...]  # (label, score 0..1), best first, at most `top`
    confidence: float


class _Model:
    """Featuriser + classifier + per-label nearest-example index for one training set, and,
    when some texts are labelled OUT_OF_SCOPE, a classifier of in-scope against them."""

    def __init__(
        self,
        samples: Sequence[Sample],
        index: TermIndex,
        rows: Sequence[int],
        docs: Sequence[Terms],
        vectors: Vectors | None = None,
        gate: Vectors | None = None,
        layer: Vectors | None = None,
    ) -> None:
        """`vectors` are the texts' sentence vectors; when they went through a contrastive
        `layer`, `gate` are the same vectors as they were, for the in-scope score: the layer
        is learned on the labels alone and moves the out-of-scope examples anywhere."""
        self.featuriser = Featuriser(index, rows, docs)
        lexical = self.featuriser.take_matrix()
        matrix = lexical
        self.width = matrix.shape[1]  # TF-IDF columns; sentence-vector columns follow
        picked = np.asarray(rows, dtype=np.int64)
        semantic = None if vectors is None else vectors[picked]
        raw = semantic if gate is None else gate[picked]
        gate_matrix = matrix
        if semantic is not None and raw is not None:
            matrix = sparse.hstack(
                [matrix, sparse.csr_matrix(EMBEDDING_WEIGHT * semantic)], format="csr"
            )
            gate_matrix = matrix
            if gate is not None:
                gate_matrix = sparse.hstack(
                    [lexical, sparse.csr_matrix(EMBEDDING_WEIGHT * raw)],
                    format="csr",
                )
        samples = [samples[i] for i in rows]
        weights = np.array([s.weight for s in samples])
        inside = np.array([s.label != OUT_OF_SCOPE for s in samples])
        self.domain = _domain_classifier(gate_matrix, inside, weights)
        # with sentence vectors, the in-scope score adds how much nearer a message is to
        # its nearest examples than to its nearest out-of-scope ones, by meaning
        self.near_inside: Vectors | None = None  # set below, with meaning_by_label
        self.near_outside: Vectors | None = None
        if raw is not None and self.domain is not None:
            self.near_outside = np.ascontiguousarray(raw[~inside & (weights >= 1.0)])
        if not inside.all():
            matrix, weights, samples = (
                matrix[inside],
                weights[inside],
                [s for s, keep in zip(samples, inside, strict=True) if keep],
            )
            semantic = None if semantic is None else semantic[inside]
            raw = None if raw is None else raw[inside]
            lexical = lexical[np.nonzero(inside)[0]]
        labels = np.array([s.label for s in samples])
        self.labels: tuple[str, ...] = tuple(sorted({str(label) for label in labels}))
        position = {label: i for i, label in enumerate(self.labels)}
        y = np.array([position[label] for label in labels], dtype=np.int64)
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
            lexical[np.nonzero(examples & (y == j))[0]] if np.any(examples & (y == j)) else None
            for j in range(len(self.labels))
        )
        # the in-scope examples' vectors sorted by label, once: each label's are a slice of
        # them, and the in-scope margin reads them all (two copies cost 2 MB a knowledge
        # base). With a layer they are kept as they were, for the margin, and a projected
        # message meets them through the layer's transpose: (xW).(eW) = ((xW)W').e, over
        # |eW| (each example's `inverse` norm): one copy, not two
        self.meaning_by_label: tuple[tuple[Vectors, Vectors | None] | None, ...] = (None,) * len(
            self.labels
        )
        self._back = None if layer is None else layer.T
        if semantic is not None and raw is not None:
            kept = np.nonzero(examples)[0]
            kept = kept[np.argsort(y[kept], kind="stable")]
            by_meaning = np.ascontiguousarray((semantic if layer is None else raw)[kept])
            inverse = None
            if layer is not None:
                norms = np.linalg.norm(by_meaning @ layer, axis=1)
                inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
            bounds = np.searchsorted(y[kept], np.arange(len(self.labels) + 1))
            self.meaning_by_label = tuple(
                (by_meaning[start:end], None if inverse is None else inverse[start:end])
                if end > start
                else None
                for start, end in zip(bounds[:-1], bounds[1:], strict=True)
            )
            if self.near_outside is not None:
                self.near_inside = by_meaning

    def _meaning(self, label: int, vector: Vectors | None) -> float:
        """Cosine similarity of the label's nearest example by meaning (0 without vectors)."""
        found = self.meaning_by_label[label]
        if found is None or vector is None:
            return 0.0
        examples, inverse = found
        if inverse is None or self._back is None:
            return float((examples @ vector).max())
        return float(((examples @ (vector @ self._back)) * inverse).max())

    def _margin(self, vectors: Vectors) -> NDArray[np.float64]:
        """(n,) mean similarity of the NEIGHBOURS nearest in-scope examples minus that of
        the nearest out-of-scope ones (zeros without out-of-scope examples)."""
        if self.near_inside is None or self.near_outside is None or not len(self.near_outside):
            return np.zeros(len(vectors))
        return _top_mean(vectors @ self.near_inside.T) - _top_mean(vectors @ self.near_outside.T)

    def scores(
        self, docs: Sequence[Terms], vectors: Vectors | None = None, gate: Vectors | None = None
    ) -> Scores:
        """Classifier scores (n, labels); similarity of the nearest example of each row's
        top label, by words and by meaning (n,); vocabulary coverage (n,); in-scope score
        (n,)."""
        x = self.featuriser.transform(docs)
        decision = np.asarray(x @ self.coef_t[: self.width] + self.bias, dtype=np.float64)
        domain = np.zeros(len(docs))
        if self.domain is not None:
            domain += np.asarray(x @ self.domain[0][: self.width]).ravel() + self.domain[1]
        if vectors is not None:
            decision += EMBEDDING_WEIGHT * vectors @ self.coef_t[self.width :]
            if self.domain is not None:
                raw = vectors if gate is None else gate
                domain += EMBEDDING_WEIGHT * raw @ self.domain[0][self.width :]
                domain += MARGIN_WEIGHT * self._margin(raw)
        top = np.argmax(decision, axis=1)
        near = np.zeros(len(docs))
        meaning = np.zeros(len(docs))
        back = None if vectors is None or self._back is None else vectors @ self._back
        for label in np.unique(top):  # the rows of one top label at a time
            rows = np.nonzero(top == label)[0]
            examples = self.by_label[label]
            if examples is not None:  # similarities are >= 0: implicit zeros do not matter
                near[rows] = (x[rows] @ examples.T).max(axis=1).toarray().ravel()
            found = self.meaning_by_label[label]
            if found is not None and vectors is not None:
                by_meaning, inverse = found
                if inverse is None or back is None:
                    meaning[rows] = (vectors[rows] @ by_meaning.T).max(axis=1)
                else:
                    meaning[rows] = ((back[rows] @ by_meaning.T) * inverse).max(axis=1)
        coverage = np.array([self.featuriser.coverage(d) for d in docs])
        return Scores(decision, near, meaning, coverage, domain)

    def score_one(
        self, doc: Terms, vector: Vectors | None = None, gate: Vectors | None = None
    ) -> OneScore:
        """`scores` for a single message, with plain numpy on the row's few non-zeros."""
        columns, values, width = self.featuriser.parts(doc, ordered=False)
        # take: a third of the time of fancy indexing for a few rows
        decision = (values @ self.coef_t.take(columns, axis=0) + self.bias).astype(np.float64)
        domain = 0.0
        if self.domain is not None:
            domain = float(values @ self.domain[0].take(columns)) + self.domain[1]
        if vector is not None:
            decision += EMBEDDING_WEIGHT * vector @ self.coef_t[self.width :]
            if self.domain is not None:
                raw = vector if gate is None else gate
                domain += float(EMBEDDING_WEIGHT * raw @ self.domain[0][self.width :])
                domain += MARGIN_WEIGHT * float(self._margin(raw[np.newaxis])[0])
        top = int(np.argmax(decision))
        near = 0.0
        examples = self.by_label[top]
        if examples is not None and len(columns):
            dense = np.zeros(width, dtype=np.float32)
            dense[columns] = values
            near = float((examples @ dense).max())
        return OneScore(
            decision, near, self._meaning(top, vector), self.featuriser.coverage(doc), domain
        )


def _top_mean(similarities: NDArray[np.float32]) -> NDArray[np.float64]:
    """(n, m) -> (n,) the mean of each row's NEIGHBOURS largest values."""
    k = min(NEIGHBOURS, similarities.shape[1])
    top = np.partition(similarities, similarities.shape[1] - k, axis=1)[:, -k:]
    means: NDArray[np.float64] = top.mean(axis=1, dtype=np.float64)
    return means


def _domain_classifier(
    matrix: sparse.csr_matrix, inside: NDArray[np.bool_], weights: NDArray[np.float64]
) -> tuple[NDArray[np.float32], float] | None:
    """A linear model of in scope (> 0) against the OUT_OF_SCOPE texts, each side weighed
    as a whole, or None without such texts."""
    if inside.all() or not inside.any():
        return None
    svm = LinearSVC(C=1.0, random_state=0, class_weight="balanced")
    svm.fit(matrix, inside.astype(np.int64), sample_weight=weights)
    return np.asarray(svm.coef_[0], dtype=np.float32), float(svm.intercept_[0])


@dataclass(frozen=True)
class OneScore:
    """`Scores` of a single message, as plain numbers: what `predict` needs, without the
    per-call costs of numpy on arrays of one row."""

    decision: NDArray[np.float64]  # (labels,)
    near: float
    meaning: float
    coverage: float
    domain: float


@dataclass(frozen=True)
class Scores:
    """A model's raw scores for n messages (see `_Model.scores`)."""

    decision: NDArray[np.float64]
    near: NDArray[np.float64]
    meaning: NDArray[np.float64]
    coverage: NDArray[np.float64]
    domain: NDArray[np.float64]

    def features(self, temperature: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The confidence model's features and the label probabilities."""
        probabilities = softmax(self.decision, temperature)
        features = score_features(
            probabilities, self.decision, self.near, self.meaning, self.coverage
        )
        return features, probabilities


class Engine:
    """A trained engine. Build with `Engine.train`; `predict` is pure and thread-safe."""

    def __init__(
        self,
        model: _Model,
        calibration: Calibration,
        default_language: str | None,
        training_seconds: float,
        encoder: SentenceEncoder | None = None,
        lexical: tuple[_Model, Calibration] | None = None,
        layer: Vectors | None = None,
    ) -> None:
        self._model = model
        self.calibration = calibration
        self.default_language = default_language
        self.training_seconds = training_seconds
        self.encoder = encoder
        # with an encoder: a model without sentence vectors, for the languages it does not
        # know (a message with zeros for a vector scored worse than a model that never had one)
        self._lexical = lexical
        # the contrastive layer every sentence vector goes through (None: none learned)
        self.layer = layer

    @property
    def labels(self) -> tuple[str, ...]:
        return self._model.labels

    @classmethod
    def train(
        cls,
        samples: Sequence[Sample],
        folds: int = FOLDS,
        encoder: SentenceEncoder | None = None,
        progress: Callable[[int], None] | None = None,
        contrastive: bool = True,
    ) -> Engine:
        """Train on `samples`; with an `encoder`, sentence vectors join the features
        (`progress` is told of each batch of texts encoded), through a layer learned on the
        in-scope texts first unless `contrastive` is False (BALCAO_CONTRASTIVE=off: it adds
        a few seconds of training and one 512 x 512 product per message, docs/benchmarks.md)."""
        samples = [s for s in samples if s.text.strip()]
        if not samples:
            raise InputError("nothing to train on: no labelled texts")
        if all(s.label == OUT_OF_SCOPE for s in samples):
            raise InputError(
                f"nothing to train on: every text is labelled '{OUT_OF_SCOPE}' (out of scope);"
                " at least one other category is needed"
            )
        started = time.perf_counter()
        default_language = _majority_language(samples)
        languages = [s.language or default_language for s in samples]
        docs = analyse_all([s.text for s in samples], languages)
        if encoder is not None and not any(_encodable(encoder, lang) for lang in languages):
            # an intent set in languages the encoder does not know: the vectors would all
            # be zeros and every message would go to the lexical model, so train that alone
            logger.info("no training text in the encoder's languages: trained without it")
            encoder = None
        vectors = None
        if encoder is not None:  # sentence vectors for the encoder's languages, else zeros
            vectors = np.zeros((len(samples), encoder.dimensions), dtype=np.float32)
            known = [i for i, lang in enumerate(languages) if _encodable(encoder, lang)]
            if progress is not None:
                progress(len(samples) - len(known))
            vectors[known] = encoder.encode([samples[i].text for i in known], True, progress)
        index = TermIndex(docs)
        projected, layer = _through_layer(samples, range(len(samples)), vectors, contrastive)
        gate = None if layer is None else vectors  # the in-scope score reads them unprojected
        model = _Model(samples, index, range(len(samples)), docs, projected, gate, layer)
        calibration = _cross_validate(samples, index, docs, languages, folds, vectors, contrastive)
        lexical = None
        if encoder is not None and not all(_encodable(encoder, lang) for lang in languages):
            lexical = (
                _Model(samples, index, range(len(samples)), docs),
                _cross_validate(samples, index, docs, languages, folds),
            )
        index.release()  # the models keep its vocabularies, not the training texts' counts
        seconds = time.perf_counter() - started
        logger.info(
            "trained on %d texts, %d labels in %.2fs%s%s",
            len(samples),
            len(model.labels),
            seconds,
            " with the sentence encoder" if encoder else "",
            " and its contrastive layer" if layer is not None else "",
        )
        return cls(model, calibration, default_language, seconds, encoder, lexical, layer)

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
        model, calibration, vector, gate = self._model, self.calibration, None, None
        if self.encoder is not None:
            if _encodable(self.encoder, lang):
                # one BLAS thread for the layer's product too: waking a second one for a
                # single 512 x 512 product cost more than the product (nlu eval's p50 +0.6 ms)
                with ONE_BLAS_THREAD:
                    encoded = self.encoder.encode([text])
                    vector = (encoded if self.layer is None else project(encoded, self.layer))[0]
                gate = None if self.layer is None else encoded[0]
            elif self._lexical is not None:
                model, calibration = self._lexical
            else:
                vector = np.zeros(self.encoder.dimensions, dtype=np.float32)
        doc = model.featuriser.prepare(text, lang)
        scores = model.score_one(doc, vector, gate)
        probabilities = softmax_one(scores.decision, calibration.temperature)
        order = np.argsort(-probabilities)
        confidence = calibration.confidence_one(
            one_message_features(
                probabilities, scores.decision, order, scores.near, scores.meaning, scores.coverage
            )
        )
        declined = scores.domain < calibration.in_scope_below
        if declined:  # the gate's verdict: no more confident than what is declined anyway
            confidence = min(confidence, calibration.unknown_below)
        best = probabilities[order[0]]
        scale = confidence / best if best > 0 else 0.0
        ranked = tuple(
            (model.labels[i], round(float(probabilities[i] * scale), 4)) for i in order[:top]
        )
        if declined:
            verdict: Decision = "unknown"  # closer to the examples of what not to answer
        elif confidence >= calibration.answer_at:
            verdict = "answer"
        elif confidence >= calibration.unknown_below:
            verdict = "choose"
        else:
            verdict = "unknown"
        return Prediction(verdict, ranked, round(confidence, 4))


def _through_layer(
    samples: Sequence[Sample], rows: Sequence[int], vectors: Vectors | None, contrastive: bool
) -> tuple[Vectors | None, Vectors | None]:
    """`vectors` through a contrastive layer learned on the in-scope samples of `rows`, and
    the layer; the vectors as they are and None when there is no layer to learn."""
    if vectors is None or not contrastive:
        return vectors, None
    picked = np.array([i for i in rows if samples[i].label != OUT_OF_SCOPE], dtype=np.int64)
    labels = np.array([samples[i].label for i in picked], dtype=np.str_)
    layer = learn(vectors[picked], labels)
    return (vectors, None) if layer is None else (project(vectors, layer), layer)


def _encodable(encoder: SentenceEncoder, language: str | None) -> bool:
    """Whether the encoder gives `language`'s texts vectors worth having (a text of no
    known language is tried: the encoder is multilingual)."""
    return language is None or language in encoder.languages


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


def assign_folds(samples: Sequence[Sample], folds: int) -> tuple[dict[str, int], NDArray[np.int64]]:
    """Each label's group (the fold that hides it whole) and each sample's fold.

    Drawn from each label's and each text's own hash, not from one random sequence:
    adding an example to one label moves that label's examples alone, and the others
    keep their folds (a new label shifts the groups of the labels after it in hash order).
    The same text twice in a label goes to one fold, and so do samples with the same
    `twin` key (translations), so a held-out text never has its twin in training.
    """
    labels = sorted({s.label for s in samples} - {OUT_OF_SCOPE}, key=lambda x: (stable(x, SEED), x))
    group = {label: i % folds for i, label in enumerate(labels)}
    group[OUT_OF_SCOPE] = -1  # never hidden: its held-out examples are out of scope anyway
    fold_of = np.zeros(len(samples), dtype=np.int64)
    by_label: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        by_label.setdefault(s.label, []).append(i)
    for label, members in by_label.items():
        first: dict[str, str] = {}  # a text repeated under other twin keys keeps its first
        keys = [
            first.setdefault(samples[i].text, samples[i].twin or samples[i].text) for i in members
        ]
        fold_of[members] = spread(label, keys, folds, SEED)
    return group, fold_of


def _cross_validate(
    samples: Sequence[Sample],
    index: TermIndex,
    docs: Sequence[Terms],
    languages: Sequence[str | None],
    folds: int,
    vectors: Vectors | None = None,
    contrastive: bool = False,
) -> Calibration:
    """Held-out predictions over `folds` folds, each also hiding a group of labels; with
    `contrastive`, each fold's vectors go through a layer learned on its training part
    alone (a layer learned on the held-out texts too draws them closer to their examples
    than a customer's new message will ever be, and the calibration then declines those)."""
    labels = sorted({s.label for s in samples} - {OUT_OF_SCOPE})
    examples = sum(s.label != OUT_OF_SCOPE and s.weight >= 1.0 for s in samples)
    negatives = any(s.label == OUT_OF_SCOPE for s in samples)
    fallback = Calibration.default()
    if negatives:  # too little to cross-validate: the in-scope model's own boundary decides
        fallback = dataclasses.replace(fallback, in_scope_below=0.0)
    if len(samples) < 20 or examples < MIN_HELD_OUT or (len(labels) < 3 and not negatives):
        return fallback
    group, fold_of = assign_folds(samples, folds)
    if len(labels) < 3:  # too few labels to hide some: the out-of-scope examples stand in
        group = dict.fromkeys(group, -1)
    all_features, all_correct, all_in_scope = [], [], []
    all_negative: list[NDArray[np.bool_]] = []
    raw: list[tuple[NDArray[np.float64], NDArray[np.int64]]] = []
    held: list[tuple[Scores, NDArray[np.bool_], NDArray[np.int64]]] = []
    # one fold after another: liblinear's random numbers are global to the process, and
    # models fitted on two threads at once calibrate differently in the fifth decimal
    for k in range(folds):
        hidden = {label for label, g in group.items() if g == k}
        train = [i for i, s in enumerate(samples) if fold_of[i] != k and s.label not in hidden]
        test = [
            i
            for i, s in enumerate(samples)
            if fold_of[i] == k and (s.weight >= 1.0 or s.label == OUT_OF_SCOPE)
        ]
        if not test or len({samples[i].label for i in train}) < 2:
            continue
        seen, layer = _through_layer(samples, train, vectors, contrastive)
        unprojected = None if layer is None else vectors
        model = _Model(samples, index, train, docs, seen, unprojected, layer)
        test_samples = [samples[i] for i in test]
        # held-out texts go through typo correction, as a customer's message would
        test_docs = [_corrected(model.featuriser, docs[i], languages[i]) for i in test]
        scores = model.scores(
            test_docs,
            None if seen is None else seen[test],
            None if unprojected is None else unprojected[test],
        )
        position = {label: j for j, label in enumerate(model.labels)}
        truth = np.array([position.get(s.label, -1) for s in test_samples])
        in_scope = truth >= 0
        raw.append((scores.decision[in_scope], truth[in_scope]))
        held.append((scores, in_scope, truth))
        all_negative.append(np.array([s.label == OUT_OF_SCOPE for s in test_samples]))
    if not held:
        return fallback
    temperature = float(np.median([fit_temperature(d, t) for d, t in raw if len(t)]))
    for scores, in_scope, truth in held:
        features, probabilities = scores.features(temperature)
        all_features.append(features)
        all_correct.append(np.argmax(probabilities, axis=1) == truth)
        all_in_scope.append(in_scope)
    calibration = fit_calibration(
        np.vstack(all_features),
        np.concatenate(all_correct),
        np.concatenate(all_in_scope),
        temperature,
        RETENTION if vectors is None else SEMANTIC_RETENTION,
    )
    negative = np.concatenate(all_negative)
    if not negative.any():
        return calibration
    # the messages answered right on confidence alone set the in-scope gate
    features = np.vstack(all_features)
    answered = calibration.confidence(features) >= calibration.unknown_below
    kept = np.concatenate(all_correct) & np.concatenate(all_in_scope) & answered
    domain = np.concatenate([scores.domain for scores, _, _ in held])
    gate = in_scope_threshold(domain, kept)
    logger.info(
        "in-scope gate at %.3f declines %.0f%% of %d held-out out-of-scope examples",
        gate,
        100 * np.mean(domain[negative] < gate),
        negative.sum(),
    )
    return dataclasses.replace(calibration, in_scope_below=gate)
