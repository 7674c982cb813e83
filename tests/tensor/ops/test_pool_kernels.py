"""Tests of the NumPy pooling kernels against plain loop references.

The references follow Theano's ``pool_2d`` definition window by window: window ``r``
covers padded rows ``[r*stride, r*stride + ws)`` clipped to the padded image; max and
sum only see real cells; ``average_inc_pad`` divides by the clipped window size,
``average_exc_pad`` by its number of real cells.
"""

from __future__ import annotations

import re
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symgraph.compile.verify import numeric_grad
from symgraph.tensor.ops import pool_kernels
from symgraph.tensor.ops.pool_kernels import (
    POOL_MODES,
    max_pool_nd_grad_grad,
    pool_nd,
    pool_nd_grad,
    pool_output_shape,
)

# --------------------------------------------------------------------------- references


def ref_out_len(size, ws, stride, pad, ignore_border):
    v = size + 2 * pad
    if ignore_border:
        return max((v - ws) // stride + 1, 0)
    if stride >= ws:
        return (v - 1) // stride + 1
    return max(0, (v - 1 - ws + stride) // stride) + 1


def ref_windows(h, w, ws, stride, pad, ignore_border):
    """Yield (r, c, real-cell slices in image coords, inc_pad count) for every window."""
    oh = ref_out_len(h, ws[0], stride[0], pad[0], ignore_border)
    ow = ref_out_len(w, ws[1], stride[1], pad[1], ignore_border)
    for r in range(oh):
        r0, r1 = r * stride[0], min(r * stride[0] + ws[0], h + 2 * pad[0])
        for c in range(ow):
            c0, c1 = c * stride[1], min(c * stride[1] + ws[1], w + 2 * pad[1])
            rows = slice(max(r0, pad[0]) - pad[0], min(r1, pad[0] + h) - pad[0])
            cols = slice(max(c0, pad[1]) - pad[1], min(c1, pad[1] + w) - pad[1])
            yield r, c, rows, cols, (r1 - r0) * (c1 - c0)


def _flat(x):
    return x.reshape((int(np.prod(x.shape[:-2])),) + x.shape[-2:])


def ref_pool(x, ws, ignore_border, stride, pad, mode):
    stride = ws if stride is None else stride
    x3 = _flat(x)
    h, w = x.shape[-2:]
    oh = ref_out_len(h, ws[0], stride[0], pad[0], ignore_border)
    ow = ref_out_len(w, ws[1], stride[1], pad[1], ignore_border)
    y = np.zeros((x3.shape[0], oh, ow))
    for b in range(x3.shape[0]):
        for r, c, rows, cols, inc_count in ref_windows(h, w, ws, stride, pad, ignore_border):
            cells = x3[b, rows, cols].astype(np.float64)
            if mode == "max":
                y[b, r, c] = cells.max()
            elif mode == "sum":
                y[b, r, c] = cells.sum()
            elif mode == "average_inc_pad":
                y[b, r, c] = cells.sum() / inc_count
            else:
                y[b, r, c] = cells.sum() / cells.size
    return y.reshape(x.shape[:-2] + (oh, ow))


def ref_pool_grad(x, y, gy, ws, ignore_border, stride, pad, mode):
    stride = ws if stride is None else stride
    x3, y3, gy3 = _flat(x), _flat(y), _flat(gy)
    h, w = x.shape[-2:]
    gx = np.zeros(x3.shape)
    for b in range(x3.shape[0]):
        for r, c, rows, cols, inc_count in ref_windows(h, w, ws, stride, pad, ignore_border):
            cells = x3[b, rows, cols]
            g = float(gy3[b, r, c])
            if mode == "max":
                gx[b, rows, cols] += np.where(cells == y3[b, r, c], g, 0.0)
            elif mode == "sum":
                gx[b, rows, cols] += g
            elif mode == "average_inc_pad":
                gx[b, rows, cols] += g / inc_count
            else:
                gx[b, rows, cols] += g / cells.size
    return gx.reshape(x.shape)


def ref_grad_grad(x, y, ggx, ws, ignore_border, stride, pad):
    stride = ws if stride is None else stride
    x3, y3, ggx3 = _flat(x), _flat(y), _flat(ggx)
    h, w = x.shape[-2:]
    ggy = np.zeros(y3.shape)
    for b in range(x3.shape[0]):
        for r, c, rows, cols, _ in ref_windows(h, w, ws, stride, pad, ignore_border):
            equal = x3[b, rows, cols] == y3[b, r, c]
            ggy[b, r, c] = ggx3[b, rows, cols][equal].sum()
    return ggy.reshape(y.shape)


# --------------------------------------------------------------------------- strategies

TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


@st.composite
def pool_cases(draw, max_size=9, max_lead=2):
    ws = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 4), st.integers(1, 4))))
    ignore_border = draw(st.booleans())
    if ignore_border and draw(st.booleans()):
        pad = (draw(st.integers(0, ws[0] - 1)), draw(st.integers(0, ws[1] - 1)))
    else:
        pad = (0, 0)
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=max_lead)))
    shape = lead + (draw(st.integers(1, max_size)), draw(st.integers(1, max_size)))
    return dict(
        shape=shape,
        ws=ws,
        ignore_border=ignore_border,
        stride=stride,
        pad=pad,
        mode=draw(st.sampled_from(POOL_MODES)),
        dtype=draw(st.sampled_from([np.float32, np.float64])),
        ties=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )


