"""Group the questions the assistant could not answer, so admins write the missing entries.

Greedy clustering per language with rapidfuzz: the most frequent question opens a
cluster, and each other question joins the first cluster whose opening question
it resembles (token-set ratio >= `threshold`). Deterministic; a cluster's id is a
hash of its language and opening question, so it is stable between requests over
the same time range.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.core.analytics import Question
from bot.understanding.matching import normalise

THRESHOLD = 70.0
MAX_EXAMPLES = 8


@dataclass(frozen=True)
class Cluster:
    id: str
    language: str
    label: str  # the most frequent wording
    count: int  # messages in the cluster
    examples: tuple[str, ...]  # distinct wordings, most frequent first
    guesses: tuple[str, ...]  # entries the matcher thought of, most frequent first
    last_seen: float

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "language": self.language,
            "label": self.label,
            "count": self.count,
            "examples": list(self.examples),
            "guesses": list(self.guesses),
            "last_seen": self.last_seen,
        }


def cluster_id(language: str, label: str) -> str:
    digest = hashlib.sha1(f"{language}\n{normalise(label)}".encode()).hexdigest()
    return f"{language}-{digest[:10]}"


def cluster_questions(
    questions: Iterable[Question], threshold: float = THRESHOLD, limit: int | None = None
) -> list[Cluster]:
    """Clusters, largest first (ties: most recent first, then label)."""
    by_language: dict[str, list[Question]] = {}
    for question in questions:
        if normalise(question.text):
            by_language.setdefault(question.language, []).append(question)
    clusters: list[Cluster] = []
    for language, items in sorted(by_language.items()):
        clusters.extend(_cluster_language(language, items, threshold))
    clusters.sort(key=lambda c: (-c.count, -c.last_seen, c.label))
    return clusters[:limit] if limit is not None else clusters


def _cluster_language(language: str, items: list[Question], threshold: float) -> list[Cluster]:
    wordings: dict[str, list[Question]] = {}
    for question in items:
        wordings.setdefault(normalise(question.text), []).append(question)
    # most frequent wording first; ties broken by text, so the result does not depend on order
    order = sorted(wordings, key=lambda key: (-len(wordings[key]), key))
    groups: list[tuple[str, list[str]]] = []
    for key in order:
        for head, members in groups:
            if fuzz.token_set_ratio(key, head) >= threshold:
                members.append(key)
                break
        else:
            groups.append((key, [key]))
    clusters = []
    for _head, members in groups:
        asked = [q for key in members for q in wordings[key]]
        shown = [Counter(q.text for q in wordings[key]).most_common(1)[0][0] for key in members]
        guesses = Counter(q.guess for q in asked if q.guess)
        label = shown[0]
        clusters.append(
            Cluster(
                id=cluster_id(language, label),
                language=language,
                label=label,
                count=len(asked),
                examples=tuple(shown[:MAX_EXAMPLES]),
                guesses=tuple(g for g, _ in guesses.most_common(3)),
                last_seen=max(q.timestamp for q in asked),
            )
        )
    return clusters
