"""The timers the benchmarks share: repeated wall-clock samples, their median and p95."""

from __future__ import annotations

import math
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


def percentile(times: list[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (the p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]
