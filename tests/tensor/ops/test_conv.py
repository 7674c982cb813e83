"""conv2d as a graph op: values against a loop reference (see test_conv_kernels),
gradients by finite differences, grad of grad, static shapes, errors, and the legacy
spellings; the shapes of the full-mode convnet tutorial."""

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T

BORDER_MODES = ["valid", "full", "half", 1, (2, 1), ((1, 0), (0, 2))]


def loop_conv(x, w, pads, stride, flip):
    """Direct definition: correlate the zero-padded input with the (flipped) kernel."""
    (pt, pb), (pl, pr) = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    if flip:
        w = w[:, :, ::-1, ::-1]
    n, c, h, wd = xp.shape
    k, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride[0] + 1, (wd - kw) // stride[1] + 1
    out = np.zeros((n, k, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride[0] : i * stride[0] + kh, j * stride[1] : j * stride[1] + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out


def pads_of(mode, k):
    if mode == "valid":
        return ((0, 0), (0, 0))
    if mode == "full":
        return ((k[0] - 1,) * 2, (k[1] - 1,) * 2)
    if mode == "half":
        return ((k[0] // 2,) * 2, (k[1] // 2,) * 2)
    if isinstance(mode, int):
        return ((mode, mode), (mode, mode))
    if isinstance(mode[0], int):
        return ((mode[0],) * 2, (mode[1],) * 2)
    return mode


@pytest.mark.parametrize("mode", BORDER_MODES, ids=str)
@pytest.mark.parametrize("stride", [(1, 1), (2, 1)])
@pytest.mark.parametrize("flip", [True, False])
def test_conv2d_values_and_static_shape(mode, stride, flip):
    rng = np.random.default_rng(0)
    x_val, w_val = rng.random((2, 3, 7, 6)), rng.random((4, 3, 3, 2))
    x = T.tensor("float64", shape=(2, 3, 7, 6), name="x")
    w = T.tensor("float64", shape=(4, 3, 3, 2), name="w")
    out = T.conv2d(x, w, border_mode=mode, subsample=stride, filter_flip=flip)
    expected = loop_conv(x_val, w_val, pads_of(mode, (3, 2)), stride, flip)
    assert out.type.shape == expected.shape
    for compile_mode in ("FAST_RUN", "FAST_COMPILE"):
        got = symgraph.function([x, w], out, mode=compile_mode)(x_val, w_val)
        np.testing.assert_allclose(got, expected, rtol=1e-10)


@pytest.mark.parametrize("mode", BORDER_MODES, ids=str)
@pytest.mark.parametrize(
    "stride, dilation, groups",
    [((1, 1), (1, 1), 1), ((2, 2), (1, 1), 1), ((1, 1), (2, 1), 1), ((1, 2), (1, 1), 2)],
)
def test_conv2d_gradients(mode, stride, dilation, groups):
    rng = np.random.default_rng(1)
    x_val = rng.random((2, 4, 7, 6))
    w_val = rng.random((4, 4 // groups, 3, 2))
    symgraph.verify_grad(
        lambda x, w: T.conv2d(
            x, w, border_mode=mode, subsample=stride, filter_dilation=dilation, num_groups=groups
        ),
        [x_val, w_val],
        rng=rng,
    )


def test_conv2d_gradients_float32():
    rng = np.random.default_rng(2)
    x_val = rng.random((2, 2, 6, 6)).astype("float32")
    w_val = rng.random((3, 2, 3, 3)).astype("float32")
    symgraph.verify_grad(lambda x, w: T.conv2d(x, w, border_mode="half"), [x_val, w_val], rng=rng)


@pytest.mark.parametrize("stride", [(1, 1), (2, 2)])
def test_conv2d_grad_of_grad(stride):
    rng = np.random.default_rng(3)
    x_val, w_val = rng.random((2, 2, 6, 5)), rng.random((3, 2, 3, 2))

    def grad_wrt(which):
        def fn(x, w):
            cost = (T.conv2d(x, w, subsample=stride) ** 2).sum()
            return symgraph.grad(cost, x if which == "x" else w)

        return fn

    symgraph.verify_grad(grad_wrt("x"), [x_val, w_val], rng=rng)
    symgraph.verify_grad(grad_wrt("w"), [x_val, w_val], rng=rng)


def test_public_gradient_ops_and_transpose():
    rng = np.random.default_rng(4)
    x_val, w_val = rng.random((2, 3, 6, 6)), rng.random((4, 3, 3, 3))
    gy_val = rng.random((2, 4, 4, 4))
    x, w, gy = T.dtensor4("x"), T.dtensor4("w"), T.dtensor4("gy")
    out = T.conv2d(x, w)
    gx_sym, gw_sym = symgraph.grad((out * gy).sum(), [x, w])
    gx_pub = T.conv2d_grad_wrt_inputs(gy, w, input_shape=(2, 3, 6, 6))
    gw_pub = T.conv2d_grad_wrt_weights(x, gy, filter_shape=(4, 3, 3, 3))
    tr = T.conv2d_transpose(gy, w, output_shape=x.shape)
    f = symgraph.function([x, w, gy], [gx_sym, gx_pub, gw_sym, gw_pub, tr])
    a, b, c, d, e = f(x_val, w_val, gy_val)
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(c, d)
    np.testing.assert_allclose(e, a)
    # adjoint identity against the forward: <conv(x), gy> == <x, grad_inputs(gy)>
    forward = symgraph.function([x, w], out)(x_val, w_val)
    np.testing.assert_allclose((forward * gy_val).sum(), (x_val * b).sum())


def test_conv2d_build_time_errors_name_shapes():
    x = T.tensor("float64", shape=(2, 3, 5, 5), name="x")
    w = T.tensor("float64", shape=(4, 2, 3, 3), name="w")
    with pytest.raises(ValueError, match=r"x.*\(2, 3, 5, 5\).*w.*\(4, 2, 3, 3\)"):
        T.conv2d(x, w)
    big = T.tensor("float64", shape=(4, 3, 7, 7), name="big")
    with pytest.raises(ValueError, match=r"\(2, 3, 5, 5\).*\(4, 3, 7, 7\)"):
        T.conv2d(x, big)


def test_conv2d_call_time_errors_name_shapes():
    x, w = T.dtensor4("x"), T.dtensor4("w")
    f = symgraph.function([x, w], T.conv2d(x, w))
    with pytest.raises(ValueError, match=r"\(1, 3, 5, 5\).*\(2, 4, 3, 3\)"):
        f(np.ones((1, 3, 5, 5)), np.ones((2, 4, 3, 3)))
    g = symgraph.function([x, w], T.conv2d(x, w, input_shape=(1, 3, 5, 5)))
    with pytest.raises(ValueError, match=r"declared input_shape \(1, 3, 5, 5\).*\(1, 3, 6, 6\)"):
        g(np.ones((1, 3, 6, 6)), np.ones((2, 3, 3, 3)))


def test_full_mode_convnet_shapes():
    """conv 3x3 'full' -> max-pool 2x2 (ignore_border=False) -> dropout -> conv 3x3 -> pool
    -> conv 3x3 -> pool -> flatten(2), on 28x28 inputs: 30, 15, 13, 7, 5, 3 and 128*3*3."""
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tutorials"))
    import convnet_full_mode

    with symgraph.config.change_flags(floatX="float64"):
        train, predict, maps, x = convnet_full_mode.build()
    c1, p1, c2, p2, c3, p3, flat = maps
    assert [v.type.shape[2] for v in (c1, p1, c2, p2, c3, p3)] == [30, 15, 13, 7, 5, 3]
    assert flat.type.shape == (None, 128 * 3 * 3)
    rng = np.random.default_rng(10)
    values = symgraph.function([x], list(maps))(rng.random((2, 1, 28, 28)))
    assert [v.shape[2] for v in values[:-1]] == [30, 15, 13, 7, 5, 3]
    assert values[-1].shape == (2, 1152)
    images = rng.random((4, 1, 28, 28))
    labels = np.array([0, 1, 2, 3], dtype="int32")
    first, second = train(images, labels), train(images, labels)
    assert np.isfinite(first) and first != second  # dropout draws a new mask each call
    assert predict(images).shape == (4,)
