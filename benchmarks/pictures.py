"""How long drawing takes: the LeNet training graph as SVG, and its pass explorer page.

    python benchmarks/pictures.py [--screenshot benchmarks/results/passes_page.png]

Target: drawing the LeNet training graph (``symgraph.to_svg``, layout included) takes
under 1 s. With ``--screenshot``, headless Chromium (when installed) photographs the top
of the page, so a reader sees what it looks like without running anything.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from compile import lenet_compile  # noqa: E402

import symgraph  # noqa: E402
from symgraph.printing import functions_to_html  # noqa: E402
from symgraph.printing.picture import layout_graph, layout_svg  # noqa: E402


def seconds(work, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def screenshot(page: str, target: str) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no chromium on the PATH: no screenshot")
        return
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                "--window-size=1400,2000",
                "--virtual-time-budget=5000",  # let the page lay out before the photograph
                f"--screenshot={os.path.abspath(target)}",
                f"file://{os.path.abspath(page)}",
            ],
            check=True,
            capture_output=True,
        )
    print(f"screenshot of the top of the page: {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshot", metavar="PNG", help="photograph the page there")
    args = parser.parse_args()
    symgraph.config.floatX = "float32"
    _, step = lenet_compile(trace=True)
    built = step.trace[0].graph_before
    print(
        f"LeNet training step: {len(built.nodes)} nodes built, "
        f"{len(step.fgraph.toposort())} after the passes"
    )
    compiled = seconds(lambda: symgraph.to_svg(step))
    unoptimized = seconds(lambda: layout_svg(layout_graph(built)))
    print(
        f"  to_svg of the compiled graph:    {compiled * 1e3:7.1f} ms (median of 5; target < 1 s)"
    )
    print(f"  drawing the graph as built:      {unoptimized * 1e3:7.1f} ms")
    for label, snapshot in (("compiled", step.trace[-1].graph_after), ("as built", built)):
        ordered, unordered = layout_graph(snapshot), layout_graph(snapshot, sweeps=0)
        print(
            f"  edge crossings, graph {label}: {ordered.crossings} after the barycenter "
            f"sweeps, {unordered.crossings} in first-seen order; picture "
            f"{ordered.width:.0f} x {ordered.height:.0f} px"
        )
    with tempfile.TemporaryDirectory() as folder:
        page = os.path.join(folder, "passes.html")
        writing = seconds(lambda: functions_to_html([step], page), repeats=3)
        print(
            f"  pass explorer page: {writing * 1e3:7.1f} ms, "
            f"{os.path.getsize(page) / 1e6:.2f} MB, {sum(r.changed for r in step.trace)} "
            "passes changed the graph"
        )
        if args.screenshot:
            screenshot(page, args.screenshot)


if __name__ == "__main__":
    main()
