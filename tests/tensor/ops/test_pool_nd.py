"""Pooling over the last 1, 2 or 3 axes (``T.pool``, ``T.pool_3d``) with any number of
leading axes, and window, stride and padding given as constants or symbolic vectors:
values against a plain loop over every window, both compile modes, every gradient by
finite differences, the hessian through max pooling, the errors."""

import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T
from symgraph.tensor.ops.pool import AveragePoolGrad, MaxPoolGrad, MaxPoolGradGrad, Pool

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def loop_out_len(size, ws, stride, pad, ignore_border):
    """Theano's ``Pool.out_shape`` for one axis."""
    v = size + 2 * pad
    if ignore_border:
        return max((v - ws) // stride + 1, 0)
    if v == 0:
        return 0
    if stride >= ws:
        return (v - 1) // stride + 1
    return max(0, (v - 1 - ws + stride) // stride) + 1


def loop_pool(x, ws, ignore_border, stride, pad, mode):
    """Each output cell from the list of its window's real cells, one window at a time."""
    nd = len(ws)
    stride = ws if stride is None else stride
    pad = (0,) * nd if pad is None else pad
    lead, size = x.shape[: x.ndim - nd], x.shape[x.ndim - nd :]
    sizes = [loop_out_len(*args, ignore_border) for args in zip(size, ws, stride, pad)]
    out = np.zeros(lead + tuple(sizes))
    for batch in np.ndindex(*lead):
        for cell in np.ndindex(*sizes):
            real, clipped = [], 1
            for k in range(nd):
                start = cell[k] * stride[k]
                end = min(start + ws[k], size[k] + 2 * pad[k])
                clipped *= end - start
                real.append(range(max(start, pad[k]) - pad[k], min(end, size[k] + pad[k]) - pad[k]))
            values = [float(x[batch + index]) for index in itertools.product(*real)]
            # A window over padding alone (an empty input): the maximum of no value is
            # -inf and the mean of no value NaN, as the kernels give.
            if mode == "max":
                out[batch + cell] = max(values, default=-np.inf)
            elif mode == "sum":
                out[batch + cell] = sum(values)
            elif mode == "average_inc_pad":
                out[batch + cell] = sum(values) / clipped
            else:
                out[batch + cell] = sum(values) / len(values) if values else np.nan
    return out


@st.composite
def poolings(draw):
    """An input value and pooling parameters: 1-3 pooled axes after 0-3 leading ones."""
    nd = draw(st.integers(1, 3), label="pooled axes")
    n_lead = draw(st.integers(0, 3), label="leading axes")
    lead = tuple(draw(st.integers(1, 2)) for _ in range(n_lead))
    size = tuple(draw(st.integers(0 if nd == 1 else 1, 6 - nd)) for _ in range(nd))
    ws = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = draw(st.none() | st.tuples(*[st.integers(1, 3)] * nd))
    ignore_border = draw(st.booleans())
    pad = tuple(draw(st.integers(0, w - 1)) for w in ws) if ignore_border else (0,) * nd
    mode = draw(st.sampled_from(MODES))
    values = draw(st.sampled_from(["float64", "float32"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = (rng.permutation(int(np.prod(lead + size))) - 7.0).reshape(lead + size).astype(values)
    return x, ws, ignore_border, stride, pad, mode


@pytest.mark.parametrize("compile_mode", ["FAST_RUN", "FAST_COMPILE"])
@settings(max_examples=40, deadline=None)
@given(case=poolings(), symbolic=st.booleans())
@example(
    case=(np.array([], dtype=np.float64), (2,), True, None, (1,), "average_exc_pad"),
    symbolic=False,
)
@example(
    case=(np.array([], dtype=np.float64), (2,), True, None, (1,), "max"),
    symbolic=False,
)
def test_pool_matches_a_loop_over_windows(compile_mode, case, symbolic):
    value, ws, ignore_border, stride, pad, mode = case
    x = T.tensor(value.dtype.name, shape=(None,) * value.ndim, name="x")
    if symbolic:  # the window parameters as inputs of the function
        params = [T.lvector(name) for name in ("ws", "stride", "pad")]
        given_values = [ws, stride or ws, pad]
    else:
        params, given_values = [ws, stride, pad], []
    out = T.pool(x, params[0], ignore_border, params[1], params[2], mode, ndim=len(ws))
    f = symgraph.function([x, *params[: len(given_values)]], out, mode=compile_mode)
    result = f(value, *[np.array(v, dtype="int64") for v in given_values])
    expected = loop_pool(value, ws, ignore_border, stride, pad, mode)
    assert result.dtype == value.dtype and result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=1e-6 if value.dtype == np.float32 else 1e-12)


def test_static_shapes():
    x = T.tensor("float64", shape=(2, 3, 5, 6, 7), name="x")
    assert T.pool_3d(x, (2, 2, 3), ignore_border=True).type.shape == (2, 3, 2, 3, 2)
    assert T.pool_3d(x, (2, 2, 3)).type.shape == (2, 3, 3, 3, 3)
    assert T.pool(x, (3,), True, (2,), (1,)).type.shape == (2, 3, 5, 6, 4)
    ws = T.lvector("ws")
    assert T.pool_2d(x, ws).type.shape == (2, 3, 5, None, None)
    assert T.pool_2d(x, (T.iscalar("h"), 2)).type.shape == (2, 3, 5, None, None)


def _no_ties(shape, seed):
    rng = np.random.default_rng(seed)
    return (rng.permutation(int(np.prod(shape))).reshape(shape) - 5.0) / 7.0


POOLINGS = [  # (input shape, ws, ignore_border, stride, pad)
    ((7,), (3,), False, (2,), (0,)),
    ((2, 8), (2,), True, (3,), (1,)),
    ((2, 5, 6), (2, 3), False, None, (0, 0)),
    ((1, 2, 5, 5), (3, 3), True, (2, 2), (1, 1)),
    ((4, 5, 3), (2, 2, 2), False, (1, 2, 2), (0, 0, 0)),
    ((2, 1, 3, 4, 5), (2, 3, 2), True, (2, 1, 2), (1, 0, 1)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, ws, ignore_border, stride, pad", POOLINGS)
def test_gradients(mode, shape, ws, ignore_border, stride, pad):
    rng = np.random.default_rng(3)
    symgraph.verify_grad(
        lambda x: T.pool(x, ws, ignore_border, stride, pad, mode), [_no_ties(shape, 4)], rng=rng
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, ws, ignore_border, stride, pad", POOLINGS[1::2])
def test_gradients_of_gradients(mode, shape, ws, ignore_border, stride, pad):
    """Through ``MaxPoolGrad`` / ``AveragePoolGrad``, whose gradients are
    ``MaxPoolGradGrad`` / ``Pool``."""
    rng = np.random.default_rng(5)

    def gradient(x):
        return symgraph.grad((T.pool(x, ws, ignore_border, stride, pad, mode) ** 2).sum(), x)

    symgraph.verify_grad(gradient, [_no_ties(shape, 6)], rng=rng)


@pytest.mark.parametrize("shape, ws, ignore_border, stride, pad", POOLINGS[::2])
def test_gradient_ops_in_their_linear_input(shape, ws, ignore_border, stride, pad):
    """Each gradient op differentiated in the input it is linear in, the others fixed."""
    rng = np.random.default_rng(7)
    x_value = _no_ties(shape, 8)
    nd = len(ws)
    y_value = loop_pool(x_value, ws, ignore_border, stride, pad, "max")
    x, y = T.constant(x_value), T.constant(y_value)
    window = (ws, stride, pad)
    symgraph.verify_grad(
        lambda gy: MaxPoolGrad(ignore_border, nd)(x, y, gy, *window), [rng.random(y_value.shape)]
    )
    symgraph.verify_grad(
        lambda ggx: MaxPoolGradGrad(ignore_border, nd)(x, y, ggx, *window),
        [rng.random(x_value.shape)],
    )
    for mode in MODES[1:]:
        symgraph.verify_grad(
            lambda gy, mode=mode: AveragePoolGrad(ignore_border, mode, nd)(x, gy, *window),
            [rng.random(y_value.shape)],
        )


@pytest.mark.parametrize(
    "shape, ws, ignore_border, stride, pad, mode",
    [
        ((2, 4, 5), (2, 2), False, (1, 2), (0, 0), "max"),
        ((3, 4, 4), (2, 3, 2), True, (1, 1, 2), (1, 1, 0), "max"),
        ((9,), (3,), True, (2,), (1,), "max"),
        ((2, 4, 5), (2, 2), True, (1, 1), (1, 0), "average_exc_pad"),
    ],
)
def test_hessian_through_pooling(shape, ws, ignore_border, stride, pad, mode):
    """``symgraph.hessian`` of a cost through pooling against central differences of the
    gradient, column by column."""
    v = T.dvector("v")
    pooled = T.pool(v.reshape(shape), ws, ignore_border, stride, pad, mode)
    cost = (pooled**3).sum() + (T.tanh(pooled) * v.sum()).sum()
    hessian = symgraph.function([v], symgraph.hessian(cost, v))
    gradient = symgraph.function([v], symgraph.grad(cost, v))
    point = _no_ties((int(np.prod(shape)),), 9)
    step = 1e-5  # far below the gaps between values, so no window changes its max
    columns = []
    for i in range(point.size):
        e = np.zeros(point.size)
        e[i] = step
        columns.append((gradient(point + e) - gradient(point - e)) / (2 * step))
    np.testing.assert_allclose(hessian(point), np.stack(columns, axis=1), rtol=1e-5, atol=1e-6)


def test_symbolic_window_parameters():
    x = T.dtensor3("x")
    ws, stride, pad = T.lvector("ws"), T.lvector("stride"), T.lvector("pad")
    out = T.pool_2d(x, ws, True, stride, pad, mode="average_exc_pad")
    cost = (out**2).sum()
    f = symgraph.function([x, ws, stride, pad], [out, symgraph.grad(cost, x)])
    value = _no_ties((2, 5, 6), 10)
    for params in [((2, 2), (1, 2), (1, 0)), ((3, 1), (2, 1), (0, 0)), ((1, 4), (1, 4), (0, 3))]:
        static = T.pool_2d(x, *params[:1], True, *params[1:], mode="average_exc_pad")
        g = symgraph.function([x], [static, symgraph.grad((static**2).sum(), x)])
        for got, want in zip(f(value, *params), g(value)):
            np.testing.assert_allclose(got, want)
    with pytest.raises(ValueError, match=r"padding \(2, 0\) must be smaller than the window"):
        f(value, (2, 2), (1, 1), (2, 0))
    with pytest.raises(ValueError, match="ws must be 2 ints"):
        f(value, (2, 2, 2), (1, 1), (0, 0))
    # a window made of symbolic scalars
    h = T.lscalar("h")
    scalars = symgraph.function([x, h], T.pool_2d(x, (h, 2), True))
    np.testing.assert_allclose(scalars(value, 3), loop_pool(value, (3, 2), True, None, None, "max"))


def test_windows_that_tile_the_input_exactly():
    """The max gradient's repeat-and-compare path, for 1, 2 and 3 pooled axes and ties."""
    for shape, ws in [((3, 8), (2,)), ((2, 4, 6), (2, 3)), ((2, 4, 2, 6), (2, 1, 3))]:
        value = np.random.default_rng(11).integers(0, 3, shape).astype(np.float32)
        x = T.tensor("float32", shape=(None,) * len(shape), name="x")
        gy = T.tensor("float32", shape=(None,) * len(shape), name="gy")
        out = T.pool(x, ws, True)
        f = symgraph.function([x, gy], symgraph.grad((out * gy).sum(), x))
        gy_value = np.random.default_rng(12).random(
            loop_pool(value, ws, True, None, None, "max").shape
        )
        expected = np.zeros(shape)
        y = loop_pool(value, ws, True, None, None, "max")
        for cell in np.ndindex(*y.shape):
            lead, spatial = cell[: len(shape) - len(ws)], cell[len(shape) - len(ws) :]
            window = tuple(slice(o * w, (o + 1) * w) for o, w in zip(spatial, ws))
            at_max = value[lead + window] == y[cell]
            expected[lead + window] += at_max * gy_value[cell]
        np.testing.assert_allclose(f(value, gy_value.astype(np.float32)), expected, rtol=1e-6)


def test_errors_name_the_variable_and_the_expected_type():
    m = T.dmatrix("m")
    with pytest.raises(TypeError, match=r"pool_3d: the input 'm' must have at least 3 dim.*matrix"):
        T.pool_3d(m, (2, 2, 2))
    with pytest.raises(TypeError, match="ws must be 2 ints or an integer vector of 2 entries"):
        T.pool_2d(m, (2, 2, 2))
    with pytest.raises(TypeError, match=r"stride must be .*'st': float64 vector"):
        T.pool_2d(m, (2, 2), stride=T.dvector("st"))
    with pytest.raises(TypeError, match=r"ws\[1\] must be an int"):
        T.pool_2d(m, (2, 2.0))
    with pytest.raises(TypeError, match="give ndim"):
        T.pool(m, T.lvector("ws"))
    with pytest.raises(ValueError, match="ignore_border"):
        T.pool(m, (2,), pad=(1,))
    with pytest.raises(ValueError, match="has no mode 'max'"):
        AveragePoolGrad(True, "max")
    with pytest.raises(ValueError, match="ndim must be >= 1"):
        Pool(True, "max", 0)


@pytest.mark.parametrize("ignore_border", [True, False])
def test_shape_of_the_output_without_pooling(ignore_border):
    """``out.shape`` from the input's shape and the window parameters (``infer_shape``):
    the compiled function never pools."""
    x = T.dtensor4("x")
    ws, stride = T.lvector("ws"), T.lvector("stride")
    pad = (1, 0) if ignore_border else (0, 0)
    out = T.pool_2d(x, ws, ignore_border, stride, pad)
    f = symgraph.function([x, ws, stride], out.shape)
    assert not any(isinstance(node.op, Pool) for node in f.fgraph.toposort())
    for shape in [(2, 3, 5, 7), (1, 1, 0, 4), (1, 2, 1, 1)]:
        for ws_value, stride_value in [((2, 2), (1, 3)), ((3, 2), (3, 2)), ((2, 3), (1, 1))]:
            lengths = zip(shape[2:], ws_value, stride_value, pad)
            want = shape[:2] + tuple(loop_out_len(*n, ignore_border) for n in lengths)
            np.testing.assert_array_equal(f(np.ones(shape), ws_value, stride_value), want)
