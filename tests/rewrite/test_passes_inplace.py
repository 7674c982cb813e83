"""In-place rewrites never overwrite a buffer that is still read, through any view.

References are plain NumPy written here. Sizes include outputs large enough for fused
kernels to run on row blocks in several threads.
"""

import numpy as np
import pytest
from helpers import SETTINGS
from hypothesis import given
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T
from symgraph.graph.aliasing import buffer_roots, check_destroys
from symgraph.graph.fgraph import FunctionGraph
from symgraph.rewrite.fused import PARALLEL_MIN_ELEMENTS

LARGE = int(np.ceil(np.sqrt(PARALLEL_MIN_ELEMENTS))) + 8  # threaded row blocks


@pytest.mark.parametrize("n", [5, LARGE])
def test_product_plus_its_transpose_is_symmetric(n):
    X, W = T.matrix("X"), T.matrix("W")
    A = T.dot(X, W)
    f = symgraph.function([X, W], 0.5 * A + 0.5 * A.T)
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    a = x @ w
    np.testing.assert_allclose(f(x, w), 0.5 * a + 0.5 * a.T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [7, PARALLEL_MIN_ELEMENTS + 3])
def test_temporary_times_its_reverse(n):
    x = T.vector("x")
    t = T.exp(x)
    f = symgraph.function([x], (t * 2 + 1) * t[::-1])
    value = np.linspace(0, 1, n)
    e = np.exp(value)
    np.testing.assert_allclose(f(value), (e * 2 + 1) * e[::-1], rtol=1e-12)


VIEWS = {
    "transpose": (lambda t: t.T, lambda a: a.T),
    "reversed rows": (lambda t: t[::-1], lambda a: a[::-1]),
    "reversed columns": (lambda t: t[:, ::-1], lambda a: a[:, ::-1]),
    "both reversed": (lambda t: t[::-1, ::-1], lambda a: a[::-1, ::-1]),
    "reshape of flatten": (
        lambda t: T.flatten(t).reshape((t.shape[1], t.shape[0])).T,
        lambda a: a.reshape(-1).reshape(a.shape[1], a.shape[0]).T,
    ),
    "dimshuffle": (lambda t: t.dimshuffle(1, 0), lambda a: a.transpose(1, 0)),
}