def make_x(case):
    rng = np.random.default_rng(case["seed"])
    if case["ties"]:  # few distinct values: many tied maxima
        x = rng.integers(-2, 3, size=case["shape"]).astype(case["dtype"])
    else:
        x = rng.standard_normal(case["shape"]).astype(case["dtype"])
    return rng, x


def params(case):
    return dict(
        ws=case["ws"], ignore_border=case["ignore_border"], stride=case["stride"], pad=case["pad"]
    )


# --------------------------------------------------------------------------- forward


@settings(max_examples=400, deadline=None)
@given(pool_cases())
def test_pool2d_matches_loop_reference(case):
    _, x = make_x(case)
    y = pool_nd(x, mode=case["mode"], **params(case))
    expected = ref_pool(x, mode=case["mode"], **params(case))
    assert y.dtype == case["dtype"]
    assert y.shape == expected.shape == pool_output_shape(x.shape, **params(case))
    np.testing.assert_allclose(y, expected, **TOL[case["dtype"]])


def test_ignore_border_examples():
    x = np.arange(25.0).reshape(5, 5)
    assert pool_nd(x, (2, 2), ignore_border=True).shape == (2, 2)
    y = pool_nd(x, (2, 2), ignore_border=False)
    np.testing.assert_array_equal(y, [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    # Partial windows of ignore_border=False divide by their clipped size.
    ones = np.ones((5, 5))
    np.testing.assert_array_equal(pool_nd(ones, (2, 2), False, mode="average_inc_pad"), 1.0)
    np.testing.assert_array_equal(pool_nd(ones, (2, 2), False, mode="sum")[2], [2, 2, 1])
    # Overlapping windows with stride < ws and a partial last window: 6 = ceil((6-3)/2) + 1.
    assert pool_nd(np.ones((6, 6)), (3, 3), False, (2, 2)).shape == (3, 3)


def test_padding_semantics():
    ones = np.ones((1, 4, 4))
    inc = pool_nd(ones, (3, 3), True, (1, 1), (1, 1), "average_inc_pad")
    exc = pool_nd(ones, (3, 3), True, (1, 1), (1, 1), "average_exc_pad")
    np.testing.assert_allclose(inc[0, 0], [4 / 9, 6 / 9, 6 / 9, 4 / 9])
    np.testing.assert_allclose(exc, 1.0)
    # Padding never wins a max, even against all-negative windows.
    neg = -1.0 - np.arange(16.0).reshape(4, 4)
    y = pool_nd(neg, (2, 2), True, (2, 2), (1, 1), "max")
    np.testing.assert_array_equal(y, [[-1, -2, -4], [-5, -6, -8], [-13, -14, -16]])
    assert pool_nd(neg, (2, 2), True, (2, 2), (1, 1), "sum")[0, 0] == -1


def test_pool_output_shape_unknown_and_leading_dims():
    assert pool_output_shape((None, 3, 5, 5), (2, 2), False) == (None, 3, 3, 3)
    assert pool_output_shape((7, None, None), (2, 3), True, (1, 1), (1, 1)) == (7, None, None)
    assert pool_output_shape((4, 5), (2, 2)) == (2, 2)
    assert pool_output_shape((2, 2), (3, 3), True) == (0, 0)


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(0, 40),
    ws=st.integers(1, 6),
    stride=st.integers(1, 6),
    ignore_border=st.booleans(),
)
def test_pool_output_shape_formula(size, ws, stride, ignore_border):
    out = pool_output_shape((size, size), (ws, ws), ignore_border, (stride, stride))
    expected = 0 if size == 0 else ref_out_len(size, ws, stride, 0, ignore_border)
    assert out == (expected, expected)


def test_dtypes_and_layouts():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 7, 6))
    xt = x.transpose(0, 1, 3, 2)  # non-contiguous
    for mode in POOL_MODES:
        np.testing.assert_allclose(
            pool_nd(xt, (2, 3), mode=mode), ref_pool(xt, (2, 3), True, None, (0, 0), mode)
        )
        assert pool_nd(x.astype(np.float32), (2, 2), mode=mode).dtype == np.float32
    xi = rng.integers(-50, 50, size=(2, 5, 5))
    np.testing.assert_array_equal(
        pool_nd(xi, (2, 2), False), ref_pool(xi, (2, 2), False, None, (0, 0), "max")
    )
    assert pool_nd(xi, (2, 2), False).dtype == xi.dtype
    assert pool_nd(np.zeros((0, 3, 4, 4)), (2, 2)).shape == (0, 3, 2, 2)


