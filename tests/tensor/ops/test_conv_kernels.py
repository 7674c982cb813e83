"""Tests of the NumPy convolution kernels against plain loop references.

The references below are written straight from the definition of Theano's ``conv2d``
(zero padding, optional kernel flip, strides, dilation, groups) with explicit loops over
output pixels and groups; they share no code with the implementation.
"""

from __future__ import annotations

import contextlib
import re
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symgraph.compile.verify import numeric_grad
from symgraph.tensor.ops import conv_kernels as ck
from symgraph.tensor.ops.conv_kernels import (
    conv2d,
    conv2d_grad_inputs,
    conv2d_grad_weights,
    conv_output_shape,
    normalize_border_mode,
)

# --------------------------------------------------------------------------- references


def ref_pads(border_mode, kshape, dil):
    """((pt, pb), (pl, pr)) from the definition of each border_mode form."""
    out = []
    for axis, (k, d) in enumerate(zip(kshape, dil)):
        dk = (k - 1) * d + 1
        if border_mode == "valid":
            p = (0, 0)
        elif border_mode == "full":
            p = (dk - 1, dk - 1)
        elif border_mode == "half":
            p = (dk // 2, dk // 2)
        elif isinstance(border_mode, int):
            p = (border_mode, border_mode)
        elif isinstance(border_mode[axis], int):
            p = (border_mode[axis], border_mode[axis])
        else:
            p = tuple(border_mode[axis])
        out.append(p)
    return tuple(out)


def ref_out_len(size, k, pad, stride, dil):
    return (size + pad[0] + pad[1] - ((k - 1) * dil + 1)) // stride + 1


def _ref_setup(x_shape, w_shape, border_mode, stride, dil):
    pads = ref_pads(border_mode, w_shape[2:], dil)
    oh = ref_out_len(x_shape[2], w_shape[2], pads[0], stride[0], dil[0])
    ow = ref_out_len(x_shape[3], w_shape[3], pads[1], stride[1], dil[1])
    return pads, oh, ow


def _window(r, c, kh, kw, stride, dil):
    """Index of the (dilated) window of output pixel (r, c) in the padded input."""
    return (
        slice(r * stride[0], r * stride[0] + (kh - 1) * dil[0] + 1, dil[0]),
        slice(c * stride[1], c * stride[1] + (kw - 1) * dil[1] + 1, dil[1]),
    )


def ref_conv(x, w, border_mode, stride=(1, 1), dil=(1, 1), flip=True, groups=1):
    n, c, h, wd = x.shape
    k, cg, kh, kw = w.shape
    pads, oh, ow = _ref_setup(x.shape, w.shape, border_mode, stride, dil)
    xp = np.zeros((n, c, h + sum(pads[0]), wd + sum(pads[1])))
    xp[:, :, pads[0][0] : pads[0][0] + h, pads[1][0] : pads[1][0] + wd] = x
    wf = w[:, :, ::-1, ::-1] if flip else w
    kg = k // groups
    y = np.zeros((n, k, oh, ow))
    for g in range(groups):
        for r in range(oh):
            for col in range(ow):
                rows, cols = _window(r, col, kh, kw, stride, dil)
                patch = xp[:, g * cg : (g + 1) * cg, rows, cols]
                y[:, g * kg : (g + 1) * kg, r, col] = np.einsum(
                    "nchw,kchw->nk", patch, wf[g * kg : (g + 1) * kg]
                )
    return y


def ref_grads(x, w, gy, border_mode, stride=(1, 1), dil=(1, 1), flip=True, groups=1):
    """(gx, gw) by back-propagating the loops of ``ref_conv``."""
    n, c, h, wd = x.shape
    k, cg, kh, kw = w.shape
    pads, oh, ow = _ref_setup(x.shape, w.shape, border_mode, stride, dil)
    xp = np.zeros((n, c, h + sum(pads[0]), wd + sum(pads[1])))
    xp[:, :, pads[0][0] : pads[0][0] + h, pads[1][0] : pads[1][0] + wd] = x
    wf = w[:, :, ::-1, ::-1] if flip else w
    gxp = np.zeros_like(xp)
    gwf = np.zeros(w.shape)
    kg = k // groups
    for g in range(groups):
        ks, cs = slice(g * kg, (g + 1) * kg), slice(g * cg, (g + 1) * cg)
        for r in range(oh):
            for col in range(ow):
                rows, cols = _window(r, col, kh, kw, stride, dil)
                gyp = gy[:, ks, r, col]
                gxp[:, cs, rows, cols] += np.einsum("nk,kchw->nchw", gyp, wf[ks])
                gwf[ks] += np.einsum("nk,nchw->kchw", gyp, xp[:, cs, rows, cols])
    gx = gxp[:, :, pads[0][0] : pads[0][0] + h, pads[1][0] : pads[1][0] + wd]
    gw = gwf[:, :, ::-1, ::-1] if flip else gwf
    return gx, gw


# --------------------------------------------------------------------------- helpers

TOL = {np.float32: dict(rtol=2e-4, atol=2e-4), np.float64: dict(rtol=1e-9, atol=1e-9)}

# Internal tuning knobs, forced to each extreme so every code path is exercised.
BATCHED = dict(_PER_IMAGE_MIN_PIXELS=10**9)
IMPLS = {
    "default": {},
    "batch_outer_col2im_nb1": dict(BATCHED, _BATCH_INNER_MAX_OW=0, _COST_ADD=0.0, _CHUNK_BYTES=1),
    "batch_inner_forward_route": dict(BATCHED, _BATCH_INNER_MAX_OW=10**9, _COST_ADD=1e9),
    "batch_inner_col2im_small_chunks": dict(
        BATCHED, _BATCH_INNER_MAX_OW=10**9, _COST_ADD=0.0, _CHUNK_BYTES="two"
    ),
    "batch_outer_forward_small_chunks": dict(
        BATCHED, _BATCH_INNER_MAX_OW=0, _COST_ADD=1e9, _CHUNK_BYTES="two"
    ),
    "per_image_forward_route": dict(_PER_IMAGE_MIN_PIXELS=0, _COST_ADD=1e9),
    "per_image_col2im_small_chunks": dict(
        _PER_IMAGE_MIN_PIXELS=0, _COST_ADD=0.0, _CHUNK_BYTES="two"
    ),
}


@contextlib.contextmanager
def impl(name, per_image_bytes):
    """Patch the kernels' tuning constants ("two": chunks of about two images)."""
    knobs = dict(IMPLS[name])
    if knobs.get("_CHUNK_BYTES") == "two":
        knobs["_CHUNK_BYTES"] = 2 * per_image_bytes
    with mock.patch.multiple(ck, **knobs) if knobs else contextlib.nullcontext():
        yield


def cols_bytes(x, w_shape, border_mode, stride=(1, 1), dil=(1, 1)):
    """Bytes of the forward im2col matrix of one image."""
    _, oh, ow = _ref_setup(x.shape, w_shape, border_mode, stride, dil)
    return x.shape[1] * w_shape[2] * w_shape[3] * oh * ow * x.itemsize


def case_impl(case, x):
    return impl(case["impl"], cols_bytes(x, case["w_shape"], case["border_mode"],
                                         case["stride"], case["dil"]))  # fmt: skip


border_modes = st.one_of(
    st.sampled_from(["valid", "full", "half"]),
    st.integers(0, 3),
    st.tuples(st.integers(0, 3), st.integers(0, 3)),
    st.tuples(
        st.tuples(st.integers(0, 3), st.integers(0, 3)),
        st.tuples(st.integers(0, 3), st.integers(0, 3)),
    ),
)


@st.composite
def conv_cases(draw, max_size=9):
    groups = draw(st.integers(1, 3))
    cg, kg = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    n = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dil = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    bm = draw(border_modes)
    h, w = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    x_shape, w_shape = (n, groups * cg, h, w), (groups * kg, cg, kh, kw)
    _, oh, ow = _ref_setup(x_shape, w_shape, bm, stride, dil)
    assume(oh >= 1 and ow >= 1)
    return dict(
        x_shape=x_shape,
        w_shape=w_shape,
        border_mode=bm,
        stride=stride,
        dil=dil,
        flip=draw(st.booleans()),
        groups=groups,
        dtype=draw(st.sampled_from([np.float32, np.float64])),
        impl=draw(st.sampled_from(sorted(IMPLS))),
        seed=draw(st.integers(0, 2**16)),
    )


def make_data(case):
    rng = np.random.default_rng(case["seed"])
    dt = case["dtype"]
    x = rng.standard_normal(case["x_shape"]).astype(dt)
    w = rng.standard_normal(case["w_shape"]).astype(dt)
    return rng, x, w


def call_args(case):
    return dict(
        pads=case["border_mode"],
        subsample=case["stride"],
        dilation=case["dil"],
        filter_flip=case["flip"],
        num_groups=case["groups"],
    )


def ref_args(case):
    return dict(stride=case["stride"], dil=case["dil"], flip=case["flip"], groups=case["groups"])


# --------------------------------------------------------------------------- forward


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(conv_cases())
def test_conv2d_matches_loop_reference(case):
    _, x, w = make_data(case)
    with case_impl(case, x):
        y = conv2d(x, w, **call_args(case))
    expected = ref_conv(x.astype(np.float64), w.astype(np.float64), case["border_mode"],
                        **ref_args(case))  # fmt: skip
    assert y.dtype == case["dtype"]
    assert y.shape == expected.shape
    shape = conv_output_shape(
        x.shape, w.shape, case["border_mode"], case["stride"], case["dil"], case["groups"]
    )
    assert shape == expected.shape
    np.testing.assert_allclose(y, expected, **TOL[case["dtype"]])


# --------------------------------------------------------------------------- gradients


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(conv_cases())
def test_conv2d_gradients_match_loop_reference(case):
    rng, x, w = make_data(case)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    y = ref_conv(x64, w64, case["border_mode"], **ref_args(case))
    gy = rng.standard_normal(y.shape).astype(case["dtype"])
    kw = call_args(case)
    with case_impl(case, x):
        gx = conv2d_grad_inputs(gy, w, x.shape[2:], **kw)
        gw = conv2d_grad_weights(x, gy, w.shape[2:], **kw)
    assert gx.dtype == gw.dtype == case["dtype"]
    assert gx.shape == x.shape and gw.shape == w.shape
    ref_gx, ref_gw = ref_grads(x64, w64, gy.astype(np.float64), case["border_mode"],
                               **ref_args(case))  # fmt: skip
    tol = TOL[case["dtype"]]
    np.testing.assert_allclose(gx, ref_gx, **tol)
    np.testing.assert_allclose(gw, ref_gw, **tol)
    # Adjoint identity against the loop forward: <conv(x), gy> = <x, gx> = <w, gw>.
    inner = float(np.vdot(y, gy.astype(np.float64)))
    scale = np.abs(y).sum() * np.abs(gy).max() + 1.0
    assert abs(inner - np.vdot(x64, gx.astype(np.float64))) <= tol["rtol"] * 10 * scale
    assert abs(inner - np.vdot(w64, gw.astype(np.float64))) <= tol["rtol"] * 10 * scale


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(conv_cases(max_size=5))
def test_conv2d_gradients_match_finite_differences(case):
    case = dict(case, dtype=np.float64)
    rng, x, w = make_data(case)
    kw = call_args(case)
    y = conv2d(x, w, **kw)
    gy = rng.standard_normal(y.shape)
    with case_impl(case, x):
        gx = conv2d_grad_inputs(gy, w, x.shape[2:], **kw)
        gw = conv2d_grad_weights(x, gy, w.shape[2:], **kw)
    num_gx = numeric_grad(lambda a: np.vdot(conv2d(a, w, **kw), gy), [x], 1e-6)[0]
    num_gw = numeric_grad(lambda a: np.vdot(conv2d(x, a, **kw), gy), [w], 1e-6)[0]
    np.testing.assert_allclose(gx, num_gx, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(gw, num_gw, rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------- explicit cases

EXPLICIT = [
    # (x shape, w shape, border_mode, stride, dilation, groups)
    ((1, 1, 5, 5), (1, 1, 5, 5), "valid", (1, 1), (1, 1), 1),  # kernel == image
    ((2, 3, 6, 7), (4, 3, 1, 1), "valid", (1, 1), (1, 1), 1),  # 1x1 kernel
    ((1, 2, 7, 4), (3, 2, 3, 2), "full", (1, 1), (1, 1), 1),  # rectangular, even kernel
    ((2, 2, 6, 6), (2, 2, 4, 4), "half", (1, 1), (1, 1), 1),  # even kernel, half
    ((2, 2, 8, 9), (2, 2, 3, 3), "half", (1, 1), (2, 3), 1),  # dilated half
    ((3, 4, 9, 8), (6, 2, 3, 3), (1, 2), (2, 3), (1, 1), 2),  # groups + strides
    ((2, 6, 7, 7), (6, 1, 3, 3), 1, (1, 1), (1, 1), 6),  # depthwise
    ((1, 1, 7, 6), (2, 1, 2, 3), ((0, 3), (2, 1)), (3, 2), (2, 1), 1),  # asymmetric pads
    ((2, 2, 9, 9), (3, 2, 3, 3), "valid", (4, 4), (1, 1), 1),  # strides drop trailing rows
    ((2, 1, 4, 4), (2, 1, 2, 2), ((6, 0), (0, 5)), (1, 1), (1, 1), 1),  # pad > kernel
    ((7, 3, 5, 20), (2, 3, 3, 3), "half", (1, 1), (1, 1), 1),  # OW >= 16 (batch-outer)
]


@pytest.mark.parametrize("case", EXPLICIT)
@pytest.mark.parametrize("impl_name", sorted(IMPLS))
@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_explicit_cases(case, impl_name, flip, dtype):
    x_shape, w_shape, bm, stride, dil, groups = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    kw = dict(pads=bm, subsample=stride, dilation=dil, filter_flip=flip, num_groups=groups)
    rk = dict(stride=stride, dil=dil, flip=flip, groups=groups)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    expected = ref_conv(x64, w64, bm, **rk)
    gy = rng.standard_normal(expected.shape).astype(dtype)
    ref_gx, ref_gw = ref_grads(x64, w64, gy.astype(np.float64), bm, **rk)
    with impl(impl_name, cols_bytes(x, w_shape, bm, stride, dil)):
        y = conv2d(x, w, **kw)
        gx = conv2d_grad_inputs(gy, w, x_shape[2:], **kw)
        gw = conv2d_grad_weights(x, gy, w_shape[2:], **kw)
    for got, want in [(y, expected), (gx, ref_gx), (gw, ref_gw)]:
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, **TOL[dtype])


def test_true_convolution_flips_the_kernel():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # an impulse reproduces the kernel under true convolution
    w = np.arange(9.0).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(conv2d(x, w, "half")[0, 0], w[0, 0])
    np.testing.assert_array_equal(
        conv2d(x, w, "half", filter_flip=False)[0, 0], w[0, 0, ::-1, ::-1]
    )


@pytest.mark.parametrize("impl_name", sorted(IMPLS))
@pytest.mark.parametrize("bm", ["half", "valid", ((0, 1), (2, 0))])
def test_inputs_untouched_and_non_contiguous_inputs(impl_name, bm):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 6, 3, 2)).transpose(3, 2, 0, 1)[..., ::-1]  # (2, 3, 5, 6)
    w = rng.standard_normal((3, 6, 3, 3))[:, ::2]  # (3, 3, 3, 3), strided
    x0, w0 = x.copy(), w.copy()
    with impl(impl_name, cols_bytes(x, w.shape, bm)):
        y = conv2d(x, w, bm)
        gy = rng.standard_normal(y.shape)[..., ::-1]
        gx = conv2d_grad_inputs(gy, w, (5, 6), bm)
        gw = conv2d_grad_weights(x, gy, (3, 3), bm)
    np.testing.assert_allclose(y, ref_conv(x0, w0, bm), rtol=1e-10, atol=1e-10)
    ref_gx, ref_gw = ref_grads(x0, w0, gy, bm)
    np.testing.assert_allclose(gx, ref_gx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gw, ref_gw, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)


