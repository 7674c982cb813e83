"""What each compiler pass does to LeNet's training step, pass by pass, and a page to see
it: builds the convolutional_mlp tutorial's training function with trace=True (on a
stand-in dataset: no download, no training), prints a line per pass (its time, the rules
it fired, the nodes it added, removed and rewrote) and writes the pass explorer page, one
offline HTML file with the graph before and after each pass side by side and the
generated source at the end.

    python tutorials/passes.py                      # writes passes.html

    python tutorials/passes.py --output /tmp/lenet_passes.html --float32

Any script's functions can be explained the same way without editing it:
``python -m symgraph.explain script.py``.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import symgraph
from symgraph.printing import functions_to_html
from symgraph.rewrite import list_passes
from symgraph.rewrite.pipeline import pass_named

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convolutional_mlp  # noqa: E402
from logistic_sgd import positive_int, shared_dataset  # noqa: E402

# What to look for in each pass of this graph (the pipeline's own one-line docs say what
# the pass is for; these say what it finds in LeNet).
WHAT_TO_LOOK_FOR = {
    "merge": "equal constants built in many places become one (the text looks the same)",
    "constant_fold": "shape vectors made of known sizes become constants",
    "scan_trivial": "LeNet has no loops; see tutorials/rnn.py for a graph with one",
    "scan_hoist": "LeNet has no loops: nothing to hoist out of one",
    "canonicalize": "dimshuffles of dimshuffles collapse, x*1 and fills disappear",
    "scan_prune": "LeNet has no loops: no loop outputs to drop",
    "scan_merge": "LeNet has no loops: none to merge",
    "scan_equal_outputs": "LeNet has no loops: no loop computing a state twice",
    "scan_keep_last": "LeNet has no loops: no loop buffers to shrink",
    "stabilize": "log(softmax(x)) becomes log_softmax, and its gradient one node",
    "specialize": "sqr for x**2 and the like; LeNet has none to specialize",
    "fusion": "chains of element-wise ops (tanh, bias adds, SGD updates) become one kernel",
    "inplace": "kernels write into temporaries nobody reads again",
}


def build_training_function(batch_size: int):
    """LeNet's training step compiled with its pass trace, on zeros (two batches)."""
    floatX = symgraph.config.floatX
    data = (np.zeros((2 * batch_size, 784), dtype=floatX), np.zeros(2 * batch_size, "int32"))
    train_x, train_y = shared_dataset(data)
    with symgraph.collect_functions(trace=True) as compiled:
        convolutional_mlp.build(train_x, train_y, batch_size=batch_size)
    return compiled[-1]


def walk(function) -> list[str]:
    """One paragraph per pass: what it is for, what it did to this graph."""
    lines = []
    for record in function.trace:
        changes = record.changes()
        fired = ", ".join(f"{n} x{c}" for n, c in sorted(record.rewrites.items())) or "nothing"
        lines.append(
            f"{record.name:14s} {record.seconds * 1e3:7.2f} ms  "
            f"{len(record.graph_before.nodes):4d} -> {len(record.graph_after.nodes):4d} nodes  "
            f"+{len(changes.added)} -{len(changes.removed)} ~{len(changes.rewritten)}"
        )
        lines.append(f"    {pass_named(record.name).doc}; here: {WHAT_TO_LOOK_FOR[record.name]}")
        lines.append(f"    fired: {fired}")
    return lines


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--output", default="passes.html", metavar="PAGE", help="where to write the page"
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=500,
        metavar="N",
        help="the minibatch size the graph is built for",
    )
    parser.add_argument(
        "--float32", action="store_true", help="compute in float32 instead of float64"
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = make_parser().parse_args(argv)
    if args.float32:
        symgraph.config.floatX = "float32"
    function = build_training_function(args.batch_size)
    assert [record.name for record in function.trace] == list_passes()
    print(f"LeNet training step: {len(function.trace[0].graph_before.nodes)} nodes built")
    print("\n".join(walk(function)))
    # function.trace.to_html(path) writes the same page; given the function, the page can
    # also say which outputs are the values of updates ("update of W").
    functions_to_html([function], args.output, title="LeNet training step: passes")
    print(f"wrote {args.output}: open it in a browser (it needs no network)")


if __name__ == "__main__":
    main()