# --------------------------------------------------------------------------- gradients


@settings(max_examples=400, deadline=None)
@given(pool_cases())
def test_pool2d_grad_matches_loop_reference(case):
    rng, x = make_x(case)
    mode = case["mode"]
    y = pool_nd(x, mode=mode, **params(case))
    gy = rng.standard_normal(y.shape).astype(case["dtype"])
    gx = pool_nd_grad(x, y, gy, mode=mode, **params(case))
    expected = ref_pool_grad(x, y, gy, mode=mode, **params(case))
    assert gx.dtype == case["dtype"] and gx.shape == x.shape
    np.testing.assert_allclose(gx, expected, **TOL[case["dtype"]])
    # Adjoint identity: pooling (except max) is linear; max is linear for a fixed argmax.
    y_lin = ref_pool(x, mode=mode, **params(case))
    if mode != "max":
        lhs = np.vdot(y_lin, gy.astype(np.float64))
        assert np.isclose(lhs, np.vdot(x.astype(np.float64), gx), rtol=1e-4, atol=1e-4)


@settings(max_examples=150, deadline=None)
@given(pool_cases(), st.integers(1, 3))
def test_kernels_chunk_by_chunk_match_the_references(case, images_per_chunk):
    """The kernels run over chunks of the batch (sized for the cache); force chunks of
    one to three images (``_CHUNK_BYTES`` is bytes of input per chunk)."""
    rng, x = make_x(case)
    mode, kw = case["mode"], params(case)
    x = x.reshape((-1,) + x.shape[-2:])  # several images: several chunks
    x = np.concatenate([x, x[::-1] * 2], axis=0)
    image_bytes = x.shape[-2] * x.shape[-1] * x.dtype.itemsize
    with patch.object(pool_kernels, "_CHUNK_BYTES", images_per_chunk * image_bytes):
        y = pool_nd(x, mode=mode, **kw)
        gy = rng.standard_normal(y.shape).astype(case["dtype"])
        if case["ties"] and gy.size:  # the non-finite route too
            gy.flat[-1] = np.inf
        gx = pool_nd_grad(x, y, gy, mode=mode, **kw)
    np.testing.assert_allclose(y, ref_pool(x, mode=mode, **kw), **TOL[case["dtype"]])
    expected = ref_pool_grad(x, y, gy, mode=mode, **kw)
    np.testing.assert_allclose(gx, expected, **TOL[case["dtype"]])


