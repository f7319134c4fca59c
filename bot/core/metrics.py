"""Prometheus metrics without a dependency: counters, gauges and histograms rendered as text.

One `Metrics` value per process, created by the composition root and passed to
whoever records. Label values come from small fixed sets (channel, outcome,
reason), never from customer input.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
Labels = tuple[tuple[str, str], ...]


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    escaped = (
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels
    )
    return "{" + ",".join(escaped) + "}"


class Counter:
    def __init__(self, name: str, help: str) -> None:
        self.name, self.help = name, help
        self._values: dict[Labels, float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(tuple(sorted(labels.items())), 0.0)

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        for labels, value in sorted(self._values.items()):
            yield f"{self.name}{_labels(labels)} {value:g}"


class Gauge:
    """A value read when scraped (from a callable), or set directly."""

    def __init__(self, name: str, help: str, read: Callable[[], float] | None = None) -> None:
        self.name, self.help, self.read = name, help, read
        self._value = 0.0

    def set(self, value: float) -> None:
        self._value = value

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} gauge"
        yield f"{self.name} {(self.read() if self.read else self._value):g}"


class Histogram:
    def __init__(self, name: str, help: str, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.name, self.help, self.buckets = name, help, buckets
        self._series: dict[Labels, list[float]] = {}  # per bucket counts + [sum, count]
        self._lock = threading.Lock()

    def observe(self, value: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._series.setdefault(key, [0.0] * (len(self.buckets) + 2))
            series[bisect.bisect_left(self.buckets, value)] += 1
            series[-2] += value
            series[-1] += 1

    def count(self, **labels: str) -> float:
        series = self._series.get(tuple(sorted(labels.items())))
        return series[-1] if series else 0.0

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        for labels, series in sorted(self._series.items()):
            running = 0.0
            for bound, count in zip(self.buckets, series, strict=False):
                running += count
                yield f"{self.name}_bucket{_labels((*labels, ('le', f'{bound:g}')))} {running:g}"
            yield f"{self.name}_bucket{_labels((*labels, ('le', '+Inf')))} {series[-1]:g}"
            yield f"{self.name}_sum{_labels(labels)} {series[-2]:g}"
            yield f"{self.name}_count{_labels(labels)} {series[-1]:g}"


class Metrics:
    def __init__(self) -> None:
        self.messages = Counter("balcao_messages_total", "Customer messages handled, by channel.")
        self.matches = Counter(
            "balcao_matches_total", "Understanding outcomes: answer, choose, unknown, or other."
        )
        self.handoffs = Counter("balcao_handoffs_total", "Requests for a person, by reason.")
        self.latency = Histogram(
            "balcao_reply_seconds",
            "Time from a customer's message to the stored reply, by channel.",
        )
        self.errors = Counter("balcao_errors_total", "Failures answered politely, by kind.")
        self.rejected = Counter("balcao_rejected_total", "Requests refused by limits, by limit.")
        self.websockets = Gauge("balcao_websockets", "Open widget and console WebSockets.")
        self.queue = Gauge("balcao_queue_waiting", "Conversations waiting for a person.")
        self.loop_lag = Gauge(
            "balcao_event_loop_lag_seconds", "How late the event loop ran its last timer."
        )

    def render(self) -> str:
        parts: list[str] = []
        for metric in (
            self.messages, self.matches, self.handoffs, self.latency, self.errors,
            self.rejected, self.websockets, self.queue, self.loop_lag,
        ):  # fmt: skip
            parts.extend(metric.render())
        return "\n".join(parts) + "\n"
