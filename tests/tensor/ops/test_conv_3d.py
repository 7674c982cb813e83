"""conv3d as graph ops: values against a plain loop reference on hypothesis-drawn
shapes and settings in both compile modes, gradients and grads of gradients by finite
differences, the public gradient functions, static and inferred shapes, printing and
errors naming the user's variables."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from helpers import compile_and_run
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T
from symgraph.tensor.ops.conv import Conv3d, Conv3dGradInputs, Conv3dGradWeights


def pads_of(border_mode, kernel, dilation):
    """One (before, after) pair per axis from the definition of each border_mode form."""
    dilated = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
    if border_mode == "valid":
        return [(0, 0)] * 3
    if border_mode == "full":
        return [(dk - 1, dk - 1) for dk in dilated]
    if border_mode == "half":
        return [(dk // 2, dk // 2) for dk in dilated]
    if isinstance(border_mode, int):
        return [(border_mode, border_mode)] * 3
    return [(b, b) if isinstance(b, int) else tuple(b) for b in border_mode]


def loop_conv3d(x, w, border_mode="valid", stride=(1, 1, 1), dilation=(1, 1, 1), flip=True,
                groups=1):  # fmt: skip
    """Direct definition, one output voxel at a time: correlate the zero-padded input with
    the (flipped) kernel of each group."""
    pads = pads_of(border_mode, w.shape[2:], dilation)
    xp = np.pad(x.astype(np.float64), [(0, 0), (0, 0), *pads])
    if flip:
        w = w[:, :, ::-1, ::-1, ::-1]
    k, cg = w.shape[:2]
    kg = k // groups
    out = [
        (size - (kk - 1) * d - 1) // s + 1
        for size, kk, d, s in zip(xp.shape[2:], w.shape[2:], dilation, stride)
    ]
    y = np.zeros((x.shape[0], k, *out))
    for g, od, oh, ow in itertools.product(range(groups), *map(range, out)):
        window = tuple(
            slice(o * s, o * s + (kk - 1) * d + 1, d)
            for o, s, kk, d in zip((od, oh, ow), stride, w.shape[2:], dilation)
        )
        patch = xp[(slice(None), slice(g * cg, (g + 1) * cg), *window)]
        y[:, g * kg : (g + 1) * kg, od, oh, ow] = np.tensordot(
            patch, w[g * kg : (g + 1) * kg], axes=([1, 2, 3, 4], [1, 2, 3, 4])
        )
    return y


BORDER_MODES = st.one_of(
    st.sampled_from(["valid", "full", "half"]),
    st.integers(0, 2),
    st.tuples(*[st.integers(0, 2)] * 3),
    st.tuples(st.tuples(st.integers(0, 2), st.integers(0, 2)), st.integers(0, 1), st.just(0)),
)


@st.composite
def conv3d_settings(draw):
    groups = draw(st.integers(1, 2))
    x_shape = (draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)),
               *(draw(st.integers(1, 5)) for _ in range(3)))  # fmt: skip
    w_shape = (groups * draw(st.integers(1, 2)), x_shape[1] // groups,
               *(draw(st.integers(1, 3)) for _ in range(3)))  # fmt: skip
    settings_ = dict(
        border_mode=draw(BORDER_MODES),
        subsample=tuple(draw(st.integers(1, 2)) for _ in range(3)),
        filter_dilation=tuple(draw(st.integers(1, 2)) for _ in range(3)),
        filter_flip=draw(st.booleans()),
        num_groups=groups,
    )
    pads = pads_of(settings_["border_mode"], w_shape[2:], settings_["filter_dilation"])
    for size, (before, after), k, d in zip(
        x_shape[2:], pads, w_shape[2:], settings_["filter_dilation"]
    ):
        assume(size + before + after >= (k - 1) * d + 1)
    return x_shape, w_shape, settings_, draw(st.sampled_from(["float32", "float64"]))


def _reference(x, w, s):
    return loop_conv3d(x, w, s["border_mode"], s["subsample"], s["filter_dilation"],
                       s["filter_flip"], s["num_groups"])  # fmt: skip


TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(conv3d_settings(), st.integers(0, 2**16), st.booleans())
def test_conv3d_matches_the_loop_reference_in_both_modes(drawn, seed, static):
    x_shape, w_shape, s, dtype = drawn
    rng = np.random.default_rng(seed)
    x_val = rng.standard_normal(x_shape).astype(dtype)
    w_val = rng.standard_normal(w_shape).astype(dtype)
    x = T.tensor(dtype, shape=x_shape if static else (None,) * 5, name="x")
    w = T.tensor(dtype, shape=w_shape if static else (None,) * 5, name="w")
    out = T.conv3d(x, w, **s)
    expected = _reference(x_val, w_val, s)
    if static:
        assert out.type.shape == expected.shape
    # compile_and_run: FAST_RUN and FAST_COMPILE agree, and infer_shape is the real shape
    got = compile_and_run([x, w], out, [x_val, w_val])
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, **TOL[dtype])


@pytest.mark.parametrize(
    "border_mode, stride, dilation, groups",
    [
        ("valid", (1, 1, 1), (1, 1, 1), 1),
        ("full", (1, 2, 1), (1, 1, 1), 1),
        ("half", (1, 1, 1), (2, 1, 1), 2),
        ((1, (0, 2), 0), (2, 1, 2), (1, 1, 1), 1),
    ],
)
def test_conv3d_gradients_by_finite_differences(border_mode, stride, dilation, groups):
    rng = np.random.default_rng(1)
    x_val = rng.random((2, 2, 5, 4, 5))
    w_val = rng.random((2, 2 // groups, 2, 3, 2))
    symgraph.verify_grad(
        lambda x, w: T.conv3d(
            x,
            w,
            border_mode=border_mode,
            subsample=stride,
            filter_dilation=dilation,
            num_groups=groups,
        ),  # fmt: skip
        [x_val, w_val],
        rng=rng,
    )


def test_conv3d_gradients_float32():
    rng = np.random.default_rng(2)
    x_val = rng.random((1, 2, 4, 4, 4)).astype("float32")
    w_val = rng.random((2, 2, 3, 3, 3)).astype("float32")
    symgraph.verify_grad(lambda x, w: T.conv3d(x, w, border_mode="half"), [x_val, w_val], rng=rng)


@pytest.mark.parametrize("stride", [(1, 1, 1), (2, 1, 2)])
def test_the_gradient_ops_have_gradients(stride):
    """Each gradient op differentiated by finite differences (their own gradients are
    built from the other two ops), and a gradient of a gradient."""
    rng = np.random.default_rng(3)
    x_val, w_val = rng.random((1, 2, 4, 5, 4)), rng.random((2, 2, 2, 3, 2))
    settings_ = dict(border_mode=1, subsample=stride)
    forward = T.conv3d(T.tensor("float64", shape=x_val.shape), w_val, **settings_)
    gy_val = rng.random(forward.type.shape)
    symgraph.verify_grad(
        lambda gy, w: T.conv3d_grad_wrt_inputs(gy, w, (1, 2, 4, 5, 4), **settings_),
        [gy_val, w_val],
        rng=rng,
    )
    symgraph.verify_grad(
        lambda x, gy: T.conv3d_grad_wrt_weights(x, gy, (2, 2, 2, 3, 2), **settings_),
        [x_val, gy_val],
        rng=rng,
    )

    def grad_of_weights(x, w):
        return symgraph.grad((T.conv3d(x, w, **settings_) ** 2).sum(), w)

    symgraph.verify_grad(grad_of_weights, [x_val, w_val], rng=rng)


def test_public_gradient_functions_and_the_adjoint_identity():
    rng = np.random.default_rng(4)
    x_val, w_val = rng.random((2, 3, 5, 4, 6)), rng.random((4, 3, 2, 3, 3))
    gy_val = rng.random((2, 4, 2, 1, 2))
    x, w, gy = T.dtensor5("x"), T.dtensor5("w"), T.dtensor5("gy")
    settings_ = dict(subsample=(2, 2, 2), border_mode="valid")
    out = T.conv3d(x, w, **settings_)
    gx_sym, gw_sym = symgraph.grad((out * gy).sum(), [x, w])
    gx_pub = T.conv3d_grad_wrt_inputs(gy, w, input_shape=x.shape, **settings_)
    gw_pub = T.nnet.conv3d_grad_wrt_weights(x, gy, filter_shape=(4, 3, 2, 3, 3), **settings_)
    f = symgraph.function([x, w, gy], [out, gx_sym, gx_pub, gw_sym, gw_pub])
    y, a, b, c, d = f(x_val, w_val, gy_val)
    assert y.shape == gy_val.shape
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(c, d)
    # <conv(x, w), gy> == <x, grad_inputs(gy)> == <w, grad_weights(x, gy)>
    np.testing.assert_allclose((y * gy_val).sum(), (x_val * b).sum())
    np.testing.assert_allclose((y * gy_val).sum(), (w_val * d).sum())
    assert {type(n.op) for n in f.fgraph.toposort()} >= {
        Conv3d,
        Conv3dGradInputs,
        Conv3dGradWeights,
    }


def test_printing_names_the_3d_ops():
    op = Conv3d("half", (1, 2, 1), (2, 1, 1), False, 1)
    assert str(op) == "Conv3d{half, stride=(1, 2, 1), flip=False, dilation=(2, 1, 1)}"
    assert str(Conv3dGradWeights(1, 2)) == "Conv3dGradWeights{1, stride=(2, 2, 2)}"
    x, w = T.dtensor5("x"), T.dtensor5("w")
    text = symgraph.debugprint(T.conv3d(x, w, border_mode="full"), file="str")
    assert "Conv3d{full, stride=(1, 1, 1), flip=True}" in text
    f = symgraph.function([x, w], symgraph.grad(T.conv3d(x, w).sum(), [x, w]))
    assert "conv3d_grad_inputs" in f.source and "conv3d_grad_weights" in f.source


def test_build_time_errors_name_the_variables_and_shapes():
    x = T.tensor("float64", shape=(2, 3, 5, 5, 5), name="volume")
    w = T.tensor("float64", shape=(4, 2, 3, 3, 3), name="kernel")
    with pytest.raises(ValueError, match=r"volume.*\(2, 3, 5, 5, 5\).*kernel.*\(4, 2, 3, 3, 3\)"):
        T.conv3d(x, w)
    with pytest.raises(TypeError, match=r"conv3d: the filters images must be 5-d.*4"):
        T.conv3d(x, T.dtensor4("images"))
    with pytest.raises(ValueError, match=r"conv3d: .*one entry per spatial axis.*\(1, 1\)"):
        T.conv3d(x, w, border_mode=(1, 1))
    with pytest.raises(ValueError, match=r"conv3d: subsample must be an int or a tuple of 3"):
        T.conv3d(x, w, subsample=(1, 1))
    with pytest.raises(ValueError, match=r"conv3d: input_shape must have 5 entries"):
        T.conv3d(T.dtensor5("v"), w, input_shape=(1, 3, 5, 5))


def test_call_time_errors_name_shapes():
    x, w = T.dtensor5("x"), T.dtensor5("w")
    f = symgraph.function([x, w], T.conv3d(x, w))
    with pytest.raises(ValueError, match=r"conv3d .*\(1, 3, 5, 5, 5\).*\(2, 4, 3, 3, 3\)"):
        f(np.ones((1, 3, 5, 5, 5)), np.ones((2, 4, 3, 3, 3)))
    g = symgraph.function([x, w], T.conv3d(x, w, filter_shape=(2, 3, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"declared filter_shape \(2, 3, 3, 3, 3\).*\(2, 3, 2"):
        g(np.ones((1, 3, 5, 5, 5)), np.ones((2, 3, 2, 3, 3)))