@settings(max_examples=80, deadline=None)
@given(pool_cases(max_size=6, max_lead=1))
def test_pool2d_grad_matches_finite_differences(case):
    """On tie-free data (a random permutation) the max is differentiable everywhere."""
    rng = np.random.default_rng(case["seed"])
    x = rng.permutation(np.prod(case["shape"])).reshape(case["shape"]) * 0.1
    kw = dict(mode=case["mode"], **params(case))
    y = pool_nd(x, **kw)
    gy = rng.standard_normal(y.shape)
    numeric = numeric_grad(lambda a: np.vdot(pool_nd(a, **kw), gy), [x], 1e-6)[0]
    np.testing.assert_allclose(pool_nd_grad(x, y, gy, **kw), numeric, rtol=1e-6, atol=1e-6)


def test_max_grad_gives_every_tie_the_full_gradient():
    x = np.array([[1.0, 3.0, 3.0], [3.0, 0.0, 2.0], [1.0, 1.0, 1.0]])
    y = pool_nd(x, (2, 2), True, (1, 1))
    np.testing.assert_array_equal(y, [[3, 3], [3, 2]])
    gx = pool_nd_grad(x, y, np.array([[1.0, 10.0], [100.0, 1000.0]]), (2, 2), True, (1, 1))
    np.testing.assert_array_equal(gx, [[0, 11, 10], [101, 0, 1000], [0, 0, 0]])


