"""The timers the benchmarks share: repeated wall-clock samples, their median and p95."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def sample_seconds(
    call: Callable[[], object], runs: int, warmup: int = 0, budget: float | None = None
) -> list[float]:
    """Times of ``runs`` calls after ``warmup`` untimed ones (caches filled, code compiled).

    With a ``budget`` (seconds), stops early once the timed calls have used it up, after at
    least one: a slow peer then gives fewer samples instead of an unbounded run.
    """
    for _ in range(warmup):
        call()
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
        if budget is not None and sum(times) >= budget:
            break
    return times


def median_seconds(call: Callable[[], object], runs: int, warmup: int = 0) -> float:
    """Median over ``runs`` calls, after ``warmup`` untimed ones."""
    return statistics.median(sample_seconds(call, runs, warmup))


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (statistics.quantiles, inclusive: between the smallest and the
    largest value); NaN when there is none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[max(0, int(p) - 1)]
