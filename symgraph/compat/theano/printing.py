"""``theano.printing``: ``debugprint``, ``pydotprint``, ``pp`` and the ``Print`` op."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from symgraph.compat.theano._util import ignore_arguments
from symgraph.graph.basic import Apply, Op
from symgraph.printing import debugprint as _debugprint
from symgraph.printing import pprint, to_dot, to_svg
from symgraph.printing.raster import HAVE_MATPLOTLIB, to_image
from symgraph.tensor.variable import as_tensor

__all__ = ["GraphvizNotFoundError", "Print", "debugprint", "pp", "pprint", "pydotprint"]

pp = pprint


def debugprint(
    obj,
    depth=-1,
    print_type=False,
    file=None,
    ids="CHAR",
    stop_on_name=False,
    done=None,
    print_storage=False,
    print_clients=False,
    used_ids=None,
):
    """Theano's ``debugprint``: the graph as an indented tree. ``file='str'`` returns the
    text; otherwise it is written to ``file`` (default stdout), which is returned. Nodes
    always get Theano's default ``ids='CHAR'`` (A, B, ...)."""
    ignored = {
        name
        for name, value, default in (
            ("ids", ids, "CHAR"),
            ("stop_on_name", stop_on_name, False),
            ("done", done, None),
            ("print_storage", print_storage, False),
            ("print_clients", print_clients, False),
            ("used_ids", used_ids, None),
        )
        if value != default
    }
    ignore_arguments("debugprint", ignored)
    text = _debugprint(obj, file="str", print_type=print_type, depth=depth)
    if file == "str":
        return text
    out = sys.stdout if file is None else file
    out.write(text)
    return out


class GraphvizNotFoundError(RuntimeError, ImportError):
    """``pydotprint`` was asked for a picture it cannot draw: neither matplotlib nor
    Graphviz's ``dot`` program is installed (an ImportError too: Theano raised one when
    pydot was missing)."""


# What an outfile's extension can ask for when ``format`` is left at its default.
_PICTURE_FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "dot", "raw")


def pydotprint(
    fct,
    outfile=None,
    compact=True,
    format="png",
    with_ids=False,
    high_contrast=True,
    cond_highlight=None,
    colorCodes=None,  # noqa: N803 - Theano's spelling
    max_label_size=70,
    scan_graphs=False,
    var_with_name_simple=False,
    print_output_file=True,
    return_image=False,
):
    """Draw a graph or compiled function to ``outfile`` (Theano's ``pydotprint``), with
    no need for Graphviz.

    ``format='svg'`` (or an outfile ending in ``.svg``) writes ``symgraph.to_svg``'s
    picture; other image formats (the default ``png``, ``pdf``...) draw the same picture
    with matplotlib, or, without matplotlib, with Graphviz's ``dot`` program when it is
    installed. With ``format='dot'`` only the DOT text is written. When ``format`` is
    left at its default, an outfile's extension chooses it (``graph.svg`` is an SVG, not
    a PNG named ``graph.svg.png``). ``return_image=True`` returns the picture's bytes
    instead of keeping the file. Styling arguments are ignored.
    """
    if outfile is not None:
        outfile = os.fspath(outfile)
        extension = os.path.splitext(outfile)[1][1:].lower()
        if format == "png" and extension in _PICTURE_FORMATS:
            format = extension
    if outfile is None:
        outfile = os.path.join(os.getcwd(), f"theano.pydotprint.cpu.{format}")
    if not outfile.lower().endswith("." + format):
        outfile += "." + format
    if format in ("dot", "raw"):
        to_dot(fct, outfile)
    elif format == "svg":
        to_svg(fct, outfile)
    elif HAVE_MATPLOTLIB:
        to_image(fct, outfile, format=format)
    else:
        _draw_with_graphviz(fct, outfile, format)
    if return_image:
        with open(outfile, "rb") as handle:
            image = handle.read()
        os.remove(outfile)
        return image
    if print_output_file:
        print("The output file is available at", outfile)
    return None


def _draw_with_graphviz(fct, outfile: str, format: str) -> None:
    dot_file = outfile[: -len(format) - 1] + ".dot"
    to_dot(fct, dot_file)
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError(
            f"pydotprint draws {format} pictures with matplotlib (pip install matplotlib) "
            f"or Graphviz's 'dot' program, and neither is installed. The graph's DOT text "
            f"was written to {dot_file}; pydotprint(..., format='svg') needs neither."
        )
    subprocess.run([program, f"-T{format}", dot_file, "-o", outfile], check=True)


class Print(Op):
    """Theano's ``Print(message)(x)``: ``x`` unchanged, printed (with ``attrs`` of it,
    default its value) whenever the function computes it."""

    __props__ = ("message", "attrs")
    view_map = {0: [0]}
    nondeterministic = True  # printing is the point: constant folding must not remove it

    def __init__(self, message="", attrs=("__str__",), global_fn=None) -> None:
        self.message = message
        self.attrs = tuple(attrs)
        if global_fn is not None:
            ignore_arguments("Print", ["global_fn"])

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        (x,) = inputs
        for attr in self.attrs:
            value = getattr(x, attr)
            if callable(value):
                value = value()
            print(f"{self.message} {attr} = {value}")
        return [x]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, node, output_grads):
        return [output_grads[0]]