def test_max_grad_ignores_non_max_infinities():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    gx = pool_nd_grad(x, np.array([[4.0]]), np.array([[np.inf]]), (2, 2))
    np.testing.assert_array_equal(gx, [[0, 0], [0, np.inf]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape, ws, pad",
    [
        ((3, 2, 8, 6), (2, 2), (0, 0)),  # float32 pairs: the 8-byte-word repeat
        ((2, 6, 4), (3, 2), (0, 0)),
        ((2, 4, 9), (2, 3), (0, 0)),
        ((1, 8, 8), (4, 4), (1, 1)),  # windows tile the padded extent: not the tiled path
    ],
)
def test_max_grad_when_windows_tile_the_image(shape, ws, pad, dtype):
    from symgraph.tensor.ops.pool_kernels import _PoolGeometry

    assert _PoolGeometry(shape, ws, True, None, pad, "max").tiles_exactly == (pad == (0, 0))
    rng = np.random.default_rng(0)
    for x in (rng.standard_normal(shape), rng.integers(-1, 2, shape)):  # ties in the second
        x = x.astype(dtype)
        y = pool_nd(x, ws, True, None, pad)
        gy = rng.standard_normal(y.shape).astype(dtype)
        gy.flat[0] = np.inf
        gx = pool_nd_grad(x, y, gy, ws, True, None, pad)
        expected = ref_pool_grad(x, y, gy, ws, True, None, pad, "max")
        assert gx.dtype == dtype
        np.testing.assert_array_equal(gx, expected.astype(dtype))


def test_max_grad_grad_ignores_non_max_infinities():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    ggx = np.array([[np.inf, -np.inf], [np.nan, 5.0]])
    np.testing.assert_array_equal(max_pool_nd_grad_grad(x, np.array([[4.0]]), ggx, (2, 2)), [[5]])


def test_average_grad_divisors_at_clipped_edges():
    x = np.zeros((5, 5))
    gy = np.ones((3, 3))
    gx = pool_nd_grad(x, None, gy, (2, 2), False, mode="average_inc_pad")
    np.testing.assert_allclose(gx[4], [0.5, 0.5, 0.5, 0.5, 1.0])
    gx = pool_nd_grad(np.zeros((4, 4)), None, np.ones((4, 4)), (3, 3), True, (1, 1), (1, 1),
                     "average_exc_pad")  # fmt: skip
    # Cell (0, 0) is in 4 windows, holding 2x2, 2x3, 3x2 and 3x3 real cells.
    np.testing.assert_allclose(gx[0, 0], 1 / 4 + 1 / 6 + 1 / 6 + 1 / 9)


# --------------------------------------------------------------------------- grad of grad


@settings(max_examples=300, deadline=None)
@given(pool_cases())
def test_max_pool_grad_grad_matches_definition(case):
    rng, x = make_x(case)
    kw = params(case)
    y = pool_nd(x, mode="max", **kw)
    ggx = rng.standard_normal(x.shape).astype(case["dtype"])
    ggy = max_pool_nd_grad_grad(x, y, ggx, **kw)
    assert ggy.shape == y.shape and ggy.dtype == case["dtype"]
    np.testing.assert_allclose(ggy, ref_grad_grad(x, y, ggx, **kw), **TOL[case["dtype"]])
    # It is the adjoint of the max-pool gradient in gy: <grad(gy), ggx> = <gy, gradgrad(ggx)>.
    gy = rng.standard_normal(y.shape)
    gx = pool_nd_grad(x.astype(np.float64), y.astype(np.float64), gy, mode="max", **kw)
    lhs, rhs = np.vdot(gx, ggx.astype(np.float64)), np.vdot(gy, ggy.astype(np.float64))
    assert np.isclose(lhs, rhs, rtol=1e-4, atol=1e-4)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(ws=(2, 2), ignore_border=False, pad=(1, 0)), "ignore_border=True"),
        (dict(ws=(2, 2), ignore_border=True, pad=(2, 0)), "smaller than the window"),
        (dict(ws=(3, 2), ignore_border=True, pad=(1, 2)), "smaller than the window"),
        (dict(ws=(0, 2)), "ws"),
        (dict(ws=()), "ws"),
        (dict(ws=(2, 2, 2, 2)), ">= 4 dims"),
        (dict(ws=(2, 2), stride=(1,)), "stride"),
        (dict(ws=(2, 2), stride=(0, 1)), "stride"),
        (dict(ws=(2, 2), pad=(-1, 0)), "pad"),
        (dict(ws=(2, 2), mode="avg"), "mode"),
    ],
)
def test_parameter_errors(kw, message):
    pattern = re.escape("(2, 4, 4)") + ".*" + re.escape(message)
    with pytest.raises(ValueError, match=pattern):
        pool_nd(np.zeros((2, 4, 4)), **kw)
    if "mode" not in kw:
        with pytest.raises(ValueError, match=pattern):
            pool_output_shape((2, 4, 4), **kw)


def test_shape_errors():
    with pytest.raises(ValueError, match=re.escape("(4,)")):
        pool_nd(np.zeros(4), (2, 2))
    x = np.zeros((2, 5, 5))
    with pytest.raises(ValueError, match=re.escape("(2, 3, 3)")):
        pool_nd_grad(x, np.zeros((2, 2, 2)), np.zeros((2, 3, 3)), (2, 2))
    with pytest.raises(ValueError, match=re.escape("(2, 3, 3)")):
        max_pool_nd_grad_grad(x, np.zeros((2, 3, 3)), x, (2, 2))
    with pytest.raises(ValueError, match=re.escape("(2, 4, 4)")):
        max_pool_nd_grad_grad(x, np.zeros((2, 2, 2)), np.zeros((2, 4, 4)), (2, 2))
    with pytest.raises(ValueError, match="needs the forward output"):
        pool_nd_grad(x, None, np.zeros((2, 2, 2)), (2, 2))
