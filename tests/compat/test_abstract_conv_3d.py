"""Theano's 3-d convolution names: ``T.nnet.conv3d``, ``conv3d_grad_wrt_inputs`` /
``conv3d_grad_wrt_weights`` and the ``AbstractConv3d`` classes, called as Theano 1.0 code
called them, against a plain NumPy reference written here; and a small 3-d conv net
(conv3d, pool_3d, a dense softmax layer) trained through ``theano.function``."""

import itertools

import numpy as np
import pytest

import symgraph
import symgraph.compat.theano as theano
import symgraph.compat.theano.tensor as T
from symgraph.compat.theano.tensor.nnet import abstract_conv as A
from symgraph.compat.theano.tensor.signal.pool import pool_3d


def reference_conv3d(x, w, border_mode, subsample, dilation, flip):
    """Sum over the kernel taps of the zero-padded input's strided, shifted slices."""
    if border_mode in ("valid", "full", "half"):
        dilated = [(k - 1) * d + 1 for k, d in zip(w.shape[2:], dilation)]
        pads = {
            "valid": [0, 0, 0],
            "full": [dk - 1 for dk in dilated],
            "half": [dk // 2 for dk in dilated],
        }[border_mode]
    else:
        pads = [border_mode] * 3 if isinstance(border_mode, int) else list(border_mode)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pads])
    if flip:
        w = w[:, :, ::-1, ::-1, ::-1]
    out = [
        (size - (k - 1) * d - 1) // s + 1
        for size, k, d, s in zip(xp.shape[2:], w.shape[2:], dilation, subsample)
    ]
    y = np.zeros((x.shape[0], w.shape[0], *out))
    for tap in itertools.product(*map(range, w.shape[2:])):
        window = tuple(
            slice(t * d, t * d + (o - 1) * s + 1, s)
            for t, d, o, s in zip(tap, dilation, out, subsample)
        )
        y += np.einsum("bc...,oc->bo...", xp[(slice(None), slice(None), *window)],
                       w[(slice(None), slice(None), *tap)])  # fmt: skip
    return y


CONV_SETTINGS = [
    ("valid", (1, 1, 1), (1, 1, 1), True),
    ("full", (1, 2, 1), (1, 1, 1), False),
    ("half", (1, 1, 1), (1, 2, 1), True),
    (1, (2, 2, 2), (1, 1, 1), True),
    ((0, 2, 1), (1, 1, 2), (2, 1, 1), False),
]


@pytest.mark.parametrize("border_mode, subsample, dilation, flip", CONV_SETTINGS)
def test_nnet_conv3d_and_the_abstract_classes_as_theano_called_them(
    border_mode, subsample, dilation, flip
):
    rng = np.random.default_rng(3)
    image_shape, kernel_shape = (2, 3, 6, 7, 5), (4, 3, 3, 2, 2)
    x, w, gy = T.dtensor5("x"), T.dtensor5("w"), T.dtensor5("gy")
    image, kernel = rng.normal(size=image_shape), rng.normal(size=kernel_shape)
    expected = reference_conv3d(image, kernel, border_mode, subsample, dilation, flip)

    # positionally, in Theano's argument order
    out = T.nnet.conv3d(x, w, image_shape, kernel_shape, border_mode, subsample, flip, dilation)
    np.testing.assert_allclose(theano.function([x, w], out)(image, kernel), expected, atol=1e-10)
    settings = dict(
        border_mode=border_mode, subsample=subsample, filter_flip=flip, filter_dilation=dilation
    )
    op = A.AbstractConv3d(imshp=image_shape, kshp=kernel_shape, **settings)
    np.testing.assert_allclose(
        theano.function([x, w], op(x, w))(image, kernel), expected, atol=1e-10
    )

    # The two gradient classes are the transposes of the forward conv: theano.grad's.
    top = rng.normal(size=expected.shape)
    cost = (T.nnet.conv3d(x, w, **settings) * gy).sum()
    expected_x, expected_w = theano.function([x, w, gy], theano.grad(cost, [x, w]))(
        image, kernel, top
    )
    grad_inputs = A.AbstractConv3d_gradInputs(imshp=image_shape, kshp=kernel_shape, **settings)
    grad_weights = A.AbstractConv3d_gradWeights(imshp=image_shape, kshp=kernel_shape, **settings)
    got_x = theano.function([w, gy], grad_inputs(w, gy, image_shape[2:]))(kernel, top)
    got_w = theano.function([x, gy], grad_weights(x, gy, kernel_shape[2:]))(image, top)
    np.testing.assert_allclose(got_x, expected_x, atol=1e-10)
    np.testing.assert_allclose(got_w, expected_w, atol=1e-10)
    # <conv(x), top> == <x, grad_inputs(top)>: the transpose, independently of grad
    np.testing.assert_allclose((expected * top).sum(), (image * got_x).sum())
    # ... and the module's functions, with symbolic shapes as Theano's grad passed them
    by_function_x = A.conv3d_grad_wrt_inputs(gy, w, x.shape, kernel_shape, **settings)
    by_function_w = T.nnet.conv3d_grad_wrt_weights(x, gy, w.shape, image_shape, **settings)
    f = theano.function([x, w, gy], [by_function_x, by_function_w])
    for got, want in zip(f(image, kernel, top), (expected_x, expected_w)):
        np.testing.assert_allclose(got, want, atol=1e-10)


