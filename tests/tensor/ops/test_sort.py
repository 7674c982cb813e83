"""``sort``, ``argsort``, ``nonzero`` and ``repeat`` with symbolic counts: values against
plain Python loops in both modes, gradients against finite differences."""

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symgraph
import symgraph.tensor as T
from symgraph.tensor.params import AxisError

MODES = ["FAST_RUN", "FAST_COMPILE"]
KINDS = ["quicksort", "mergesort", "heapsort", "stable"]


def along(value, axis, row_function):
    """``row_function`` applied to every 1-d row of ``value`` along ``axis`` (of the
    flattened value when None)."""
    if axis is None:
        return np.array(row_function(list(value.reshape(-1))))
    moved = np.moveaxis(value, axis, -1)
    rows = [row_function(list(moved[index])) for index in np.ndindex(*moved.shape[:-1])]
    return np.moveaxis(np.array(rows).reshape(moved.shape), -1, axis)


arrays = hnp.arrays(
    st.sampled_from(["float64", "float32", "int64", "int8"]),
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4),
    elements=st.integers(-5, 5),
)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=40, deadline=None)
@given(value=arrays, data=st.data())
def test_sort_and_stable_argsort_match_python(mode, value, data):
    axis = data.draw(st.none() | st.integers(-value.ndim, value.ndim - 1))
    kind = data.draw(st.sampled_from(KINDS))
    x = T.tensor(dtype=value.dtype.name, shape=(None,) * value.ndim, name="x")
    f = symgraph.function([x], [T.sort(x, axis, kind), T.argsort(x, axis, "stable")], mode=mode)
    ordered, order = f(value)
    normal = None if axis is None else axis % value.ndim
    expected = along(value, normal, sorted).astype(value.dtype)
    np.testing.assert_array_equal(ordered, expected)
    assert ordered.dtype == value.dtype and order.dtype == np.int64
    stable = along(value, normal, lambda row: sorted(range(len(row)), key=row.__getitem__))
    np.testing.assert_array_equal(order, stable.astype(np.int64))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_sort_gradient(axis, mode):
    rng = np.random.default_rng(4)
    point = rng.permutation(24).reshape(2, 3, 4) / 7.0  # distinct values: no ties
    weights = rng.normal(size=(24,) if axis is None else (2, 3, 4))
    symgraph.verify_grad(lambda x: T.sort(x, axis) * weights, [point], rng=rng, mode=mode)


def test_sort_gradient_goes_back_to_the_source_positions():
    x = T.dvector("x")
    value = np.array([3.0, 1.0, 2.0])
    g = symgraph.grad((T.sort(x) * np.array([10.0, 20.0, 30.0])).sum(), x).eval({x: value})
    np.testing.assert_array_equal(g, [30.0, 10.0, 20.0])


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=40, deadline=None)
@given(value=arrays)
def test_nonzero_matches_a_loop(mode, value):
    x = T.tensor(dtype=value.dtype.name, shape=(None,) * value.ndim, name="x")
    f = symgraph.function([x], [*T.nonzero(x), T.flatnonzero(x), T.nonzero_values(x)], mode=mode)
    *per_axis, flat, values = f(value)
    hits = [index for index in np.ndindex(*value.shape) if value[index] != 0]
    for axis, indices in enumerate(per_axis):
        assert indices.dtype == np.int64
        np.testing.assert_array_equal(indices, [h[axis] for h in hits])
    flat_value = value.reshape(-1)
    np.testing.assert_array_equal(flat, [i for i, v in enumerate(flat_value) if v != 0])
    np.testing.assert_array_equal(values, [v for v in flat_value if v != 0])


def test_nonzero_of_a_scalar_is_refused():
    with pytest.raises(TypeError, match="count"):
        T.nonzero(T.dscalar("count"))


