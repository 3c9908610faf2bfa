"""The one timer the benchmarks share: the median wall-clock time of repeated calls."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(call: Callable[[], object], runs: int, warmup: int = 0) -> float:
    """Median over ``runs`` calls, after ``warmup`` untimed ones (caches filled, code compiled)."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
