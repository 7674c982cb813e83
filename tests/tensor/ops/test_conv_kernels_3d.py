"""The NumPy convolution kernels on three spatial axes against plain loop references.

The references loop over every output voxel and group, straight from the definition of
Theano's ``conv3d`` (zero padding, optional kernel flip on all three axes, strides,
dilation, groups); they share no code with the implementation. The kernels' tuning
constants are forced to each extreme so that every layout and route runs in 3-D too.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symgraph.tensor.ops import conv_kernels as ck
from symgraph.tensor.ops.conv_kernels import (
    conv2d,
    conv3d,
    conv3d_grad_inputs,
    conv3d_grad_weights,
    conv_output_shape,
    normalize_border_mode,
)

# --------------------------------------------------------------------------- references


def ref_pads(border_mode, kshape, dil):
    """One (before, after) pair per axis, from the definition of each border_mode form."""
    pads = []
    for axis, (k, d) in enumerate(zip(kshape, dil)):
        dk = (k - 1) * d + 1
        if border_mode == "valid":
            pads.append((0, 0))
        elif border_mode == "full":
            pads.append((dk - 1, dk - 1))
        elif border_mode == "half":
            pads.append((dk // 2, dk // 2))
        elif isinstance(border_mode, int):
            pads.append((border_mode, border_mode))
        elif isinstance(border_mode[axis], int):
            pads.append((border_mode[axis], border_mode[axis]))
        else:
            pads.append(tuple(border_mode[axis]))
    return pads


def ref_geometry(x_shape, w_shape, border_mode, stride, dil):
    pads = ref_pads(border_mode, w_shape[2:], dil)
    out = [
        (size + before + after - ((k - 1) * d + 1)) // s + 1
        for size, (before, after), k, s, d in zip(x_shape[2:], pads, w_shape[2:], stride, dil)
    ]
    return pads, out


def _padded(x, pads):
    n, c, *sizes = x.shape
    xp = np.zeros((n, c, *(s + b + a for s, (b, a) in zip(sizes, pads))))
    xp[(slice(None), slice(None), *(slice(b, b + s) for s, (b, _) in zip(sizes, pads)))] = x
    return xp


def _voxel_window(voxel, kshape, stride, dil):
    return tuple(
        slice(o * s, o * s + (k - 1) * d + 1, d) for o, k, s, d in zip(voxel, kshape, stride, dil)
    )


def ref_conv3d(x, w, border_mode, stride, dil, flip, groups):
    k, cg = w.shape[:2]
    pads, out = ref_geometry(x.shape, w.shape, border_mode, stride, dil)
    xp = _padded(x, pads)
    wf = w[:, :, ::-1, ::-1, ::-1] if flip else w
    kg = k // groups
    y = np.zeros((x.shape[0], k, *out))
    for g in range(groups):
        for voxel in itertools.product(*map(range, out)):
            window = _voxel_window(voxel, w.shape[2:], stride, dil)
            patch = xp[(slice(None), slice(g * cg, (g + 1) * cg), *window)]
            y[(slice(None), slice(g * kg, (g + 1) * kg), *voxel)] = np.einsum(
                "ncdhw,kcdhw->nk", patch, wf[g * kg : (g + 1) * kg]
            )
    return y


def ref_grads3d(x, w, gy, border_mode, stride, dil, flip, groups):
    """(gx, gw) by back-propagating the loops of ``ref_conv3d``."""
    k, cg = w.shape[:2]
    pads, out = ref_geometry(x.shape, w.shape, border_mode, stride, dil)
    xp = _padded(x, pads)
    wf = w[:, :, ::-1, ::-1, ::-1] if flip else w
    gxp, gwf = np.zeros_like(xp), np.zeros(w.shape)
    kg = k // groups
    for g in range(groups):
        ks, cs = slice(g * kg, (g + 1) * kg), slice(g * cg, (g + 1) * cg)
        for voxel in itertools.product(*map(range, out)):
            window = (slice(None), cs, *_voxel_window(voxel, w.shape[2:], stride, dil))
            g_out = gy[(slice(None), ks, *voxel)]
            gxp[window] += np.einsum("nk,kcdhw->ncdhw", g_out, wf[ks])
            gwf[ks] += np.einsum("nk,ncdhw->kcdhw", g_out, xp[window])
    inside = tuple(slice(b, b + s) for s, (b, _) in zip(x.shape[2:], pads))
    gx = gxp[(slice(None), slice(None), *inside)]
    return gx, (gwf[:, :, ::-1, ::-1, ::-1] if flip else gwf)


# --------------------------------------------------------------------------- cases

TOL = {np.float32: dict(rtol=2e-4, atol=2e-4), np.float64: dict(rtol=1e-9, atol=1e-9)}

# The kernels' tuning constants forced to each extreme ("two": chunks of two images).
KNOBS = {
    "default": {},
    "batched_outer_col2im_nb1": dict(
        _PER_IMAGE_MIN_PIXELS=10**9, _BATCH_INNER_MAX_OW=0, _COST_ADD=0.0, _CHUNK_BYTES=1
    ),
    "batched_inner_forward_route": dict(
        _PER_IMAGE_MIN_PIXELS=10**9, _BATCH_INNER_MAX_OW=10**9, _COST_ADD=1e9
    ),
    "batched_inner_col2im_two": dict(
        _PER_IMAGE_MIN_PIXELS=10**9, _BATCH_INNER_MAX_OW=10**9, _COST_ADD=0.0, _CHUNK_BYTES="two"
    ),
    "per_image_forward_two": dict(_PER_IMAGE_MIN_PIXELS=0, _COST_ADD=1e9, _CHUNK_BYTES="two"),
    "per_image_col2im": dict(_PER_IMAGE_MIN_PIXELS=0, _COST_ADD=0.0),
}


@contextlib.contextmanager
def knobs(case):
    values = dict(KNOBS[case["knobs"]])
    if values.get("_CHUNK_BYTES") == "two":
        c, k = case["x_shape"][1], case["w_shape"][2:]
        values["_CHUNK_BYTES"] = 2 * c * int(np.prod(k)) * int(np.prod(case["out"])) * 8
    with mock.patch.multiple(ck, **values) if values else contextlib.nullcontext():
        yield


pads_3d = st.one_of(
    st.sampled_from(["valid", "full", "half"]),
    st.integers(0, 2),
    st.tuples(*[st.integers(0, 2)] * 3),
    st.tuples(*[st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)))] * 3),
)


@st.composite
def conv3d_cases(draw):
    groups = draw(st.integers(1, 2))
    cg, kg, n = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    kshape = tuple(draw(st.integers(1, 3)) for _ in range(3))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(3))
    dil = tuple(draw(st.integers(1, 2)) for _ in range(3))
    sizes = tuple(draw(st.integers(1, 6)) for _ in range(3))
    border_mode = draw(pads_3d)
    x_shape, w_shape = (n, groups * cg, *sizes), (groups * kg, cg, *kshape)
    _, out = ref_geometry(x_shape, w_shape, border_mode, stride, dil)
    assume(min(out) >= 1)
    return dict(
        x_shape=x_shape,
        w_shape=w_shape,
        out=out,
        border_mode=border_mode,
        stride=stride,
        dil=dil,
        flip=draw(st.booleans()),
        groups=groups,
        dtype=draw(st.sampled_from([np.float32, np.float64])),
        knobs=draw(st.sampled_from(sorted(KNOBS))),
        seed=draw(st.integers(0, 2**16)),
    )


def _arguments(case):
    return (case["border_mode"], case["stride"], case["dil"], case["flip"], case["groups"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(conv3d_cases())
def test_conv3d_and_its_gradients_match_loop_references(case):
    rng = np.random.default_rng(case["seed"])
    dt = case["dtype"]
    x = rng.standard_normal(case["x_shape"]).astype(dt)
    w = rng.standard_normal(case["w_shape"]).astype(dt)
    args = _arguments(case)
    expected = ref_conv3d(x.astype(np.float64), w.astype(np.float64), *args)
    gy = rng.standard_normal(expected.shape).astype(dt)
    gx_ref, gw_ref = ref_grads3d(x, w, gy.astype(np.float64), *args)
    with knobs(case):
        y = conv3d(x, w, *args)
        gx = conv3d_grad_inputs(gy, w, x.shape[2:], *args)
        gw = conv3d_grad_weights(x, gy, w.shape[2:], *args)
    for got, want in ((y, expected), (gx, gx_ref), (gw, gw_ref)):
        assert got.dtype == dt and got.shape == want.shape
        np.testing.assert_allclose(got, want, **TOL[dt])
    assert tuple(y.shape) == conv_output_shape(x.shape, w.shape, *args[:3], case["groups"])


def test_one_spatial_axis_per_border_mode_entry():
    assert normalize_border_mode((1, (0, 2), 3), (3, 3, 3)) == ((1, 1), (0, 2), (3, 3))
    assert normalize_border_mode("half", (3, 1, 5), (2, 1, 1)) == ((2, 2), (0, 0), (2, 2))
    assert normalize_border_mode(2, (1, 1, 1)) == ((2, 2),) * 3
    with pytest.raises(ValueError, match=r"one entry per spatial axis \(3\).*\(1, 1\)"):
        normalize_border_mode((1, 1), (3, 3, 3))


@pytest.mark.parametrize(
    "x_shape, w_shape, kw",
    [
        ((2, 3, 4, 5, 5), (4, 2, 3, 3, 3), {}),  # channel mismatch
        ((2, 3, 2, 5, 5), (4, 3, 3, 3, 3), {}),  # kernel deeper than the volume
        ((2, 3, 5, 5, 5), (4, 3, 3, 3, 3), dict(dilation=(3, 1, 1))),
        ((2, 3, 5, 5, 5), (4, 3, 3, 3, 3), dict(pads=(1, 1))),  # two entries for three axes
        ((2, 3, 5, 5, 5), (4, 3, 3, 3, 3), dict(subsample=(1, 0, 1))),
    ],
)
def test_conv3d_errors_name_both_shapes(x_shape, w_shape, kw):
    pattern = "(?s)" + ".*".join(re.escape(str(s)) for s in (x_shape, w_shape))
    with pytest.raises(ValueError, match=pattern):
        conv3d(np.zeros(x_shape), np.zeros(w_shape), **kw)


def test_the_2d_and_3d_entry_points_refuse_the_other_rank():
    with pytest.raises(ValueError, match=r"conv3d needs 5-d input.*\(1, 1, 3, 3\)"):
        conv3d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"conv2d needs 4-d input.*\(1, 1, 3, 3, 3\)"):
        conv2d(np.zeros((1, 1, 3, 3, 3)), np.zeros((1, 1, 2, 2, 2)))
    with pytest.raises(ValueError, match=r"conv3d_grad_weights needs .*\(2, 2\)"):
        conv3d_grad_weights(np.zeros((1, 1, 3, 3, 3)), np.zeros((1, 1, 2, 2, 2)), (2, 2))
    with pytest.raises(
        ValueError, match=r"output gradient shape \(1, 1, 2, 2, 2\).*\(1, 1, 1, 1, 1\)"
    ):
        conv3d_grad_inputs(np.zeros((1, 1, 2, 2, 2)), np.zeros((1, 1, 3, 3, 3)), (3, 3, 3))
