"""Small helpers for scripts: a dependency-free progress bar."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(
    iterable: Iterable[T],
    total: int | None = None,
    desc: str = "",
    file=None,
    min_interval: float = 0.2,
) -> Iterator[T]:
    """Yield from ``iterable`` while drawing a one-line progress bar on ``file`` (stderr).

    The bar is redrawn at most every ``min_interval`` seconds; when the stream is not a
    terminal (CI logs), only the final line is written.
    """
    file = file or sys.stderr
    if total is None:
        total = len(iterable) if hasattr(iterable, "__len__") else None
    interactive = getattr(file, "isatty", lambda: False)()
    start = last = time.perf_counter()
    count = 0

    def draw(final: bool = False) -> None:
        elapsed = time.perf_counter() - start
        rate = count / elapsed if elapsed > 0 else 0.0
        if total:
            filled = int(30 * count / total)
            bar = "#" * filled + "." * (30 - filled)
            text = f"\r{desc} [{bar}] {count}/{total} {elapsed:6.1f}s {rate:7.1f} it/s"
        else:
            text = f"\r{desc} {count} {elapsed:6.1f}s {rate:7.1f} it/s"
        if interactive or final:
            file.write(text + ("\n" if final else ""))
            file.flush()

    for item in iterable:
        yield item
        count += 1
        now = time.perf_counter()
        if now - last >= min_interval:
            draw()
            last = now
    draw(final=True)
