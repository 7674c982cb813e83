"""``theano.tensor.nnet.bn``: batch normalization, from given statistics
(``batch_normalization``) or from the batch's own (``batch_normalization_train``, with
running averages, and ``batch_normalization_test``).

Theano 1.0 declared abstract ops (``AbstractBatchNormTrain``, ``...Inference``,
``...TrainGrad``) that its optimizer replaced by element-wise graphs on the CPU. Here the
functions build those element-wise graphs directly, so the gradients (and their gradients)
are the autodiff of the expressions Theano documented; the three class names exist and
build the same graphs when called as Theano's ops were.
"""

from __future__ import annotations

import numpy as np

from symgraph.compat.theano.configparser import config
from symgraph.tensor import as_tensor
from symgraph.tensor.ops import math as _math
from symgraph.tensor.ops.shape import addbroadcast, patternbroadcast

__all__ = [
    "AbstractBatchNormInference",
    "AbstractBatchNormTrain",
    "AbstractBatchNormTrainGrad",
    "batch_normalization",
    "batch_normalization_test",
    "batch_normalization_train",
]


def batch_normalization(inputs, gamma, beta, mean, std, mode="low_mem"):
    """``(inputs - mean) * (gamma / std) + beta``, all broadcasting element-wise.

    ``mode`` ('low_mem' or 'high_mem') chose between two Theano kernels with the same
    result; both give this expression here.
    """
    if mode not in ("low_mem", "high_mem"):
        raise ValueError(f'mode must be either "low_mem", "high_mem", got {mode!r}')
    scaled = _math.mul(_math.sub(inputs, mean), _math.true_div(gamma, std))
    return _math.add(scaled, beta)


