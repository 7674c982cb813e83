"""``theano.scan_module.scan_utils``: the names Theano-based code imported from it.

``until`` (the loop condition), ``clone`` (``theano.clone`` is this one), and three graph
utilities libraries used outside scan: ``equal_computations`` (Lasagne's tests),
``infer_shape`` (symbolic shapes from given input shapes) and ``map_variables`` (Blocks'
graph transformations). Scan's own internals (``safe_new``, ``scan_args``...) have no
counterpart: the core's ``Scan`` is laid out differently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from symgraph.graph.basic import Constant, HasInnerGraph, Variable
from symgraph.graph.traversal import clone_replace, graph_inputs, graph_signature, toposort
from symgraph.scan import until
from symgraph.tensor.ops.shape import shape_i


def clone(output, replace=None, strict=True, share_inputs=True):
    """Theano's ``clone``: copies of ``output`` (a variable or a list) with ``replace``'s
    keys (a dict or a list of pairs) swapped for its values. ``strict`` and
    ``share_inputs`` are accepted for Theano's signature: inputs are always shared."""
    single = isinstance(output, Variable)
    outputs = [output] if single else list(output)
    pairs = dict(replace.items() if hasattr(replace, "items") else (replace or ()))
    result = clone_replace(outputs, pairs, strict=False)
    return result[0] if single else result


def equal_computations(xs, ys, in_xs=None, in_ys=None) -> bool:
    """Whether the graphs ``xs`` and ``ys`` compute the same thing, entry by entry: the same
    ops on the same inputs, where ``in_xs[i]`` in ``xs`` stands for ``in_ys[i]`` in ``ys``
    and every other input must be the same variable (constants compare by value)."""
    xs, ys = list(xs), list(ys)
    in_xs, in_ys = list(in_xs or ()), list(in_ys or ())
    if len(xs) != len(ys) or len(in_xs) != len(in_ys):
        return False
    free_x = _free_inputs(xs, in_xs)
    free_y = _free_inputs(ys, in_ys)
    if set(free_x) != set(free_y):
        return False
    free = sorted(free_x, key=lambda v: v.auto_id)
    try:
        return graph_signature([*in_xs, *free], xs) == graph_signature([*in_ys, *free], ys)
    except KeyError:  # an input given in in_xs (in_ys) is also free on the other side
        return False


def _free_inputs(outputs: list, given: list) -> list:
    known = set(given)
    return [
        v
        for v in graph_inputs(outputs, blockers=given)
        if v not in known and not isinstance(v, Constant)
    ]


def infer_shape(outs: Sequence, inputs: Sequence, input_shapes: Sequence) -> list[tuple]:
    """The shapes of ``outs`` (tuples of symbolic lengths, or ints where known) when
    ``inputs[i]`` has shape ``input_shapes[i]``, from each op's shape rule; a length no
    rule gives is the variable's own ``shape[i]``."""
    shape_of: dict = {}
    for variable, given in zip(inputs, input_shapes):
        if given is not None and len(given) != variable.ndim:
            raise ValueError(
                f"infer_shape: input {variable} has {variable.ndim} dimensions but its shape "
                f"{tuple(given)} has {len(given)}"
            )
        if given is not None:
            shape_of[variable] = tuple(given)

    def shape_of_variable(variable):
        if variable not in shape_of:
            shape_of[variable] = tuple(
                static if static is not None else shape_i(variable, axis)
                for axis, static in enumerate(variable.type.shape)
            )
        return shape_of[variable]

    for node in toposort(outs, blockers=inputs):
        shapes = node.op.infer_shape(node, [shape_of_variable(v) for v in node.inputs])
        for position, output in enumerate(node.outputs):
            if shapes is not None and shapes[position] is not None:
                shape_of[output] = tuple(shapes[position])
    return [shape_of_variable(v) for v in outs]


def map_variables(
    replacer: Callable[[Variable], Variable], graphs: Iterable, additional_inputs=()
) -> list[Variable]:
    """New graphs where every variable of ``graphs`` (inputs first, then each node's
    outputs in topological order) is replaced by ``replacer(variable)``; ``replacer``
    returns the variable itself to keep it. Variables inside a replacement are not
    replaced again. ``additional_inputs`` is accepted for Theano's signature (a
    replacement may use any variable). Inner graphs (a loop's step) are not entered: a
    graph holding one is refused rather than mapped in part."""
    graphs = list(graphs)
    nodes = toposort(graphs)
    for node in nodes:
        if isinstance(node.op, HasInnerGraph):
            raise NotImplementedError(
                f"map_variables: the graph holds {node.op}, whose inner graph it cannot "
                "map; make the replacement inside the loop's step function instead"
            )
    memo: dict = {}
    for variable in graph_inputs(graphs):
        replaced = replacer(variable)
        if replaced is not variable:
            memo[variable] = replaced
    for node in nodes:
        inputs = [memo.get(v, v) for v in node.inputs]
        if all(a is b for a, b in zip(inputs, node.inputs)):
            rebuilt = list(node.outputs)
        else:
            rebuilt = node.clone_with_new_inputs(inputs, strict=False).outputs
        for original, new in zip(node.outputs, rebuilt):
            if new is not original:
                memo[original] = new
        for original in node.outputs:
            replaced = replacer(original)
            if replaced is not original:
                # the replacement may read the original: it reads the rebuilt one
                current = memo.get(original, original)
                (memo[original],) = clone_replace([replaced], {**memo, original: current})
    return [memo.get(v, v) for v in graphs]


__all__ = ["clone", "equal_computations", "infer_shape", "map_variables", "until"]
