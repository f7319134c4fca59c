"""Calibrated confidence and the answer / choose / unknown thresholds, learned
from the training data by cross-validation.

Each fold holds out a share of the examples of most labels (in-scope checks)
and every example in that fold of a group of labels the fold's model never
sees (stand-ins for out-of-scope messages). The held-out predictions give:

- a softmax temperature for the classifier's scores (minimum log-loss);
- a small logistic model from score features to P(the top label is right and
  the message is in scope): that probability is the confidence;
- `unknown_below`: the confidence that keeps `RETENTION` (`SEMANTIC_RETENTION` with
  sentence vectors) of the held-out
  messages that were answered right, so that out-of-scope messages fall below;
- `answer_at`: the confidence from which held-out answers are right at least
  `ANSWER_PRECISION` of the time, window by window (and at most that precision);
  between the two the customer is asked to choose between the top candidates.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

logger = logging.getLogger(__name__)

RETENTION = 0.98
# With sentence vectors the confidence separates better, and CLINC150 val (no out-of-scope
# data in training) keeps OOS recall at 0.84 from 0.98 to 0.995 while in-scope accuracy
# rises from 0.933 to 0.948 at 0.99: chosen there (docs/benchmarks.md)
SEMANTIC_RETENTION = 0.99
ANSWER_PRECISION = 0.90
OOS_SHARE = 0.2  # the share of out-of-scope messages assumed when weighting the stand-ins
TEMPERATURES = np.exp(np.linspace(np.log(0.02), np.log(5.0), 40))


def softmax(scores: NDArray[np.float64], temperature: float) -> NDArray[np.float64]:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
    return out


def fit_temperature(scores: NDArray[np.float64], truth: NDArray[np.int64]) -> float:
    """The temperature minimising the log-loss of softmax(scores) on `truth` (column index)."""
    if len(truth) == 0:
        return 1.0
    best, best_loss = 1.0, np.inf
    rows = np.arange(len(truth))
    for t in TEMPERATURES:
        p = softmax(scores, float(t))[rows, truth]
        loss = float(-np.mean(np.log(np.clip(p, 1e-12, None))))
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best


def score_features(
    probabilities: NDArray[np.float64],
    scores: NDArray[np.float64],
    neighbour: NDArray[np.float64],
    meaning: NDArray[np.float64],
    coverage: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Per message: top probability, its margin, top score, score margin, nearest-example
    similarity within the top label by words and by meaning (0 without the sentence
    encoder), and vocabulary coverage."""
    order = np.argsort(-probabilities, axis=1)
    rows = np.arange(len(probabilities))
    p1 = probabilities[rows, order[:, 0]]
    p2 = probabilities[rows, order[:, 1]] if probabilities.shape[1] > 1 else np.zeros_like(p1)
    s1 = scores[rows, order[:, 0]]
    s2 = scores[rows, order[:, 1]] if scores.shape[1] > 1 else s1 - 1.0
    return np.column_stack([p1, p1 - p2, s1, s1 - s2, neighbour, meaning, coverage])


def softmax_one(scores: NDArray[np.float64], temperature: float) -> NDArray[np.float64]:
    """`softmax` of one message's scores (labels,)."""
    z = scores / temperature
    z -= z.max()
    e = np.exp(z)
    e /= e.sum()
    return e


def one_message_features(
    probabilities: NDArray[np.float64],
    scores: NDArray[np.float64],
    order: NDArray[np.intp],
    neighbour: float,
    meaning: float,
    coverage: float,
) -> tuple[float, ...]:
    """`score_features` of one message, given its labels best first (`order`)."""
    p1, s1 = float(probabilities[order[0]]), float(scores[order[0]])
    if len(order) > 1:
        p2, s2 = float(probabilities[order[1]]), float(scores[order[1]])
    else:
        p2, s2 = 0.0, s1 - 1.0
    return (p1, p1 - p2, s1, s1 - s2, neighbour, meaning, coverage)


