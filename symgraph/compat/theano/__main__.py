"""Run a script written for Theano on symgraph, unmodified.

    python -m symgraph.compat.theano script.py [args...]
    python -m symgraph.compat.theano -m package.module [args...]

``import theano`` (and every ``theano.*`` import) in the script gets the compat modules;
the script runs as ``__main__`` with ``sys.argv`` set as if it had been run directly.
"""

from __future__ import annotations

import os
import runpy
import sys

from symgraph.compat.theano import install

_USAGE = (
    "usage: python -m symgraph.compat.theano script.py [args...]\n"
    "       python -m symgraph.compat.theano -m module [args...]\n"
    "Runs a Theano script with `import theano` resolving to symgraph's compat layer."
)


def main(argv: list[str] | None = None) -> int:
    """Run the script (or ``-m module``) named in ``argv``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    install()
    if argv[0] == "-m":
        if len(argv) < 2:
            print(_USAGE, file=sys.stderr)
            return 2
        sys.argv = [argv[1], *argv[2:]]
        # as `python -m`: the current directory first on the path
        sys.path[0:1] = [os.getcwd()] if sys.path else [os.getcwd()]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    script = argv[0]
    if not os.path.exists(script):
        print(f"python -m symgraph.compat.theano: can't open file {script!r}", file=sys.stderr)
        return 2
    sys.argv = argv
    # as `python script.py`: the script's directory first on the path (its sibling modules)
    sys.path[0:1] = [os.path.dirname(os.path.abspath(script))]
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