def _normalization_axes(axes, ndim: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(the normalized axes, sorted; the others) for ``axes`` given as Theano took it."""
    if isinstance(axes, str) and axes == "per-activation":
        axes = (0,)
    elif isinstance(axes, str) and axes == "spatial":
        axes = (0, *range(2, ndim))
    elif isinstance(axes, (tuple, list, np.ndarray)):
        axes = tuple(int(a) for a in axes)
    else:
        raise ValueError(f"invalid axes: {axes!r} ('per-activation', 'spatial' or ints)")
    axes = tuple(sorted(axes))
    if not axes:
        raise ValueError("there should be at least one normalization axis")
    if min(axes) < 0 or max(axes) >= ndim:
        raise ValueError(f"axes must be in [0, {ndim}) for a {ndim}-d input, got {axes}")
    return axes, tuple(i for i in range(ndim) if i not in axes)


def _checked_epsilon(epsilon):
    # compared in floatX: float32(1e-5) is a little below 1e-5
    value = np.asarray(epsilon, dtype=config.floatX)
    if value < np.asarray(1e-5, dtype=config.floatX):
        raise ValueError(f"epsilon must be at least 1e-5, got {epsilon}")
    return value


class _Parameters:
    """How per-feature tensors (gamma, beta, statistics) meet the input: given with the
    input's rank (broadcastable along the normalized axes), or with only the other axes
    (then expanded, and results given back in that layout)."""

    def __init__(self, inputs, gamma, axes, kept) -> None:
        self.ndim, self.axes, self.kept = inputs.ndim, axes, kept
        self.expanded = gamma.ndim != inputs.ndim
        self.rank = len(kept) if self.expanded else inputs.ndim

    def check(self, name: str, value) -> None:
        if value.ndim != self.rank:
            raise ValueError(
                f"{name} must have {self.rank} dimensions (the input's {self.ndim} less the "
                f"{len(self.axes)} normalized ones, or all of them), got {value.ndim}"
            )

    def broadcast(self, value):
        if not self.expanded:
            return addbroadcast(value, *self.axes)
        pattern = ["x"] * self.ndim
        for i, axis in enumerate(self.kept):
            pattern[axis] = i
        return value.dimshuffle(pattern)

    def given_back(self, value):
        return value.dimshuffle(self.kept) if self.expanded else value


def _statistics(inputs, axes, epsilon):
    mean = inputs.mean(axis=axes, keepdims=True)
    var = inputs.var(axis=axes, keepdims=True)
    invstd = _math.true_div(1, _math.sqrt(var + epsilon))
    return mean, var, invstd


def batch_normalization_train(
    inputs,
    gamma,
    beta,
    axes="per-activation",
    epsilon=1e-4,
    running_average_factor=0.1,
    running_mean=None,
    running_var=None,
):
    """Normalize ``inputs`` by their mean and variance over ``axes`` ('per-activation':
    ``(0,)``; 'spatial': ``(0, 2, 3, ...)``; or a tuple), then scale by ``gamma`` and shift
    by ``beta``. Returns ``(out, mean, invstd)``, and with ``running_mean`` and
    ``running_var`` also their updated values: ``running * (1 - factor) + batch * factor``,
    the batch variance made unbiased (times ``m / (m - 1)``, ``m`` the number of values
    averaged)."""
    inputs, gamma, beta = as_tensor(inputs), as_tensor(gamma), as_tensor(beta)
    axes, kept = _normalization_axes(axes, inputs.ndim)
    params = _Parameters(inputs, gamma, axes, kept)
    params.check("gamma", gamma)
    params.check("beta", beta)
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be given or both be None")
    epsilon = _checked_epsilon(epsilon)
    gamma, beta = params.broadcast(gamma), params.broadcast(beta)
    mean, var, invstd = _statistics(inputs, axes, epsilon)
    out = (inputs - mean) * (gamma * invstd) + beta
    results = [out, mean, invstd]
    if running_mean is not None:
        running_mean, running_var = as_tensor(running_mean), as_tensor(running_var)
        params.check("running_mean", running_mean)
        params.check("running_var", running_var)
        factor = running_average_factor
        count = _math.prod([inputs.shape[a] for a in axes]).astype(config.floatX)
        for running, batch in ((running_mean, mean), (running_var, var * (count / (count - 1)))):
            broadcast = params.broadcast(running)
            updated = broadcast * (1 - factor) + batch * factor
            results.append(patternbroadcast(updated, broadcast.broadcastable))
    return tuple([out] + [params.given_back(r) for r in results[1:]])


def batch_normalization_test(inputs, gamma, beta, mean, var, axes="per-activation", epsilon=1e-4):
    """``(inputs - mean) * gamma / sqrt(var + epsilon) + beta`` with given statistics (the
    running averages at inference), the per-feature tensors laid out as for
    :func:`batch_normalization_train`."""
    inputs = as_tensor(inputs)
    gamma, beta, mean, var = (as_tensor(v) for v in (gamma, beta, mean, var))
    axes, kept = _normalization_axes(axes, inputs.ndim)
    params = _Parameters(inputs, gamma, axes, kept)
    for name, value in (("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var)):
        params.check(name, value)
    epsilon = _checked_epsilon(epsilon)
    gamma, beta, mean, var = (params.broadcast(v) for v in (gamma, beta, mean, var))
    return (inputs - mean) * (gamma / _math.sqrt(var + epsilon)) + beta


class _BatchNormOp:
    """Theano's batch-norm op classes, called as Theano called them, building the
    element-wise graphs (every per-feature input has the input's rank)."""

    def __init__(self, axes=(0,)) -> None:
        self.axes = tuple(int(a) for a in axes)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.axes == self.axes

    def __hash__(self) -> int:
        return hash((type(self), self.axes))

    def __str__(self) -> str:
        return f"{type(self).__name__}{{axes={self.axes}}}"


class AbstractBatchNormTrain(_BatchNormOp):
    """``AbstractBatchNormTrain(axes)(x, scale, bias, epsilon, running_average_factor,
    running_mean, running_var)``: the outputs of :func:`batch_normalization_train`."""

    def __call__(self, x, scale, bias, epsilon=1e-4, running_average_factor=0.1,
                 running_mean=None, running_var=None):  # fmt: skip
        return list(
            batch_normalization_train(
                x,
                scale,
                bias,
                self.axes,
                epsilon,
                running_average_factor,
                running_mean,
                running_var,
            )
        )


class AbstractBatchNormInference(_BatchNormOp):
    """``AbstractBatchNormInference(axes)(x, scale, bias, estimated_mean,
    estimated_variance, epsilon)``: :func:`batch_normalization_test`."""

    def __call__(self, x, scale, bias, estimated_mean, estimated_variance, epsilon=1e-4):
        return batch_normalization_test(
            x, scale, bias, estimated_mean, estimated_variance, self.axes, epsilon
        )


class AbstractBatchNormTrainGrad(_BatchNormOp):
    """``AbstractBatchNormTrainGrad(axes)(x, dy, scale, x_mean, x_invstd, epsilon)``: the
    gradients ``[d inputs, d scale, d bias]`` of a training batch normalization whose
    output gradient is ``dy``, given the batch statistics it computed."""

    def __call__(self, x, dy, scale, x_mean, x_invstd, epsilon=1e-4):
        x, dy = as_tensor(x), as_tensor(dy)
        scale, x_mean, x_invstd = (
            addbroadcast(as_tensor(v), *self.axes) for v in (scale, x_mean, x_invstd)
        )
        centred = x - x_mean
        # d out / d x through the statistics: the mean removes the average of the incoming
        # gradient, the variance its component along the centred input
        along_centred = (dy * centred).mean(axis=self.axes, keepdims=True)
        through_invstd = dy * x_invstd - centred * along_centred * x_invstd**3
        g_inputs = scale * (through_invstd - through_invstd.mean(axis=self.axes, keepdims=True))
        g_scale = (dy * x_invstd * centred).sum(axis=self.axes, keepdims=True)
        g_bias = dy.sum(axis=self.axes, keepdims=True)
        return [g_inputs, g_scale, g_bias]
