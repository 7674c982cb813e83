"""Small helpers for scripts: a progress display and a command-line parser that shows
defaults.

The progress display (``progress``) writes to stderr in one of three ways:

- on a terminal with tqdm installed (``pip install "symgraph[tutorials]"``), a tqdm bar;
- on a terminal without tqdm, a one-line bar of its own, redrawn at most ten times a second;
- anywhere else (a log file, a pipe, CI), a plain line now and then: one as soon as both
  ``interval`` seconds (30 by default) have passed since the last line and a tenth of the
  loop has been done since, plus one line when the loop ends. So a log shows life every
  30 s or every tenth of a loop, whichever is longer: never more than two lines a minute
  however fast the steps, never more than ten a loop however long it runs.

Lines printed while a bar is on the screen must go through ``write``: it clears the bars,
prints the line on stdout and draws the bars again, so a line never shares the screen line
of a bar. A bar ends once, with a newline, when its loop ends or its ``with`` block exits.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
import time
from collections.abc import Iterable, Iterator
from typing import IO, Any

#: Displays currently drawn on a terminal, which ``write`` clears and redraws.
_on_screen: list[Progress] = []

#: The terminal bar is redrawn at most this often (seconds).
REDRAW_INTERVAL = 0.1


def _duration(seconds: float) -> str:
    """``6.1s``, ``4:05`` or ``1:02:03``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _rate(count: int, elapsed: float) -> str:
    """Steps per second, or seconds per step when steps are slower than one a second."""
    if count == 0 or elapsed <= 0:
        return "? it/s"
    per_second = count / elapsed
    return f"{per_second:.2f} it/s" if per_second >= 1 else f"{elapsed / count:.2f} s/it"