def repeated(value, counts, axis):
    """``value``'s slices along ``axis``, slice k written counts[k] times (by a loop)."""
    pieces = []
    for k in range(value.shape[axis]):
        n = counts if np.ndim(counts) == 0 else counts[k]
        pieces += [np.take(value, [k], axis=axis)] * int(n)
    if not pieces:
        return np.zeros(value.shape[:axis] + (0,) + value.shape[axis + 1 :], value.dtype)
    return np.concatenate(pieces, axis=axis)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=40, deadline=None)
@given(
    value=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=3),
        elements=st.integers(-5, 5),
    ),
    data=st.data(),
)
def test_repeat_with_symbolic_counts(mode, value, data):
    axis = data.draw(st.integers(0, value.ndim - 1))
    x = T.tensor(dtype="float64", shape=(None,) * value.ndim, name="x")
    if data.draw(st.booleans()):
        counts = np.int64(data.draw(st.integers(0, 3)))
        r = T.lscalar("r")
    else:
        counts = np.array(
            data.draw(
                st.lists(st.integers(0, 3), min_size=value.shape[axis], max_size=value.shape[axis])
            ),
            dtype=np.int64,
        )
        r = T.lvector("r")
    out = T.repeat(x, r, axis=axis)
    f = symgraph.function([x, r], [out, out.shape], mode=mode)
    result, shape = f(value, counts)
    expected = repeated(value, counts, axis)
    np.testing.assert_array_equal(result, expected)
    assert tuple(shape) == expected.shape
    flat = symgraph.function([x, r], T.repeat(x, r), mode=mode)
    if np.ndim(counts) == 0:
        np.testing.assert_array_equal(flat(value, counts), repeated(value.reshape(-1), counts, 0))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("counts", [np.int64(2), np.array([0, 3, 1])])
def test_repeat_gradient(counts, mode):
    rng = np.random.default_rng(5)
    point = rng.normal(size=(2, 3))
    r = T.constant(counts) if np.ndim(counts) else T.lscalar()
    if np.ndim(counts) == 0:
        # a symbolic scalar count: given through a function of the point's shape
        def build(x):
            return T.repeat(x, x.shape[0], axis=1) ** 2
    else:

        def build(x):
            return T.repeat(x, r, axis=1) ** 2

    symgraph.verify_grad(build, [point], rng=rng, mode=mode)


def test_repeat_gradient_sums_the_copies():
    x, r = T.dvector("x"), T.lvector("r")
    g = symgraph.grad(T.repeat(x, r).sum(), x)
    np.testing.assert_array_equal(g.eval({x: np.ones(3), r: np.array([2, 0, 5])}), [2, 0, 5])


def test_repeat_errors_name_the_variables():
    x = T.dmatrix("x")
    with pytest.raises(TypeError, match="counts"):
        T.repeat(x, T.dscalar("counts"))
    with pytest.raises(AxisError, match="'x'"):
        T.repeat(x, T.lscalar(), axis=2)


def test_methods_and_theano_names():
    from symgraph.compat.theano import tensor as TT

    # as in Theano, the package's attribute is the function; the module is in sys.modules
    theano_sort = importlib.import_module("symgraph.compat.theano.tensor.sort")

    x = T.dmatrix("x")
    value = np.array([[3.0, 0.0], [1.0, 2.0]])
    np.testing.assert_array_equal(x.sort(axis=0).eval({x: value}), np.sort(value, axis=0))
    np.testing.assert_array_equal(x.argsort().eval({x: value}), np.argsort(value))
    rows, cols = x.nonzero()
    np.testing.assert_array_equal(rows.eval({x: value}), [0, 1, 1])
    assert TT.sort is theano_sort.sort and TT.argsort is theano_sort.argsort
    np.testing.assert_array_equal(TT.sort(x, None).eval({x: value}), [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(
        TT.nonzero(x, return_matrix=True).eval({x: value}), [[0, 1, 1], [0, 0, 1]]
    )
    with pytest.raises(NotImplementedError, match="order"):
        theano_sort.sort(x, order="field")
