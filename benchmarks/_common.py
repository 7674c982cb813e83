"""Timing helpers shared by the benchmark scripts: medians of repeated runs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(
    fn: Callable[[], object], repeat: int = 7, number: int | None = None, warmup: int = 2
) -> float:
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


def interleaved_medians(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median wall time of each function, running them round-robin ``repeat`` times."""
    for fn in fns.values():
        fn()  # warm-up: allocations, BLAS thread start
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


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


def run_contender(script: str, name: str) -> dict[str, float]:
    """Run ``script --contender NAME`` in a fresh interpreter; its ``KEY value`` lines."""
    import subprocess
    import sys

    output = subprocess.run(
        [sys.executable, script, "--contender", name],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures = {}
    for row in output.splitlines():
        key, _, value = row.partition(" ")
        if key.isupper() and value:
            figures[key] = float(value)
    return figures


def measure_in_subprocesses(script: str, contenders: list[str], rounds: int = 3) -> dict:
    """Median seconds per contender, each measured in a fresh process, rounds interleaved.

    NumPy's OpenBLAS and PyTorch's OpenMP threads spin after their work; in one process
    each slows the other, so every contender runs alone in its own interpreter. The script
    must print ``RESULT <seconds>`` when called with ``--contender NAME``.
    """
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name in contenders:
            samples[name].append(run_contender(script, name)["RESULT"])
    return {name: statistics.median(values) for name, values in samples.items()}


def rounds_arg(default: int) -> int:
    """``--rounds N`` on the command line: fresh processes per contender."""
    import sys

    return int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else default


def available(contenders) -> list[str]:
    """The contenders that can run here (PyTorch ones only when torch is installed)."""
    return [n for n in contenders if "pytorch" not in n or torch_or_none() is not None]