def test_abstract_conv3d_gradients_by_finite_differences():
    rng = np.random.default_rng(5)
    op = A.AbstractConv3d(border_mode="half", subsample=(2, 1, 1), filter_flip=False)
    symgraph.verify_grad(
        op, [rng.normal(size=(1, 2, 4, 3, 4)), rng.normal(size=(2, 2, 3, 3, 1))], rng=rng
    )
    grad_inputs = A.AbstractConv3d_gradInputs(border_mode=1, subsample=(2, 2, 1))
    symgraph.verify_grad(
        lambda w, top: grad_inputs(w, top, (4, 5, 3)),
        [rng.normal(size=(3, 2, 3, 3, 2)), rng.normal(size=(1, 3, 2, 3, 4))],
        rng=rng,
    )


def test_abstract_conv3d_settings_equality_text_and_errors():
    op = A.AbstractConv3d(border_mode=(0, 0, 0), subsample=[2, 1, 1])
    assert op == A.AbstractConv3d(subsample=(2, 1, 1)) and op.border_mode == "valid"
    assert hash(op) == hash(A.AbstractConv3d(subsample=(2, 1, 1)))
    assert op != A.AbstractConv3d_gradWeights(subsample=(2, 1, 1))
    assert A.AbstractConv3d(border_mode=2).border_mode == (2, 2, 2)
    assert str(A.AbstractConv3d_gradInputs(kshp=(4, 3, 3, 3, 3))) == (
        "AbstractConv3d_gradInputs{convdim=3, border_mode='valid', subsample=(1, 1, 1), "
        "filter_flip=True, imshp=(None, None, None, None, None), kshp=(4, 3, 3, 3, 3), "
        "filter_dilation=(1, 1, 1), num_groups=1, unshared=False}"
    )
    with pytest.raises(ValueError, match="exactly 3 values"):
        A.AbstractConv3d(border_mode=(1, 1))
    with pytest.raises(ValueError, match="AbstractConv3d: subsample must have 3"):
        A.AbstractConv3d(subsample=(1, 1))
    with pytest.raises(ValueError, match="kshp must have 5 entries"):
        A.AbstractConv3d_gradWeights(kshp=(4, 3, 3, 3))
    with pytest.raises(ValueError, match="shape must hold the 3 spatial sizes"):
        A.AbstractConv3d_gradInputs()(T.dtensor5("w"), T.dtensor5("top"), (5, 5))
    w, top = T.dtensor5("w"), T.dtensor5("top")
    f = theano.function(
        [w, top], A.AbstractConv3d_gradInputs(kshp=(4, 3, 3, 3, 3))(w, top, (5, 5, 5))
    )
    with pytest.raises(AssertionError, match="does not match given kshp"):
        f(np.ones((4, 3, 2, 2, 2)), np.ones((1, 4, 4, 4, 4)))
    x = T.dtensor5("x")
    g = theano.function([x, w], A.AbstractConv3d(imshp=(1, 3, 5, 5, 5))(x, w))
    with pytest.raises(ValueError, match="input_shape"):
        g(np.ones((1, 3, 6, 5, 5)), np.ones((4, 3, 3, 3, 3)))


def test_a_small_3d_conv_net_trains_through_theano_function():
    """conv3d (3x3x3 'half') -> relu -> pool_3d 2x2x2 -> dense softmax, on volumes whose
    class is which half of the volume is bright; plain SGD lowers the cost and learns it."""
    rng = np.random.default_rng(7)
    floatX = "float64"
    n, size = 16, 4
    labels = rng.integers(0, 2, size=n).astype("int32")
    volumes = rng.normal(scale=0.1, size=(n, 1, size, size, size))
    for i, label in enumerate(labels):
        volumes[i, 0, : size // 2] += 1.0 if label else 0.0
        volumes[i, 0, size // 2 :] += 0.0 if label else 1.0
    x, y = T.dtensor5("x"), T.ivector("y")
    W = theano.shared(rng.normal(scale=0.3, size=(3, 1, 3, 3, 3)).astype(floatX), name="W")
    b = theano.shared(np.zeros(3, dtype=floatX), name="b")
    V = theano.shared(rng.normal(scale=0.3, size=(3 * 2 * 2 * 2, 2)).astype(floatX), name="V")
    c = theano.shared(np.zeros(2, dtype=floatX), name="c")
    feature_maps = T.nnet.relu(
        T.nnet.conv3d(x, W, filter_shape=(3, 1, 3, 3, 3), border_mode="half")
        + b.dimshuffle("x", 0, "x", "x", "x")
    )
    pooled = pool_3d(feature_maps, (2, 2, 2), ignore_border=True)
    p = T.nnet.softmax(T.dot(pooled.flatten(2), V) + c)
    cost = T.nnet.categorical_crossentropy(p, y).mean()
    params = [W, b, V, c]
    updates = [(v, v - 0.5 * g) for v, g in zip(params, theano.grad(cost, params))]
    train = theano.function([x, y], cost, updates=updates)
    predict = theano.function([x], T.argmax(p, axis=1))
    costs = [float(train(volumes, labels)) for _ in range(30)]
    assert costs[-1] < 0.5 * costs[0], costs
    assert (predict(volumes) == labels).mean() == 1.0
