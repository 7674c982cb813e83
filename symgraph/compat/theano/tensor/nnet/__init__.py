"""``theano.tensor.nnet``: activations, softmax, cross-entropies, ``conv2d`` and
``conv3d``."""

from __future__ import annotations

from symgraph.compat.theano._util import deprecated, ignore_arguments
from symgraph.compat.theano.tensor.nnet import (
    abstract_conv,
    conv,
    neighbours,
)  # Theano's submodules
from symgraph.compat.theano.tensor.nnet.abstract_conv import conv2d
from symgraph.compat.theano.tensor.nnet.neighbours import images2neibs, neibs2images
from symgraph.tensor.ops import math as _math
from symgraph.tensor.ops.conv import conv2d as _conv2d
from symgraph.tensor.ops.conv import (
    conv2d_grad_wrt_inputs,
    conv2d_grad_wrt_weights,
    conv2d_transpose,
    conv3d,
    conv3d_grad_wrt_inputs,
    conv3d_grad_wrt_weights,
)
from symgraph.tensor.ops.math import relu, sigmoid, softplus
from symgraph.tensor.ops.nnet import (
    binary_crossentropy,
    categorical_crossentropy,
    log_softmax,
    logsoftmax,
    sigmoid_binary_crossentropy,
)
from symgraph.tensor.ops.nnet import softmax as _softmax
from symgraph.tensor.variable import as_tensor as _as_tensor

__all__ = [
    "abstract_conv",
    "binary_crossentropy",
    "bn",
    "categorical_crossentropy",
    "conv",
    "conv2d",
    "conv2d_grad_wrt_inputs",
    "conv2d_grad_wrt_weights",
    "conv2d_transpose",
    "conv3d",
    "conv3d_grad_wrt_inputs",
    "conv3d_grad_wrt_weights",
    "crossentropy_categorical_1hot",
    "elu",
    "hard_sigmoid",
    "images2neibs",
    "log_softmax",
    "logsoftmax",
    "neibs2images",
    "neighbours",
    "relu",
    "sigmoid",
    "sigmoid_binary_crossentropy",
    "softmax",
    "softmax_with_bias",
    "softplus",
    "ultra_fast_sigmoid",
]


def hard_sigmoid(x):
    """Piecewise-linear sigmoid: ``clip(0.2 x + 0.5, 0, 1)``."""
    return _math.clip(_math.add(_math.mul(x, 0.2), 0.5), 0, 1)


def ultra_fast_sigmoid(x):
    """Theano's fast sigmoid approximation; here the exact sigmoid (already cheap)."""
    return sigmoid(x)


def elu(x, alpha=1):
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    x = _as_tensor(x)
    return _math.switch(_math.gt(x, 0), x, _math.mul(alpha, _math.expm1(x)))


def softmax_with_bias(x, b):
    """``softmax(x + b)`` (Theano's fused op)."""
    return softmax(_math.add(x, b))


def crossentropy_categorical_1hot(coding_dist, true_one_of_n):
    """Cross-entropy of each row against an integer label (``categorical_crossentropy``)."""
    return categorical_crossentropy(coding_dist, true_one_of_n)


def softmax(c, axis=None):
    """Softmax of each row of a matrix (over ``axis`` when given, as in Theano 1.0).

    A vector is padded to a one-row matrix with a warning, as Theano did: code written for
    Theano indexes the result as ``softmax(v)[0]``."""
    c = _as_tensor(c)
    if axis is None and c.ndim == 1:
        deprecated(
            "If x is a vector, Softmax will not automatically pad x anymore in next releases. "
            "If you need it, please do it manually. The vector case is gonna be supported "
            "soon and the output will be a vector."
        )
        return _softmax(c.dimshuffle("x", 0), axis=-1)
    return _softmax(c, axis=-1 if axis is None else axis)


# Submodules that use this module's conv2d, so imported once it is defined.
from symgraph.compat.theano.tensor.nnet import bn  # noqa: E402
