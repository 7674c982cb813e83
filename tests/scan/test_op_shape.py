"""``Scan.infer_shape``: a loop's output shapes from its inputs' shapes, so that reading
a length does not run the loop."""

from __future__ import annotations

import numpy as np
from helpers import compile_and_run

import symgraph
import symgraph.tensor as T
from symgraph.scan.op import Scan, build_scan

RNG = np.random.default_rng(11)


def uniform(*shape):
    return RNG.uniform(-0.8, 0.8, shape)


def scan_nodes(f) -> list:
    return [n for n in f.fgraph.toposort() if isinstance(n.op, Scan)]


def test_infer_shape_gives_lengths_without_running_the_loop():
    x, W, h0 = T.tensor3("x"), T.matrix("W"), T.matrix("h0")

    def step(xt, h, W):
        return [T.tanh(T.dot(xt, W) + h), T.dot(xt, W).sum(axis=1)]

    hs_buffer, ys = build_scan(
        step, [x], [(h0.dimshuffle("x", 0, 1), (-1,)), None], [W], x.shape[0]
    )
    shapes = [hs_buffer.shape[0], hs_buffer.shape[1], hs_buffer.shape[2], ys.shape[0], ys.shape[1]]
    f = symgraph.function([x, W, h0], shapes)
    assert scan_nodes(f) == []  # every length came from the inputs' shapes
    values = [uniform(5, 2, 3), uniform(3, 4), uniform(2, 4)]
    assert [int(v) for v in f(*values)] == [6, 2, 4, 5, 2]
    compile_and_run([x, W, h0], [hs_buffer, ys], values)  # checks infer_shape on values


def test_infer_shape_leaves_a_length_no_rule_gives_to_the_loop():
    x = T.matrix("x")
    ys, _ = symgraph.scan(lambda xt: xt[T.argmax(xt) :], sequences=x)  # ragged: no rule
    f = symgraph.function([x], ys.shape[1])
    assert len(scan_nodes(f)) == 1
    value = np.array([[0.0, 1.0, 0.5], [0.0, 2.0, 0.1]])
    assert int(f(value)) == 2
    compile_and_run([x], ys, [value])  # the lengths infer_shape does give are right


def test_infer_shape_counts_every_initial_row_of_a_deep_state():
    x, h0 = T.vector("x"), T.matrix("h0")
    (buffer,) = build_scan(
        lambda xt, older, old: older + old * xt, [x], [(h0[:3], (-3, -1))], [], x.shape[0]
    )
    f = symgraph.function([x, h0], [buffer.shape[0], buffer.shape[1]])
    assert scan_nodes(f) == []
    values = [uniform(4), uniform(5, 2)]
    assert [int(v) for v in f(*values)] == [7, 2]
    compile_and_run([x, h0], buffer, values)


def test_the_rows_scan_returns_have_a_length_without_the_loop():
    """``hs`` is the buffer after its initial row (a slice): its length is n_steps."""
    x, h0 = T.matrix("x"), T.vector("h0")
    hs, _ = symgraph.scan(lambda xt, h: T.tanh(xt + h), sequences=x, outputs_info=h0)
    f = symgraph.function([x, h0], [hs.shape[0], hs.shape[1]])
    assert scan_nodes(f) == []
    for steps in (0, 1, 4):
        values = [uniform(steps, 3), uniform(3)]
        assert [int(v) for v in f(*values)] == [steps, 3]


def test_infer_shape_of_a_loop_keeping_its_last_rows_and_of_one_that_may_stop():
    x = T.matrix("x")
    ys, _ = symgraph.scan(lambda xt: xt * 2.0, sequences=x)
    op, inputs = ys.owner.op, ys.owner.inputs
    keeping = Scan(
        op.inner_inputs, op.inner_outputs, op.n_seqs, op.state_taps, op.n_non_seqs, kept_rows=(3,)
    )
    (last_rows,) = keeping.make_node(*inputs).outputs
    f = symgraph.function([x], [last_rows.shape[0], last_rows.shape[1]])
    assert scan_nodes(f) == []  # min(n_steps, 3) rows, without the loop
    for steps in (0, 2, 5):
        assert [int(v) for v in f(uniform(steps, 4))] == [min(steps, 3), 4]

    stopping, _ = symgraph.scan(lambda xt: (xt * 2.0, symgraph.until(xt.sum() > 0.0)), sequences=x)
    node = stopping.owner
    input_shapes = [tuple(T.shape_i(v, a) for a in range(v.ndim)) for v in node.inputs]
    ((length, width),) = node.op.infer_shape(node, input_shapes)
    assert length is None  # the steps run are known once the loop has run
    g = symgraph.function([x], [stopping.shape[0], width])
    assert len(scan_nodes(g)) == 1
    value = np.array([[-1.0, 0.5], [1.0, 1.0], [2.0, 2.0]])
    assert [int(v) for v in g(value)] == [2, 2]


def test_infer_shape_remakes_lengths_read_from_values_on_the_outer_graph():
    """Reshape's rule reads its shape vector's values: inside a step those are inner
    variables. Made from non-sequences they are made again from the outer ones; made
    from a row only a step has (a length of -1 comes from the step's own result) they
    are not told, and the loop gives them."""
    x, W = T.matrix("x"), T.lmatrix("W")
    ys, _ = symgraph.scan(
        lambda xt, W: T.reshape(xt, (W.shape[0], W.shape[1])), sequences=x, non_sequences=W
    )
    lengths = [ys.shape[0], ys.shape[1], ys.shape[2]]
    # (hoisting would pass the shape vector in whole, and reshape's rule read nothing)
    f = symgraph.function([x, W], lengths, mode=symgraph.Mode().excluding("scan_hoist"))
    assert scan_nodes(f) == []
    assert [int(v) for v in f(uniform(5, 6), np.zeros((2, 3), "int64"))] == [5, 2, 3]

    zs, _ = symgraph.scan(lambda xt: T.reshape(xt, (2, -1)), sequences=x)
    g = symgraph.function([x], [zs.shape[1], zs.shape[2]])
    assert len(scan_nodes(g)) == 1
    assert [int(v) for v in g(uniform(5, 6))] == [2, 3]
    compile_and_run([x], zs, [uniform(4, 6)])
