"""Timing helpers shared by the benchmark scripts: medians of repeated runs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], repeat: int = 7, number: int | None = None,
                   warmup: int = 2) -> float:
    """Median over ``repeat`` runs of the mean time of ``number`` calls of ``fn``.

    ``number`` defaults to enough calls for a run to take about 50 ms.
    """
    for _ in range(warmup):
        fn()
    if number is None:
        start = time.perf_counter()
        fn()
        once = max(time.perf_counter() - start, 1e-7)
        number = max(1, int(0.05 / once))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def torch_or_none():
    """PyTorch if installed (``pip install -e '.[bench]'``), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def fmt_us(seconds: float) -> str:
    return f"{seconds * 1e6:8.2f} us"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.2f} ms"
