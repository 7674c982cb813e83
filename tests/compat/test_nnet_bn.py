"""``theano.tensor.nnet.bn``: batch normalization from the batch's statistics (training,
with running averages) and from given ones (inference), against NumPy written here and
finite differences."""

import numpy as np
import pytest

import symgraph


def _numpy_train(x, gamma, beta, axes, eps, factor, running_mean, running_var):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    invstd = 1 / np.sqrt(var + eps)
    out = (x - mean) * gamma * invstd + beta
    count = np.prod([x.shape[a] for a in axes])
    new_mean = running_mean * (1 - factor) + mean * factor
    new_var = running_var * (1 - factor) + var * count / (count - 1) * factor
    return out, mean, invstd, new_mean, new_var


@pytest.mark.parametrize(
    "shape, axes, expanded",
    [
        ((6, 4), "per-activation", (0,)),
        ((3, 2, 4, 5), "spatial", (0, 2, 3)),
        ((3, 2, 4, 5), (0, 1), (0, 1)),
        ((4, 3, 1, 2, 2), "spatial", (0, 2, 3, 4)),
    ],
)
@pytest.mark.parametrize("full_rank_params", [True, False])
def test_batch_normalization_train_and_test_match_numpy(
    theano, shape, axes, expanded, full_rank_params
):
    T, bn = theano.tensor, theano.tensor.nnet.bn
    rng = np.random.default_rng(7)
    param_shape = tuple(1 if d in expanded else n for d, n in enumerate(shape))
    x_value = 4 + 3 * rng.standard_normal(shape)
    params = [rng.standard_normal(param_shape) for _ in range(4)]
    params[3] = np.abs(params[3]) + 0.5  # a variance
    x = T.TensorType("float64", (False,) * len(shape))("x")
    if full_rank_params:
        param_vars = [T.TensorType("float64", (False,) * len(shape))(n) for n in "gbmv"]
        given = params
    else:
        kept = [d for d in range(len(shape)) if d not in expanded]
        param_vars = [T.TensorType("float64", (False,) * len(kept))(n) for n in "gbmv"]
        given = [p.reshape([shape[d] for d in kept]) for p in params]
    g, b, m, v = param_vars
    train = bn.batch_normalization_train(x, g, b, axes, 1e-4, 0.3, m, v)
    test = bn.batch_normalization_test(x, g, b, m, v, axes, 1e-4)
    f = theano.function([x, *param_vars], [*train, test])
    got = f(x_value, *given)
    expected = _numpy_train(x_value, *params[:2], expanded, 1e-4, 0.3, *params[2:])
    for value, reference in zip(got[:5], expected):
        np.testing.assert_allclose(value.reshape(reference.shape), reference, rtol=1e-10)
    assert got[1].shape == given[0].shape  # statistics given back in the parameters' layout
    inference = (x_value - params[2]) * params[0] / np.sqrt(params[3] + 1e-4) + params[1]
    np.testing.assert_allclose(got[5], inference, rtol=1e-10)


def test_batch_normalization_train_gradients(theano):
    T, bn = theano.tensor, theano.tensor.nnet.bn
    rng = np.random.default_rng(1)
    x_value = 2 + rng.standard_normal((5, 3, 2))
    gamma, beta = rng.standard_normal((1, 3, 1)), rng.standard_normal((1, 3, 1))

    def out(x, g, b):
        return bn.batch_normalization_train(x, g, b, "spatial")[0]

    symgraph.verify_grad(out, [x_value, gamma, beta], rng=rng)
    # the op class's gradient formula is the autodiff of the training expression
    x, dy = T.tensor3("x"), T.tensor3("dy")
    g = T.TensorType("float64", (True, False, True))("g")
    bt = T.TensorType("float64", (True, False, True))("b")
    out_, mean, invstd = bn.batch_normalization_train(x, g, bt, "spatial")
    autodiff = T.grad(None, [x, g, bt], known_grads={out_: dy})
    formula = bn.AbstractBatchNormTrainGrad((0, 2))(x, dy, g, mean, invstd)
    f = theano.function([x, dy, g, bt], autodiff + formula, on_unused_input="ignore")
    values = f(x_value, rng.standard_normal((5, 3, 2)), gamma, beta)
    for a, c in zip(values[:3], values[3:]):
        np.testing.assert_allclose(c, a, rtol=1e-9, atol=1e-12)


def test_batch_normalization_errors_name_the_argument(theano):
    T, bn = theano.tensor, theano.tensor.nnet.bn
    x = T.tensor4("x")
    with pytest.raises(ValueError, match="gamma must have 1 dimensions"):
        bn.batch_normalization_train(x, T.matrix(), T.vector(), "spatial")
    with pytest.raises(ValueError, match="both be given"):
        bn.batch_normalization_train(x, T.vector(), T.vector(), "spatial", running_mean=T.vector())
    with pytest.raises(ValueError, match="epsilon"):
        bn.batch_normalization_test(x, *[T.vector()] * 4, "spatial", epsilon=1e-6)
    with pytest.raises(ValueError, match="axes"):
        bn.batch_normalization_train(x, T.vector(), T.vector(), (0, 4))
