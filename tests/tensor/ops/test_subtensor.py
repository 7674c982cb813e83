"""Indexing: basic slicing with literal and symbolic bounds, integer indexing, advanced
integer indexing, ``set_subtensor`` / ``inc_subtensor`` and their gradients."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import MODES, SETTINGS, assert_close, compile_and_run
from hypothesis import given
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T


def _verify_grad_both_modes(fun, point):
    for mode in MODES:
        symgraph.verify_grad(fun, point, rng=np.random.default_rng(0), mode=mode)


# --------------------------------------------------------------------------------------
# basic indexing, hypothesis-driven


@st.composite
def basic_indices(draw, shape):
    """A NumPy basic index for ``shape``: per axis an int, a slice (negative bounds and
    steps included) or nothing, maybe a newaxis; each bound literal or symbolic."""
    items = []
    for size in shape[: draw(st.integers(0, len(shape)))]:
        kind = draw(st.sampled_from(["int", "slice", "full"]))
        if kind == "int":
            items.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            bound = st.one_of(st.none(), st.integers(-size - 2, size + 2))
            step = draw(st.one_of(st.none(), st.integers(-3, 3).filter(bool)))
            items.append(slice(draw(bound), draw(bound), step))
        else:
            items.append(slice(None))
    if draw(st.integers(0, 4)) == 0:
        items.insert(draw(st.integers(0, len(items))), None)
    symbolic = [draw(st.booleans()) for _ in items]
    return tuple(items), symbolic


def _symbolize(index, symbolic):
    """Replace the chosen ints of ``index`` by int64/int32 scalar inputs."""
    inputs, values = [], []

    def sym(v, dtype="int64"):
        if v is None:
            return None
        var = T.scalar(f"i{len(inputs)}", dtype=dtype)
        inputs.append(var)
        values.append(np.array(v, dtype=dtype))
        return var

    result = []
    for item, make_symbolic in zip(index, symbolic):
        if not make_symbolic or item is None:
            result.append(item)
        elif isinstance(item, slice):
            result.append(slice(sym(item.start), sym(item.stop, "int32"), sym(item.step)))
        else:
            result.append(sym(item))
    return tuple(result), inputs, values


@SETTINGS
@given(data=st.data())
def test_basic_indexing_matches_numpy(data):
    ndim = data.draw(st.integers(1, 3), label="ndim")
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    static = tuple(s if data.draw(st.booleans()) else None for s in shape)
    index, symbolic = data.draw(basic_indices(shape), label="index")
    value = np.arange(float(np.prod(shape))).reshape(shape)
    x = T.tensor("float64", shape=static, name="x")
    sym_index, inputs, values = _symbolize(index, symbolic)
    out = x[sym_index]
    expected = value[index]
    assert out.ndim == expected.ndim and out.dtype == "float64"
    if all(s is not None for s in static) and not any(symbolic):
        assert out.type.shape == expected.shape
    result = compile_and_run([x, *inputs], out, [value, *values])
    np.testing.assert_array_equal(result, expected)
    # the gradient scatters back into a zero array of x's shape
    g = symgraph.grad((out * 2.0).sum(), x)
    expected_grad = np.zeros_like(value)
    expected_grad[index] += 2.0  # basic indexing never repeats an element
    assert_close(compile_and_run([x, *inputs], g, [value, *values]), expected_grad)


def test_minibatch_slice_with_symbolic_bounds():
    data = T.matrix("data")
    i = T.lscalar("i")
    bs = 3
    out = data[i * bs : (i + 1) * bs]
    assert out.type.shape == (None, None)
    value = np.arange(20.0).reshape(10, 2)
    for index in range(4):
        result = compile_and_run([data, i], out, [value, np.int64(index)])
        np.testing.assert_array_equal(result, value[index * bs : (index + 1) * bs])
    # the tutorials' pattern: shared data, an index input and givens
    shared = symgraph.shared(value, name="train_x")
    x = T.matrix("x")
    f = symgraph.function([i], x.sum(axis=0), givens={x: shared[i * bs : (i + 1) * bs]})
    np.testing.assert_array_equal(f(np.int64(1)), value[3:6].sum(axis=0))
    np.testing.assert_array_equal(shared.get_value(), value)


@SETTINGS
@given(start=st.integers(0, 4), stop=st.integers(0, 4), column=st.integers(-2, 1))
def test_a_list_of_slices_is_a_tuple_index(start, stop, column):
    """``x[[slice(i, j), k]]`` indexes as ``x[i:j, k]`` (NumPy before 1.23, Theano)."""
    x = T.matrix("x")
    i, j = T.lscalars("i", "j")
    value = np.arange(8.0).reshape(4, 2)
    by_list = x[[slice(i, j), column]]
    by_tuple = x[i:j, column]
    result = compile_and_run([x, i, j], by_list, [value, np.int64(start), np.int64(stop)])
    np.testing.assert_array_equal(result, value[start:stop, column])
    assert by_list.type == by_tuple.type and by_list.owner.op == by_tuple.owner.op
    ellipsis = compile_and_run([x, i], x[[Ellipsis, slice(None, i)]], [value, np.int64(stop)])
    np.testing.assert_array_equal(ellipsis, value[..., :stop])
    assert x[[None, slice(None)]].type.shape == (1, None, None)


def test_a_list_of_integers_stays_an_integer_array_index():
    x = T.matrix("x")
    value = np.arange(8.0).reshape(4, 2)
    np.testing.assert_array_equal(compile_and_run([x], x[[3, 0]], [value]), value[[3, 0]])


def test_integer_indexing():
    x = T.matrix("x")
    i, j = T.iscalar("i"), T.lscalar("j")
    value = np.arange(12.0).reshape(3, 4)
    cases = [
        (x[i], value[2], (None,)),
        (x[:, j], value[:, 1], (None,)),
        (x[-1], value[-1], (None,)),
        (x[i:, ::2], value[2:, ::2], (None, None)),
        (x[..., j], value[..., 1], (None,)),
        (x[None, i], value[None, 2], (1, None)),
    ]
    for out, expected, static in cases:
        assert out.type.shape == static, out
        result = compile_and_run(
            [x, i, j], out, [value, np.int32(2), np.int64(1)], on_unused_input="ignore"
        )
        np.testing.assert_array_equal(result, expected)
    s = T.tensor("float64", shape=(3, 4), name="s")
    assert s[1].type.shape == (4,)
    assert s[1:].type.shape == (2, 4)
    assert s[::-2, 1:3].type.shape == (2, 2)
    assert s[i].type.shape == (4,)
    assert s[i:].type.shape == (None, 4)


def test_scalar_element_output_is_an_ndarray():
    x = T.vector("x")
    for mode in MODES:
        result = symgraph.function([x], x[0], mode=mode)(np.arange(3.0))
        assert isinstance(result, np.ndarray) and result.shape == ()
    m = T.matrix("m")
    i, j = T.iscalar("i"), T.lscalar("j")
    value = np.arange(12.0).reshape(3, 4)
    for out, expected in (
        (m[i, j], value[2, 1]),
        (m[-1, 2], value[-1, 2]),
        (m[i, j] * 1.0, value[2, 1]),
    ):
        assert out.type.shape == ()
        result = compile_and_run(
            [m, i, j], out, [value, np.int32(2), np.int64(1)], on_unused_input="ignore"
        )
        np.testing.assert_array_equal(result, expected)


# --------------------------------------------------------------------------------------
# advanced indexing


def test_advanced_indexing_picks_one_entry_per_row():
    p = T.matrix("p")
    y = T.ivector("y")
    out = p[T.arange(y.shape[0]), y]
    assert out.type.shape == (None,) and out.dtype == "float64"
    pv = np.random.default_rng(0).uniform(size=(5, 4))
    yv = np.array([0, 3, 1, 1, 2], dtype=np.int32)
    result = compile_and_run([p, y], out, [pv, yv])
    np.testing.assert_array_equal(result, pv[np.arange(5), yv])
    g = symgraph.grad(T.log(out).sum(), p)
    expected = np.zeros_like(pv)
    expected[np.arange(5), yv] = 1.0 / pv[np.arange(5), yv]
    assert_close(compile_and_run([p, y], g, [pv, yv]), expected)


ADVANCED_CASES = [
    ("x[v]", lambda x, v, m: x[v], lambda x, v, m: x[v]),
    ("x[:, v]", lambda x, v, m: x[:, v], lambda x, v, m: x[:, v]),
    ("x[m]", lambda x, v, m: x[m], lambda x, v, m: x[m]),
    ("x[v, 1:3]", lambda x, v, m: x[v, 1:3], lambda x, v, m: x[v, 1:3]),
    ("x[1:, v, 0]", lambda x, v, m: x[1:, v, 0], lambda x, v, m: x[1:, v, 0]),
    ("x[v, :, v]", lambda x, v, m: x[v, :, v], lambda x, v, m: x[v, :, v]),
    ("x[0, :, v]", lambda x, v, m: x[0, :, v], lambda x, v, m: x[0, :, v]),
    ("x[m, v]", lambda x, v, m: x[m, v], lambda x, v, m: x[m, v]),
    ("x[-1, v]", lambda x, v, m: x[-1, v], lambda x, v, m: x[-1, v]),
]


@pytest.mark.parametrize("name, build, ref", ADVANCED_CASES, ids=[c[0] for c in ADVANCED_CASES])
def test_advanced_indexing_matches_numpy(name, build, ref):
    x = T.tensor("float64", shape=(None, None, None), name="x")
    v = T.lvector("v")
    m = T.imatrix("m")
    xv = np.arange(60.0).reshape(3, 4, 5)
    vv = np.array([2, 0, 2])  # a repeated index
    mv = np.array([[0, 1, 2], [2, 2, 0]], dtype=np.int32)
    out = build(x, v, m)
    expected = ref(xv, vv, mv)
    assert out.ndim == expected.ndim
    result = compile_and_run([x, v, m], out, [xv, vv, mv], on_unused_input="ignore")
    np.testing.assert_array_equal(result, expected)
    # the gradient accumulates over repeated indices
    g = symgraph.grad((out**2).sum(), x)
    expected_grad = np.zeros_like(xv)
    index = {
        "x[v]": (vv,),
        "x[:, v]": (slice(None), vv),
        "x[m]": (mv,),
        "x[v, 1:3]": (vv, slice(1, 3)),
        "x[1:, v, 0]": (slice(1, None), vv, 0),
        "x[v, :, v]": (vv, slice(None), vv),
        "x[0, :, v]": (0, slice(None), vv),
        "x[m, v]": (mv, vv),
        "x[-1, v]": (-1, vv),
    }[name]
    np.add.at(expected_grad, index, 2 * expected)
    result = compile_and_run([x, v, m], g, [xv, vv, mv], on_unused_input="ignore")
    assert_close(result, expected_grad)


def test_advanced_indexing_static_shapes():
    x = T.tensor("float64", shape=(5, 6, 7), name="x")
    v = T.tensor("int64", shape=(3,), name="v")
    m = T.tensor("int32", shape=(2, 4), name="m")
    assert x[v].type.shape == (3, 6, 7)
    assert x[:, v].type.shape == (5, 3, 7)
    assert x[m].type.shape == (2, 4, 6, 7)
    assert x[v, :, v].type.shape == (3, 6)
    assert x[0, :, v].type.shape == (3, 6)
    assert x[1:3, v, 0].type.shape == (2, 3)
    with pytest.raises(ValueError):
        x[v, m]  # (3,) and (2, 4) do not broadcast


def test_take():
    x = T.matrix("x")
    v = T.lvector("v")
    xv = np.arange(12.0).reshape(3, 4)
    for axis, vv in (
        (None, np.array([11, 0, 11])),
        (0, np.array([2, 0, 2])),
        (1, np.array([3, 0, 3])),
        (-1, np.array([1, 1])),
    ):
        out = T.take(x, v, axis=axis)
        result = compile_and_run([x, v], out, [xv, vv])
        np.testing.assert_array_equal(result, np.take(xv, vv, axis=axis))


# --------------------------------------------------------------------------------------
# set_subtensor / inc_subtensor


SET_INC_CASES = [
    ("rows 1:3", lambda x, i, v: x[1:3], lambda a, i, v: (slice(1, 3),), (2, 4)),
    ("symbolic rows", lambda x, i, v: x[i : i + 2], lambda a, i, v: (slice(i, i + 2),), (2, 4)),
    ("one row", lambda x, i, v: x[i], lambda a, i, v: (i,), (4,)),
    ("one element", lambda x, i, v: x[i, -1], lambda a, i, v: (i, -1), ()),
    ("column", lambda x, i, v: x[:, 2], lambda a, i, v: (slice(None), 2), (3,)),
    (
        "strided",
        lambda x, i, v: x[::2, ::-1],
        lambda a, i, v: (slice(None, None, 2), slice(None, None, -1)),
        (2, 4),
    ),
    ("advanced rows", lambda x, i, v: x[v], lambda a, i, v: (v,), (4, 4)),
    ("advanced columns", lambda x, i, v: x[:, v], lambda a, i, v: (slice(None), v), (3, 4)),
    ("advanced with slice", lambda x, i, v: x[1:3, v], lambda a, i, v: (slice(1, 3), v), (2, 4)),
    ("pairs", lambda x, i, v: x[v, v[::-1]], lambda a, i, v: (v, v[::-1]), (4,)),
    ("everything", lambda x, i, v: x[:], lambda a, i, v: (slice(None),), (3, 4)),
    ("everything 2-d", lambda x, i, v: x[:, :], lambda a, i, v: (slice(None),) * 2, (4,)),
]


@pytest.mark.parametrize(
    "kind, name, target, index, value_shape",
    [
        pytest.param(
            kind,
            *case,
            id=f"{kind}-{case[0]}",
        )
        for kind in ("set", "inc")
        for case in SET_INC_CASES
    ],
)
def test_set_and_inc_subtensor(kind, name, target, index, value_shape):
    x = T.matrix("x")
    i = T.lscalar("i")
    v = T.lvector("v")
    y = T.tensor("float64", shape=(None,) * len(value_shape), name="y")
    xv = np.arange(12.0).reshape(3, 4)
    iv = np.int64(1)
    vv = np.array([2, 0, 2, 1])  # repeated index 2: inc accumulates, set keeps one
    yv = np.arange(1.0, 1.0 + np.prod(value_shape)).reshape(value_shape) * 10
    fn = T.set_subtensor if kind == "set" else T.inc_subtensor
    out = fn(target(x, i, v), y)
    assert out.type == x.type
    expected = xv.copy()
    idx = index(xv, int(iv), vv)
    if kind == "set":
        expected[idx] = yv
    else:
        np.add.at(expected, idx, yv)
    result = compile_and_run([x, i, v, y], out, [xv, iv, vv, yv], on_unused_input="ignore")
    np.testing.assert_array_equal(result, expected)
    # gradients: x keeps the gradient where it is not overwritten; y gets its slot's
    if kind == "inc" or "advanced" not in name and name != "pairs":
        cost = (out * np.arange(12.0).reshape(3, 4)).sum()
        gx, gy = symgraph.grad(cost, [x, y])
        weights = np.arange(12.0).reshape(3, 4)
        expected_gx = weights.copy()
        if kind == "set":
            expected_gx[idx] = 0.0
        expected_gy = weights[idx]
        while expected_gy.ndim > len(value_shape):  # y was broadcast over leading axes
            expected_gy = expected_gy.sum(axis=0)
        results = compile_and_run(
            [x, i, v, y], [gx, gy], [xv, iv, vv, yv], on_unused_input="ignore"
        )
        assert_close(results[0], expected_gx)
        assert_close(results[1], expected_gy)


def test_set_subtensor_broadcasts_the_value_and_casts_it():
    x = T.fmatrix("x")
    xv = np.zeros((3, 4), dtype=np.float32)
    out = T.set_subtensor(x[1:], 5)
    assert out.dtype == "float32"
    expected = xv.copy()
    expected[1:] = 5
    np.testing.assert_array_equal(compile_and_run([x], out, [xv]), expected)
    r = T.frow("r")
    out = T.inc_subtensor(x[:, 1:3], r[:, :2])
    rv = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    expected = xv.copy()
    expected[:, 1:3] += rv[:, :2]
    np.testing.assert_array_equal(compile_and_run([x, r], out, [xv, rv]), expected)
    # a broadcast value's gradient sums over the broadcast axes
    g = symgraph.grad((T.inc_subtensor(x[:, 1:3], r[:, :2]) ** 2).sum(), r)
    assert g.type.shape == (1, None)
    gv = compile_and_run([x, r], g, [xv, rv])
    assert_close(gv, np.array([[6.0, 12.0, 0.0]], dtype=np.float32))


def test_set_inc_subtensor_grad_verified():
    rng = np.random.default_rng(0)
    xv, yv = rng.normal(size=(4, 3)), rng.normal(size=(2, 3))
    _verify_grad_both_modes(lambda x, y: T.set_subtensor(x[1:3], y) ** 2, [xv, yv])
    _verify_grad_both_modes(lambda x, y: T.inc_subtensor(x[::2], y) ** 2, [xv, yv])
    idx = np.array([3, 3])
    _verify_grad_both_modes(lambda x, y: T.inc_subtensor(x[idx], y) ** 2, [xv, yv])
    _verify_grad_both_modes(
        lambda x, y: T.set_subtensor(x[idx[:1] - 1, 1:], y[:1, :2]) ** 2, [xv, yv]
    )
    _verify_grad_both_modes(lambda x: x[1:, ::-1][idx - 2] ** 2, [xv])


def test_inputs_are_not_modified_by_inc_subtensor():
    x = T.vector("x")
    y = T.vector("y")
    xv = np.zeros(4)
    yv = np.ones(2)
    out = T.inc_subtensor(x[1:3], y)
    for mode in MODES:
        f = symgraph.function([x, y], [out, out * 2], mode=mode)
        first, second = f(xv, yv)
        np.testing.assert_array_equal(xv, np.zeros(4))
        np.testing.assert_array_equal(first, [0, 1, 1, 0])
        np.testing.assert_array_equal(second, [0, 2, 2, 0])


# --------------------------------------------------------------------------------------
# errors


def test_indexing_errors_name_the_variable():
    x = T.tensor("float64", shape=(2, 3), name="weights")
    with pytest.raises(IndexError) as info:
        x[5]
    assert "weights" in str(info.value) and "5" in str(info.value)
    with pytest.raises(IndexError, match="weights"):
        x[1, 2, 3]
    with pytest.raises(IndexError, match="weights"):
        x[:, -4]
    with pytest.raises(TypeError, match="weights"):
        x[T.vector("f")]
    with pytest.raises(TypeError, match="weights"):
        x[T.vector("b", dtype="bool")]
    with pytest.raises(TypeError, match="integer"):
        x[T.scalar("s") :]
    with pytest.raises(IndexError):
        x[..., 0, ...]


def test_set_inc_subtensor_errors():
    x = T.matrix("x")
    with pytest.raises(TypeError, match="indexed tensor"):
        T.set_subtensor(x, x)
    with pytest.raises(TypeError, match="1-d subtensor of x with y"):  # the rank: a type
        T.inc_subtensor(x[0], T.matrix("y"))
    with pytest.raises(TypeError):
        T.set_subtensor(T.imatrix("i")[0], T.vector("f"))


def test_infer_shape_of_constant_slices_matches_numpy_on_every_length():
    """A slice's length from the axis's symbolic length (what shape rewrites read instead
    of computing the slice), for negative, clamped and reversed bounds."""
    x = T.dvector("x")
    bounds = [None, -7, -3, -1, 0, 1, 2, 5, 9]
    cases, lengths = [], []
    for start in bounds:
        for stop in bounds:
            for step in (None, 1, 2, 3, -1, -2, -4):
                node = x[start:stop:step].owner
                ((length,),) = node.op.infer_shape(node, [(T.shape_i(x, 0),)])
                cases.append((start, stop, step))
                lengths.append(T.as_tensor(length))
    f = symgraph.function([x], lengths, mode="FAST_COMPILE")
    for n in range(8):
        value = np.arange(float(n))
        for (start, stop, step), got in zip(cases, f(value)):
            assert int(got) == len(value[start:stop:step]), (n, start, stop, step)


def test_infer_shape_leaves_symbolic_bounds_and_array_indices_untold():
    x, i = T.dvector("x"), T.lscalar("i")
    node = x[i:].owner
    assert node.op.infer_shape(node, [(T.shape_i(x, 0),)]) == [(None,)]
    node = x[T.lvector("v")].owner
    assert node.op.infer_shape(node, [(T.shape_i(x, 0),), (T.shape_i(x, 0),)]) is None