def test_batch_of_one_and_many_chunks():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((13, 2, 6, 5)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    expected = ref_conv(x.astype(np.float64), w.astype(np.float64), 1)
    for n in (1, 13):
        for chunk in (1, 3 * 18 * 30 * 4, 10**9):  # 1 image, 3 images (13 % 3 != 0), all
            with mock.patch.object(ck, "_CHUNK_BYTES", chunk):
                np.testing.assert_allclose(conv2d(x[:n], w, 1), expected[:n], **TOL[np.float32])


def test_float32_stays_float32_and_ints_become_float64():
    x = np.ones((1, 1, 4, 4), np.float32)
    w = np.ones((1, 1, 2, 2), np.float32)
    assert conv2d(x, w).dtype == np.float32
    assert conv2d_grad_inputs(np.ones((1, 1, 3, 3), np.float32), w, (4, 4)).dtype == np.float32
    assert conv2d_grad_weights(x, np.ones((1, 1, 3, 3), np.float32), (2, 2)).dtype == np.float32
    yi = conv2d(np.ones((1, 1, 4, 4), int), np.ones((1, 1, 2, 2), int))
    assert yi.dtype == np.float64
    np.testing.assert_array_equal(yi, 4.0)


def test_strided_grad_inputs_zero_on_unread_rows():
    # 6 rows, kernel 2, stride 3: outputs read rows {0,1} and {3,4}; rows 2 and 5 unread.
    gy = np.ones((1, 1, 2, 1))
    w = np.ones((1, 1, 2, 1))
    gx = conv2d_grad_inputs(gy, w, (6, 1), "valid", subsample=(3, 1))
    np.testing.assert_array_equal(gx[0, 0, :, 0], [1, 1, 0, 1, 1, 0])


# --------------------------------------------------------------------------- shapes & modes


def test_normalize_border_mode_forms():
    assert normalize_border_mode("valid", (3, 5)) == ((0, 0), (0, 0))
    assert normalize_border_mode("full", (3, 5)) == ((2, 2), (4, 4))
    assert normalize_border_mode("half", (3, 4)) == ((1, 1), (2, 2))
    assert normalize_border_mode("half", (3, 3), (2, 3)) == ((2, 2), (3, 3))
    assert normalize_border_mode("full", (2, 3), (3, 2)) == ((3, 3), (4, 4))
    assert normalize_border_mode(2, (3, 3)) == ((2, 2), (2, 2))
    assert normalize_border_mode((1, 2), (3, 3)) == ((1, 1), (2, 2))
    assert normalize_border_mode(((1, 2), (3, 0)), (3, 3)) == ((1, 2), (3, 0))
    assert normalize_border_mode(((1, 2), 3), (3, 3)) == ((1, 2), (3, 3))
    assert normalize_border_mode(np.int64(1), (3, 3)) == ((1, 1), (1, 1))
    # Kernel size is only needed for 'full' and 'half'.
    assert normalize_border_mode((1, 2), (None, None)) == ((1, 1), (2, 2))


@pytest.mark.parametrize(
    "bad", ["same", -1, (1, -2), ((0, -1), (0, 0)), (1, 2, 3), ((1, 2, 3), (0, 0)), 1.5, None]
)
def test_normalize_border_mode_errors(bad):
    with pytest.raises(ValueError, match="border_mode"):
        normalize_border_mode(bad, (3, 3))


def test_conv_output_shape_with_unknowns():
    assert conv_output_shape((None, 3, 10, None), (4, 3, 3, 3)) == (None, 4, 8, None)
    assert conv_output_shape((8, 3, 10, 12), (None, 3, None, 3), "full") == (8, None, None, 14)
    assert conv_output_shape((8, None, 10, 12), (4, 3, 3, 3), "half", (2, 3)) == (8, 4, 5, 4)
    assert conv_output_shape((1, 4, 7, 7), (6, 2, 3, 3), 1, (1, 1), (3, 3), 2) == (1, 6, 3, 3)
    assert conv_output_shape((1, 1, 7, 7), (1, 1, 3, 3), ((2, 0), (0, 1))) == (1, 1, 7, 6)
    assert conv_output_shape((None,) * 4, (None,) * 4) == (None,) * 4


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(1, 30),
    k=st.integers(1, 6),
    stride=st.integers(1, 4),
    dil=st.integers(1, 3),
    bm=border_modes,
)
def test_conv_output_shape_formula(size, k, stride, dil, bm):
    pads = ref_pads(bm, (k, k), (dil, dil))
    expected = tuple(ref_out_len(size, k, p, stride, dil) for p in pads)
    args = ((2, 1, size, size), (3, 1, k, k), bm, (stride, stride), (dil, dil))
    if min(expected) < 1:
        with raises_naming((2, 1, size, size), (3, 1, k, k)):
            conv_output_shape(*args)
    else:
        assert conv_output_shape(*args) == (2, 3) + expected


