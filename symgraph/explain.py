"""Explain what the compiler did to a script's functions: one HTML page of their passes.

    python -m symgraph.explain script.py [script arguments...]
    python -m symgraph.explain -o lenet.html tutorials/convolutional_mlp.py --max-steps 1

runs the script as ``python script.py`` would, compiling every ``symgraph.function``
with ``trace=True``, then writes the pass explorer page of all of them (by default
``passes.html``): for each function and pass, the graph before and after side by side,
what the pass added, removed and rewrote, the rules it fired and its time, and at the
end the generated source linked to the compiled graph. The page is one self-contained
file, readable offline.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys

from symgraph.compile.function import collect_functions
from symgraph.printing.explorer import functions_to_html

__all__ = ["explain_script", "main"]


def explain_script(script: str, arguments=(), output: str = "passes.html") -> list:
    """Run ``script`` with ``arguments`` as its command line, collecting the functions it
    compiles (with their pass traces), and write their page to ``output``. Returns the
    functions. The script's own ``SystemExit`` ends the run but the page is still written
    (an error exit is raised again after)."""
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [script, *arguments]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    exit_code = None
    try:
        with collect_functions(trace=True) as compiled:
            try:
                runpy.run_path(script, run_name="__main__")
            except SystemExit as stop:
                exit_code = stop.code
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    functions_to_html(list(compiled), output, title=f"symgraph passes of {script}")
    if exit_code not in (None, 0):
        raise SystemExit(exit_code)
    return list(compiled)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m symgraph.explain",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument(
        "-o",
        "--output",
        default="passes.html",
        metavar="PAGE",
        help="where to write the page",
    )
    parser.add_argument("script", help="the Python script to run")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="the script's own command line")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = make_parser().parse_args(argv)
    if not os.path.isfile(args.script):
        raise SystemExit(f"python -m symgraph.explain: no script {args.script!r}")
    functions = explain_script(args.script, args.arguments, args.output)
    names = ", ".join(f.name or "unnamed" for f in functions) or "none"
    print(f"wrote {args.output}: {len(functions)} compiled functions ({names})")


if __name__ == "__main__":
    main()
