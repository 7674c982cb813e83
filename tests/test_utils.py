"""The progress display as a person sees it: on a terminal (a pseudo-terminal, its output
replayed on a small screen model), lines printed during a loop never share a screen line
with a bar and each bar ends once; in a log, plain progress lines appear as the loop runs.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import subprocess
import sys

import pytest

from symgraph.utils import progress, write

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TUTORIALS = os.path.join(ROOT, "tutorials")
HAVE_TQDM = importlib.util.find_spec("tqdm") is not None

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tutorials"))
from test_tutorial_output import LENET_LINES, LOGISTIC_LINES, assert_lines, pattern  # noqa: E402

BAR = r"epoch 1 \[[#.]+\] {n}/{n} [\d.:]+s?, [\d.]+ (it/s|s/it)"  # the built-in bar, ended
TQDM_BAR = r"epoch 1: 100%\|.+\| {n}/{n} \[.+\]"


def screen(raw: str) -> list[str]:
    """The lines a terminal shows after receiving ``raw``: carriage returns, newlines,
    cursor-up and erase-line sequences are applied, other escape sequences ignored."""
    rows: list[list[str]] = [[]]
    row = col = 0
    for token in re.findall(r"\x1b\[[?\d;]*[A-Za-z]|[\r\n]|[^\x1b\r\n]", raw):
        if token == "\r":
            col = 0
        elif token == "\n":  # a terminal's output processing turns "\n" into "\r\n"
            row, col = row + 1, 0
            rows.extend([] for _ in range(row + 1 - len(rows)))
        elif token.startswith("\x1b"):
            n = int(re.sub(r"\D", "", token) or 1)
            if token.endswith("A"):
                row = max(0, row - n)
            elif token.endswith("K"):
                rows[row] = [] if token == "\x1b[2K" else rows[row][:col]
        else:
            line = rows[row]
            line.extend(" " * (col + 1 - len(line)))
            line[col] = token
            col += 1
    lines = ["".join(r).rstrip() for r in rows]
    while lines and not lines[-1]:
        lines.pop()
    return lines


class Terminal(io.StringIO):
    """A stream that says it is a terminal, standing for stdout and stderr both."""

    def isatty(self) -> bool:
        return True


def test_screen_model():
    assert screen("abc\rX\n") == ["Xbc"]
    assert screen("bar 1/3\r       \rline\nbar 2/3\x1b[K\n") == ["line", "bar 2/3"]
    assert screen("one\ntwo\x1b[A\rONE\x1b[K\n") == ["ONE", "two"]


def test_lines_printed_during_a_bar_clear_it_and_the_bar_ends_once():
    term = Terminal()
    with progress(total=5, desc="epoch 1", file=term, use_tqdm=False) as bar:
        for step in range(5):
            write(f"line {step}", file=term)
            bar.update()
    lines = screen(term.getvalue())
    assert lines[:5] == [f"line {step}" for step in range(5)]
    assert len(lines) == 6 and re.fullmatch(BAR.format(n=5), lines[5]), lines
    assert term.getvalue().endswith("\n")


def test_bar_left_early_or_by_an_exception_ends_once_with_its_count():
    term = Terminal()
    for step in progress(range(10), desc="epoch 1", file=term, use_tqdm=False):
        if step == 3:
            break
    with pytest.raises(KeyError), progress(total=4, desc="epoch 2", file=term) as bar:
        bar.update()
        raise KeyError
    lines = screen(term.getvalue())
    assert len(lines) == 2, lines
    assert lines[0].startswith("epoch 1 [") and " 3/10 " in lines[0]
    assert "left" not in lines[0]  # an ended bar estimates no time left
    assert lines[1].startswith("epoch 2") and " 1/4 " in lines[1]


def test_bar_fits_the_terminal_width():
    term = Terminal()
    desc = "a long description of the loop " * 2
    with progress(total=3, desc=desc, file=term, use_tqdm=False) as bar:
        bar.update(3)
    # a StringIO has no terminal size: 80 columns are assumed, and the bar takes 79 at most
    assert all(len(line) < 80 for line in screen(term.getvalue()))


@pytest.mark.skipif(not HAVE_TQDM, reason="tqdm is not installed")
def test_tqdm_bar_is_cleared_by_printed_lines():
    term = Terminal()
    with progress(total=4, desc="epoch 1", file=term, use_tqdm=True) as bar:
        assert bar.mode == "tqdm"
        for step in range(4):
            write(f"line {step}", file=term)
            bar.update()
    lines = screen(term.getvalue())
    assert lines[:4] == [f"line {step}" for step in range(4)]
    assert len(lines) == 5 and re.fullmatch(TQDM_BAR.format(n=4), lines[4]), lines


def test_log_gets_a_line_per_tenth_when_the_interval_allows():
    log = io.StringIO()
    with progress(total=20, desc="epoch 1", file=log, interval=0) as bar:
        for _ in range(20):
            bar.update()
    lines = log.getvalue().splitlines()
    counts = [int(re.match(r"epoch 1: (\d+)/20 steps, ", line)[1]) for line in lines[:-1]]
    assert counts == [2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert re.fullmatch(r"epoch 1: 20/20 steps in [\d.]+s, [\d.]+ (it/s|s/it)", lines[-1])


def test_log_lines_wait_for_the_interval():
    log = io.StringIO()
    with progress(total=20, desc="epoch 1", file=log, interval=3600) as bar:
        bar.update(20)
    assert len(log.getvalue().splitlines()) == 1  # only the closing line


def test_disabled_display_writes_nothing():
    term = Terminal()
    with progress(total=3, file=term, disable=True) as bar:
        bar.update(3)
    assert term.getvalue() == ""


# The tutorials, run as a person runs them


def tutorial_command(script: str, *args: str, block_tqdm: bool = False) -> list[str]:
    path = os.path.join(TUTORIALS, script)
    if not block_tqdm:
        return [sys.executable, path, *args]
    code = (
        "import runpy, sys; sys.modules['tqdm'] = None; "
        f"sys.argv = {[path, *args]!r}; runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    return [sys.executable, "-c", code]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    return env


def run_on_terminal(command: list[str], columns: int = 100, timeout: float = 600) -> str:
    """Run ``command`` with stdout and stderr on one pseudo-terminal; what it wrote."""
    pty = pytest.importorskip("pty")
    import fcntl
    import select
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    process = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=environment(), cwd=ROOT
    )
    os.close(slave)
    chunks = []
    try:
        while select.select([master], [], [], timeout)[0]:
            try:
                data = os.read(master, 65536)
            except OSError:  # the other end closed: the process has exited
                break
            if not data:
                break
            chunks.append(data)
        else:
            process.kill()
            pytest.fail(f"no output for {timeout}s from {command}")
    finally:
        os.close(master)
        assert process.wait(timeout=60) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode()


# stdout's lines and stderr's, as they reach the screen; None stands for the ended bar
LENET_SCREEN = [
    *LENET_LINES[:4],
    None,
    *LENET_LINES[4:],
    re.compile(r"The code for file convolutional_mlp\.py ran for \d+\.\d\dm"),
]


@pytest.mark.parametrize(
    "bar",
    [
        "built-in",
        pytest.param(
            "tqdm", marks=pytest.mark.skipif(not HAVE_TQDM, reason="tqdm is not installed")
        ),
    ],
)
def test_lenet_on_a_terminal(bar):
    # Two steps of 500 images: the first prints "training @ iter" while the epoch's bar is
    # on the screen; the bar ends after the second, before the validation and test lines.
    command = tutorial_command(
        "convolutional_mlp.py",
        *("--n-train", "1000", "--epochs", "1", "--float32"),
        block_tqdm=bar == "built-in",
    )
    raw = run_on_terminal(command)
    lines = screen(raw)
    assert len(lines) == len(LENET_SCREEN), lines
    ended_bar = BAR if bar == "built-in" else TQDM_BAR
    for line, expected in zip(lines, LENET_SCREEN):
        if expected is None:
            expected = re.compile(ended_bar.format(n=2))
        elif isinstance(expected, str):
            expected = pattern(expected)
        assert expected.fullmatch(line), (line, expected)
    # the bar was on the screen (at 0/2) before the first line of the loop was printed
    assert raw.index(" 0/2 ") < raw.index("training @ iter")


def test_log_of_a_tutorial_shows_progress_lines(tmp_path):
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    command = tutorial_command(
        "logistic_sgd.py",
        *("--n-train", "6000", "--epochs", "1", "--float32", "--progress-interval", "0"),
    )
    with open(out, "w") as stdout, open(err, "w") as stderr:
        subprocess.run(command, stdout=stdout, stderr=stderr, env=environment(), check=True)
    assert_lines(out.read_text(), LOGISTIC_LINES)
    log = err.read_text()
    assert "\r" not in log
    *periodic, closing, timing = log.splitlines()
    # --progress-interval 0 leaves the tenth-of-an-epoch rule: a line after each of 10 steps
    assert [re.match(r"epoch 1: (\d+)/10 steps, ", line)[1] for line in periodic] == [
        str(k) for k in range(1, 10)
    ]
    assert re.fullmatch(r"epoch 1: 10/10 steps in [\d.]+s, [\d.]+ (it/s|s/it)", closing)
    assert timing.startswith("The code for file logistic_sgd.py ran for ")
