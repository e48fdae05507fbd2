"""Shared timing helper for the benchmark scripts (run as ``python benchmarks/bench_*.py``)."""
from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np


def best_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls of ``fn`` (the least disturbed by other load) and its last result."""
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out