@SETTINGS
@given(
    view=st.sampled_from(sorted(VIEWS)),
    steps=st.integers(1, 3),
    large=st.booleans(),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_elementwise_chain_with_a_view_of_its_own_input(view, steps, large, dtype):
    """``g(t) * view(t)`` where ``t`` is a dead temporary: the in-place pass may not let the
    fused kernel write into ``t`` while it reads ``view(t)``."""
    make_view, numpy_view = VIEWS[view]
    n = LARGE if large else 6
    X = T.matrix("X", dtype=dtype)
    t = T.exp(X * 0.5)  # a temporary the function allocates
    chained = t
    for k in range(steps):
        chained = T.tanh(chained * (k + 1.5)) + 0.25
    f = symgraph.function([X], chained * make_view(t))
    value = np.random.default_rng(steps).uniform(-1, 1, (n, n)).astype(dtype)
    expected = np.exp(value.astype(np.float64) * 0.5)
    base = expected
    for k in range(steps):
        expected = np.tanh(expected * (k + 1.5)) + 0.25
    expected = expected * numpy_view(base)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(f(value), expected, rtol=tol, atol=tol)


def test_a_view_read_by_a_later_node_keeps_its_buffer():
    x = T.matrix("x")
    t = T.exp(x)
    u = T.tanh(t * 3) + 1  # could write into t, but t.T is read afterwards
    v = T.dot(u, t.T)
    f = symgraph.function([x], v)
    value = np.random.default_rng(1).normal(size=(4, 4))
    e = np.exp(value)
    np.testing.assert_allclose(f(value), (np.tanh(e * 3) + 1) @ e.T, rtol=1e-12)


def _graph_reading_a_buffer_twice(view):
    """A hand-built graph whose last node writes into ``t`` and also reads ``view(t)``."""
    x = T.matrix("x")
    t = T.exp(x)
    other = view(t)
    node = T.add(t, other).owner
    destroying = node.op.with_inplace(0).make_node(*node.inputs)
    fgraph = FunctionGraph([x], [destroying.outputs[0]])
    order = fgraph.toposort()
    return order, buffer_roots(order), {x}


@pytest.mark.parametrize("view", [lambda t: t.T, lambda t: t[::-1], lambda t: t])
def test_check_destroys_refuses_reading_the_overwritten_buffer_through_another_input(view):
    order, roots, external = _graph_reading_a_buffer_twice(view)
    with pytest.raises(AssertionError, match="through another input"):
        check_destroys(order, roots, external, set())


def test_check_destroys_accepts_a_buffer_read_once():
    x = T.matrix("x")
    t = T.exp(x)
    node = T.add(t, x).owner
    destroying = node.op.with_inplace(0).make_node(*node.inputs)
    fgraph = FunctionGraph([x], [T.sum(destroying.outputs[0])])
    order = fgraph.toposort()
    check_destroys(order, buffer_roots(order), {x}, set(fgraph.outputs))


def test_inplace_pass_still_reuses_dead_temporaries():
    """The guard costs nothing where no view is involved: an SGD-like chain still writes
    into its dead temporary."""
    x, y = T.matrix("x"), T.matrix("y")
    t = T.dot(x, y)
    f = symgraph.function([x, y], T.tanh(t * 2 + 1))
    assert "inplace" in str(f.fgraph.toposort()[-1].op)


# Every op whose kernel may return memory shared with an input must declare it
# (``view_map``/``destroy_map``): the in-place pass and the output copying rely on it.
def _op_cases():
    m, v = T.matrix("m"), T.vector("v")
    t4 = T.tensor4("t4")
    i = T.lscalar("i")
    cases = {
        "dimshuffle": ([m], m.dimshuffle(1, 0)),
        "dimshuffle identity view": ([m], m.dimshuffle("x", 0, 1)),
        "subtensor slice": ([m], m[1:, ::-1]),
        "subtensor index": ([m, i], m[i]),
        "advanced subtensor": ([m], m[[0, 1, 1]]),
        "reshape": ([m], m.reshape((m.shape[1], m.shape[0]))),
        "flatten": ([m], T.flatten(m)),
        "concatenate one": ([m], T.concatenate([m], axis=0)),
        "concatenate": ([m], T.concatenate([m, m], axis=1)),
        "rebroadcast": ([v], T.addbroadcast(v.dimshuffle("x", 0), 0)),
        "sum": ([m], m.sum(axis=0)),
        "max": ([m], m.max(axis=1)),
        "argmax": ([m], T.argmax(m, axis=1)),
        "dot": ([m], T.dot(m, m.T)),
        "softmax": ([m], T.nnet.softmax(m)),
        "cast": ([m], T.cast(m, "float64")),
        "fill": ([m], T.ones_like(m)),
        "alloc": ([v], T.alloc(v, 3, v.shape[0])),
        "inc_subtensor": ([m, v], T.inc_subtensor(m[0], v)),
        "set_subtensor": ([m, v], T.set_subtensor(m[0], v)),
        "pool": ([t4], T.pool_2d(t4, (1, 1), ignore_border=True)),
        "conv": ([t4], T.conv2d(t4, np.ones((2, 2, 1, 1)))),
    }
    values = {
        "m": np.arange(6.0).reshape(2, 3) + 1,
        "v": np.arange(3.0),
        "t4": np.arange(16.0).reshape(1, 2, 2, 4),
        "i": np.array(1, dtype="int64"),
    }
    return cases, values


OP_CASES, OP_VALUES = _op_cases()


@pytest.mark.parametrize("case", sorted(OP_CASES))
def test_kernels_declare_every_buffer_they_share(case):
    inputs, output = OP_CASES[case]
    fgraph = FunctionGraph(inputs, [output])
    values = {v: OP_VALUES[v.name] for v in inputs}
    for node in fgraph.toposort():
        args = [values[v] if v in values else v.data for v in node.inputs]
        results = node.op.perform(node, args)
        for out_index, (variable, result) in enumerate(zip(node.outputs, results)):
            values[variable] = result
            declared = set(node.op.view_map.get(out_index, ()))
            declared |= set(node.op.destroy_map.get(out_index, ()))
            for position, arg in enumerate(args):
                if isinstance(arg, np.ndarray) and np.shares_memory(result, arg):
                    assert position in declared, (
                        f"{node.op} returns memory of input {position} without declaring it"
                    )


def test_every_kernel_of_a_chain_reuses_its_dead_input():
    """Choices are made on the graph before any replacement: a kernel whose input comes
    from a kernel made in-place just before is itself in-place."""
    x = T.vector("x")
    y = T.exp(x)
    for _ in range(1000):  # long enough for fusion to cut the chain into several kernels
        y = T.tanh(y * 1.001 + 0.1)
    f = symgraph.function([x], y)
    kernels = [node for node in f.fgraph.toposort() if "Fused" in type(node.op).__name__]
    assert len(kernels) > 2
    # the first kernel reads the input x, which is the caller's
    assert all(node.op.inplace is not None for node in kernels[1:])
    value = np.linspace(-1, 1, 5)
    expected = np.exp(value)
    for _ in range(1000):
        expected = np.tanh(expected * 1.001 + 0.1)
    np.testing.assert_allclose(f(value), expected, rtol=1e-12)