def _is_terminal(file: IO[str]) -> bool:
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _terminal_size(file: IO[str]) -> tuple[int, int] | None:
    """(columns, lines) of the terminal ``file`` writes to; None when unknown or zero (a
    pseudo-terminal nobody gave a size)."""
    try:
        size = os.get_terminal_size(file.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    return (size.columns, size.lines) if size.columns > 0 and size.lines > 0 else None


def _columns(file: IO[str]) -> int:
    size = _terminal_size(file)
    return size[0] if size else 80


class Progress:
    """A progress display on ``file`` (stderr) for a loop over ``iterable`` or of ``total``
    steps; see the module docstring for what it shows where.

    Count steps with ``update()`` (or iterate over the ``Progress`` when it wraps an
    iterable), and end it with ``close()`` or by leaving a ``with`` block; it ends once, even
    when the loop is left early or by an exception. ``interval`` is the least number of
    seconds between two plain progress lines when ``file`` is not a terminal; ``use_tqdm``
    None uses tqdm on a terminal when it is installed, False never does; ``disable`` shows
    nothing.
    """

    def __init__(
        self,
        iterable: Iterable[Any] | None = None,
        total: int | None = None,
        desc: str = "",
        file: IO[str] | None = None,
        interval: float = 30.0,
        disable: bool = False,
        use_tqdm: bool | None = None,
    ) -> None:
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total = total
        self.desc = desc
        self.file = file if file is not None else sys.stderr
        self.interval = interval
        self.count = 0
        self.closed = disable
        self.start = self._last_draw = self._last_line = time.perf_counter()
        self.elapsed = 0.0  # seconds from the start to the last step counted
        self._last_line_count = 0
        self._drawn_width = 0
        self._tqdm = None
        if disable:
            self.mode = "off"
        elif not _is_terminal(self.file):
            self.mode = "lines"
        else:
            self.mode = "bar"
            # tqdm draws nothing on a terminal of no known size; the built-in bar assumes 80
            if use_tqdm or (use_tqdm is None and _terminal_size(self.file)):
                try:
                    from tqdm import tqdm
                except ImportError:
                    if use_tqdm:
                        raise
                else:
                    self.mode = "tqdm"
                    self._tqdm = tqdm(
                        total=total, desc=desc, file=self.file, dynamic_ncols=True, leave=True
                    )
            _on_screen.append(self)
            self._redraw()

    # counting

    def update(self, n: int = 1) -> None:
        """Count ``n`` more steps done."""
        if self.closed:
            return
        self.count += n
        now = time.perf_counter()
        self.elapsed = now - self.start
        if self.mode == "tqdm":
            self._tqdm.update(n)
        elif self.mode == "bar":
            if now - self._last_draw >= REDRAW_INTERVAL:
                self._redraw()
        elif self._line_due(now):
            self._print_line(now)

    def __iter__(self) -> Iterator[Any]:
        """Yield the wrapped iterable's items, counting each one once its loop body ends."""
        try:
            for item in self.iterable:
                yield item
                self.update()
        finally:
            self.close()

    def close(self) -> None:
        """End the display: the final bar (or line) is written once, with a newline."""
        if self.closed:
            return
        self.closed = True
        if self.mode == "tqdm":
            self._tqdm.close()
        elif self.mode == "bar":
            self._clear()
            self.file.write(self._bar_text() + "\n")
            self.file.flush()
        else:
            self.file.write(self._summary() + "\n")
            self.file.flush()
        if self in _on_screen:
            _on_screen.remove(self)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # drawing

    def _stats(self) -> str:
        # Times are those of the last step counted, so that work done between steps or
        # after the last one (validation) does not show as slower steps.
        text = _duration(self.elapsed)
        if self.total and 0 < self.count < self.total and not self.closed:
            left = self.elapsed / self.count * (self.total - self.count)
            text += f", ~{_duration(left)} left"
        return f"{text}, {_rate(self.count, self.elapsed)}"

    def _bar_text(self) -> str:
        head = f"{self.desc} " if self.desc else ""
        tail = f" {self.count}/{self.total} {self._stats()}" if self.total else ""
        columns = _columns(self.file) - 1  # the last column would wrap on some terminals
        if self.total:
            width = max(10, min(30, columns - len(head) - len(tail) - 2))
            filled = min(width, width * self.count // self.total)
            text = f"{head}[{'#' * filled}{'.' * (width - filled)}]{tail}"
        else:
            text = f"{head}{self.count} {self._stats()}"
        return text[:columns]

    def _clear(self) -> None:
        """Blank the bar's screen line and leave the cursor at its start."""
        if self.mode == "tqdm":
            self._tqdm.clear()
        elif self.mode == "bar" and self._drawn_width:
            self.file.write("\r" + " " * self._drawn_width + "\r")
            self._drawn_width = 0
        self.file.flush()

    def _redraw(self) -> None:
        if self.mode == "tqdm":
            self._tqdm.refresh()
        elif self.mode == "bar":
            text = self._bar_text()
            self.file.write("\r" + text + " " * max(0, self._drawn_width - len(text)))
            self.file.flush()
            self._drawn_width = len(text)
            self._last_draw = time.perf_counter()

    def _line_due(self, now: float) -> bool:
        if now - self._last_line < self.interval:
            return False
        if not self.total:
            return True
        # the last step's line is the one ``close`` writes
        return 10 * (self.count - self._last_line_count) >= self.total > self.count

    def _steps_done(self) -> str:
        head = f"{self.desc}: " if self.desc else ""
        of = f"/{self.total}" if self.total else ""
        return f"{head}{self.count}{of} steps"

    def _print_line(self, now: float) -> None:
        self.file.write(f"{self._steps_done()}, {self._stats()}\n")
        self.file.flush()
        self._last_line, self._last_line_count = now, self.count

    def _summary(self) -> str:
        rate = _rate(self.count, self.elapsed)
        return f"{self._steps_done()} in {_duration(self.elapsed)}, {rate}"


progress = Progress  # the lower-case spelling scripts call, like tqdm's


def write(text: str = "", file: IO[str] | None = None) -> None:
    """Print ``text`` and a newline on ``file`` (stdout) without colliding with the progress
    bars on the screen: they are cleared first and drawn again after the line."""
    file = file if file is not None else sys.stdout
    for display in _on_screen:
        display._clear()
    print(text, file=file, flush=True)
    for display in _on_screen:
        display._redraw()


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default; wraps the description and epilog paragraph by
    paragraph, keeping indented lines (example commands) as they are. An option whose
    default is None says in its help what happens without it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None:
            return action.help
        return super()._get_help_string(action)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        blocks = []
        for block in re.split(r"\n\s*\n", text.strip("\n")):
            if block.startswith(" "):
                blocks.append(textwrap.indent(block, indent))
            else:
                prose = " ".join(block.split())
                blocks.append(
                    textwrap.fill(prose, width, initial_indent=indent, subsequent_indent=indent)
                )
        return "\n\n".join(blocks)


def script_parser(doc: str) -> argparse.ArgumentParser:
    """An argument parser for a script documented by ``doc``: its first paragraph is the
    description, the rest the epilog, and ``--help`` shows every option's default."""
    first, _, rest = doc.strip("\n").rstrip().partition("\n\n")
    return argparse.ArgumentParser(
        description=first, epilog=rest or None, formatter_class=HelpFormatter
    )