# --------------------------------------------------------------------------- errors


def raises_naming(*shapes):
    """pytest.raises(ValueError) whose message names every shape, in order."""
    return pytest.raises(ValueError, match="(?s)" + ".*".join(re.escape(str(s)) for s in shapes))


@pytest.mark.parametrize(
    "x_shape, w_shape, kw",
    [
        ((2, 3, 5, 5), (4, 2, 3, 3), {}),  # channel mismatch
        ((2, 4, 5, 5), (4, 3, 3, 3), dict(num_groups=2)),  # channels != Cg * groups
        ((2, 4, 5, 5), (3, 2, 3, 3), dict(num_groups=2)),  # out_channels % groups
        ((2, 3, 5, 5), (4, 3, 6, 3), {}),  # kernel taller than the image
        ((2, 3, 5, 5), (4, 3, 3, 3), dict(dilation=(1, 3))),  # dilated kernel too wide
        ((2, 3, 5, 5), (4, 3, 3, 3), dict(pads=1, subsample=(9, 1), dilation=(4, 1))),
        ((2, 3, 5, 5), (4, 3, 3, 3), dict(pads=((0, 0), (0, 0)), dilation=(1, 4))),
    ],
)
def test_shape_errors_name_both_shapes(x_shape, w_shape, kw):
    with raises_naming(x_shape, w_shape):
        conv2d(np.zeros(x_shape), np.zeros(w_shape), **kw)
    with raises_naming(x_shape, w_shape):
        conv_output_shape(x_shape, w_shape, kw.get("pads", "valid"), kw.get("subsample", (1, 1)),
                          kw.get("dilation", (1, 1)), kw.get("num_groups", 1))  # fmt: skip


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(subsample=(0, 1)), "subsample"),
        (dict(subsample=(1, -2)), "subsample"),
        (dict(dilation=(1, 0)), "dilation"),
        (dict(pads=(1, -1)), "border_mode"),
        (dict(pads=((0, 0), (-1, 2))), "border_mode"),
        (dict(num_groups=0), "num_groups"),
    ],
)
def test_parameter_errors(kw, message):
    with pytest.raises(ValueError, match=message):
        conv2d(np.zeros((2, 3, 5, 5)), np.zeros((3, 3, 3, 3)), **kw)
    with raises_naming((2, 3, 5, 5), (3, 3, 3, 3)):
        conv2d(np.zeros((2, 3, 5, 5)), np.zeros((3, 3, 3, 3)), **kw)
    with raises_naming((2, 3, 5, 5), (3, 3, 3, 3)):
        conv2d_grad_inputs(np.zeros((2, 3, 3, 3)), np.zeros((3, 3, 3, 3)), (5, 5), **kw)


def test_grad_shape_errors_name_shapes():
    w = np.zeros((4, 3, 3, 3))
    with pytest.raises(ValueError, match=r"\(2, 4, 5, 5\).*\(2, 4, 3, 3\)"):
        conv2d_grad_inputs(np.zeros((2, 4, 5, 5)), w, (5, 5))
    with pytest.raises(ValueError, match=r"\(2, 4, 3, 4\).*\(2, 3, 5, 5\)"):
        conv2d_grad_weights(np.zeros((2, 3, 5, 5)), np.zeros((2, 4, 3, 4)), (3, 3))
    with pytest.raises(ValueError, match=r"\(2, 3, 5, 5\)"):
        conv2d_grad_weights(np.zeros((2, 3, 5, 5)), np.zeros((2, 4, 3, 3)), (3, 3), num_groups=2)