@dataclass(frozen=True)
class Calibration:
    temperature: float
    weights: tuple[float, ...]  # logistic model over score_features, intercept last
    unknown_below: float
    answer_at: float
    # below this score of the in-scope classifier (trained against out-of-scope examples,
    # when there are some) a message is declined whatever its confidence
    in_scope_below: float = float("-inf")

    def confidence(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        w = np.asarray(self.weights[:-1])
        z = features @ w + self.weights[-1]
        out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return out

    def confidence_one(self, features: Sequence[float]) -> float:
        """`confidence` of one message's features, in plain floats."""
        z = self.weights[-1] + sum(w * f for w, f in zip(self.weights[:-1], features, strict=True))
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    @classmethod
    def default(cls) -> Calibration:
        """Used when the data is too small to cross-validate: the top probability alone."""
        return cls(1.0, (6.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -3.0), 0.35, 0.6)


def fit_calibration(
    features: NDArray[np.float64],
    correct: NDArray[np.bool_],
    in_scope: NDArray[np.bool_],
    temperature: float,
    retention: float = RETENTION,
) -> Calibration:
    """Learn the confidence model and thresholds from held-out predictions."""
    target = correct & in_scope
    if target.all() or not target.any() or len(target) < 20:
        logger.info("too little held-out data to calibrate (%d); using defaults", len(target))
        base = Calibration.default()
        return Calibration(temperature, base.weights, base.unknown_below, base.answer_at)
    weight = np.ones(len(target))
    outside = ~in_scope
    if outside.any():
        weight[outside] = OOS_SHARE / (1 - OOS_SHARE) * in_scope.sum() / outside.sum()
    mean, std = features.mean(axis=0), features.std(axis=0) + 1e-9
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit((features - mean) / std, target, sample_weight=weight)
    coef = model.coef_[0] / std
    intercept = float(model.intercept_[0] - (model.coef_[0] * mean / std).sum())
    calibration = Calibration(temperature, (*map(float, coef), intercept), 0.0, 0.0)
    confidence = calibration.confidence(features)
    unknown_below = float(np.quantile(confidence[target], 1 - retention))
    answer_at = _precision_threshold(confidence[in_scope], correct[in_scope], unknown_below)
    logger.info(
        "calibrated: temperature %.3f, unknown below %.3f, answer at %.3f",
        temperature,
        unknown_below,
        answer_at,
    )
    return Calibration(temperature, calibration.weights, unknown_below, answer_at)


def in_scope_threshold(domain: NDArray[np.float64], kept: NDArray[np.bool_]) -> float:
    """The in-scope score below which a message is declined: the one that keeps RETENTION
    of the held-out in-scope messages answered right (`kept`), as `unknown_below` does for
    the confidence. Held-out out-of-scope examples mostly score far below it."""
    if not kept.any():
        return float("-inf")
    return float(np.quantile(domain[kept], 1 - RETENTION))


def _precision_threshold(
    confidence: NDArray[np.float64], correct: NDArray[np.bool_], floor: float
) -> float:
    """The confidence above which every stretch of held-out answers is right often enough,
    and at most ANSWER_PRECISION itself, the confidence being a calibrated probability.

    Answers sorted by confidence are read in windows (a twentieth of them, at
    least 10) from the top down; the first window right less than
    ANSWER_PRECISION of the time sets the threshold at its top confidence. (A
    small knowledge base's held-out answers, each from a model trained on two
    thirds of its few examples, can miss the precision in every window.)
    """
    order = np.argsort(-confidence)
    ranked, hits = confidence[order], correct[order].astype(np.float64)
    width = max(10, len(hits) // 20)
    if len(hits) < width:
        return max(floor, 0.5)
    local = np.convolve(hits, np.ones(width) / width, mode="valid")
    below = np.nonzero(local < ANSWER_PRECISION)[0]
    if len(below) == 0:
        return floor
    return max(floor, min(ANSWER_PRECISION, float(ranked[below[0]])))
