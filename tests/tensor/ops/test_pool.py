"""pool_2d as a graph op: values against a loop reference (see test_pool_kernels),
gradients by finite differences, grad of grad, errors, and the legacy spelling."""

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T


def loop_max_pool(x, ws, ignore_border):
    h, w = x.shape[-2:]
    if ignore_border:
        oh, ow = h // ws[0], w // ws[1]
    else:
        oh, ow = -(-h // ws[0]), -(-w // ws[1])
    out = np.zeros(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = x[..., i * ws[0] : (i + 1) * ws[0], j * ws[1] : (j + 1) * ws[1]]
            out[..., i, j] = window.max(axis=(-2, -1))
    return out


@pytest.mark.parametrize("ignore_border", [True, False])
def test_max_pool_values_and_shapes(ignore_border):
    x_val = np.random.default_rng(6).random((2, 3, 5, 5))
    x = T.tensor("float64", shape=(2, 3, 5, 5), name="x")
    out = T.pool_2d(x, (2, 2), ignore_border=ignore_border)
    assert out.type.shape == ((2, 3, 2, 2) if ignore_border else (2, 3, 3, 3))
    np.testing.assert_allclose(
        symgraph.function([x], out)(x_val), loop_max_pool(x_val, (2, 2), ignore_border)
    )


@pytest.mark.parametrize("mode", ["max", "sum", "average_inc_pad", "average_exc_pad"])
@pytest.mark.parametrize(
    "ws, stride, pad, ignore_border",
    [
        ((2, 2), None, (0, 0), True),
        ((2, 2), None, (0, 0), False),
        ((3, 2), (1, 2), (0, 0), False),
        ((3, 3), (2, 2), (1, 1), True),
        ((2, 3), (1, 1), (1, 0), True),
    ],
)
def test_pool_gradients(mode, ws, stride, pad, ignore_border):
    rng = np.random.default_rng(7)
    x_val = rng.permutation(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) / 10.0  # no ties
    symgraph.verify_grad(
        lambda x: T.pool_2d(x, ws, ignore_border=ignore_border, stride=stride, pad=pad, mode=mode),
        [x_val],
        rng=rng,
    )


@pytest.mark.parametrize("mode", ["max", "average_inc_pad"])
def test_pool_grad_of_grad(mode):
    rng = np.random.default_rng(8)
    x_val = rng.permutation(2 * 6 * 6).reshape(1, 2, 6, 6) / 10.0
    symgraph.verify_grad(
        lambda x: symgraph.grad((T.pool_2d(x, (2, 2), mode=mode) ** 2).sum(), x), [x_val], rng=rng
    )
    # the max-pool gradient's gradient with respect to its upstream gradient
    gy = T.dtensor4("gy")
    x = T.dtensor4("x")
    out = T.pool_2d(x, (2, 2), mode=mode)
    gx = symgraph.grad((out * gy).sum(), x)
    hessian_vector = symgraph.grad((gx * T.constant(np.ones((1, 2, 6, 6)))).sum(), gy)
    f = symgraph.function([x, gy], hessian_vector)
    result = f(x_val, rng.random((1, 2, 3, 3)))
    if mode == "max":
        np.testing.assert_allclose(result, np.ones((1, 2, 3, 3)))  # one max per window
    else:
        np.testing.assert_allclose(result, np.ones((1, 2, 3, 3)))  # averages of ones


def test_pool_errors():
    x = T.dtensor4("x")
    with pytest.raises(ValueError, match="ignore_border"):
        T.pool_2d(x, (2, 2), pad=(1, 1), ignore_border=False)
    for mode in ("median", "average"):  # Theano refused a plain "average" too
        with pytest.raises(ValueError, match="average_inc_pad, average_exc_pad"):
            T.pool_2d(x, (2, 2), mode=mode)
    with pytest.raises(TypeError, match="at least 2 dimensions"):
        T.pool_2d(T.dvector("v"), (2, 2))
