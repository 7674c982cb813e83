"""Neural-network ops: softmax, log-softmax and the cross-entropies."""

from __future__ import annotations

import numpy as np

from symgraph.graph.basic import Apply, Op, Variable
from symgraph.graph.type import TensorType
from symgraph.tensor.ops import math
from symgraph.tensor.ops.elemwise import _describe
from symgraph.tensor.ops.shape import arange, shape_i
from symgraph.tensor.params import AxisError, as_int, normalize_axis
from symgraph.tensor.variable import as_tensor


def _softmax_kernel(x, axis):
    shifted = np.subtract(x, x.max(axis=axis, keepdims=True))
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=axis, keepdims=True)
    return shifted


def _softmax_jax(jnp, x, axis):
    shifted = jnp.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def _log_softmax_jax(jnp, x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - jnp.log(jnp.exp(shifted).sum(axis=axis, keepdims=True))


def _log_softmax_kernel(x, axis):
    shifted = np.subtract(x, x.max(axis=axis, keepdims=True))
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


class _SoftmaxBase(Op):
    __props__ = ("axis",)
    kernel = staticmethod(_softmax_kernel)
    kernel_name = "softmax"
    jax_kernel = staticmethod(_softmax_jax)

    def __init__(self, axis: int) -> None:
        self.axis = as_int(axis, f"{type(self).__name__}: axis")

    def __str__(self) -> str:
        return f"{type(self).__name__}{{axis={self.axis}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        if x.type.numpy_dtype.kind != "f":
            x = math.as_float(x)
        if not 0 <= self.axis < x.ndim:
            raise AxisError(f"{self}: axis out of range for {_describe(x)}")
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape)])

    def emit(self, node, inputs, ctx):
        return f"{ctx.bind(self.kernel, self.kernel_name)}({inputs[0]}, {self.axis})"

    def jax(self, node, inputs, jx):
        return self.jax_kernel(jx.numpy, inputs[0], self.axis)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


class Softmax(_SoftmaxBase):
    """``exp(x) / sum(exp(x))`` along ``axis``, computed without overflow."""

    def grad(self, node, output_grads):
        (sm,) = node.outputs
        (gz,) = output_grads
        return [SoftmaxGrad(self.axis)(gz, sm)]


def _softmax_grad_kernel(gz, sm, axis):
    dx = np.multiply(gz, sm)
    dx -= sm * dx.sum(axis=axis, keepdims=True)
    return dx


class SoftmaxGrad(Op):
    """Gradient of softmax: ``sm * (gz - sum(gz * sm))`` along ``axis``, in one kernel.

    A node of its own so that the stabilize pass can recognise the gradient of
    ``log(softmax(x))`` and replace it by log-softmax's stable gradient.
    """

    __props__ = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = as_int(axis, "SoftmaxGrad: axis")

    def __str__(self) -> str:
        return f"SoftmaxGrad{{axis={self.axis}}}"

    def make_node(self, gz, sm) -> Apply:
        gz, sm = as_tensor(gz), as_tensor(sm)
        if not 0 <= self.axis < sm.ndim:
            raise AxisError(f"{self}: axis out of range for {_describe(sm)}")
        if gz.dtype != sm.dtype:
            gz = math.cast(gz, sm.dtype)
        return Apply(self, [gz, sm], [TensorType(sm.dtype, sm.type.shape)])

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(_softmax_grad_kernel, "softmax_grad")
        return f"{kernel}({inputs[0]}, {inputs[1]}, {self.axis})"

    def jax(self, node, inputs, jx):
        gz, sm = inputs
        dx = gz * sm
        return dx - sm * dx.sum(axis=self.axis, keepdims=True)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]

    def grad(self, node, output_grads):
        gz, sm = node.inputs
        (g,) = output_grads
        # d/dgz: softmax_grad(g, sm); d/dsm: g * gz - g * s - gz * sum(g * sm) with s = sum(gz*sm)
        inner_gz = math.sum(gz * sm, axis=self.axis, keepdims=True)
        inner_g = math.sum(g * sm, axis=self.axis, keepdims=True)
        g_sm = g * (gz - inner_gz) - gz * inner_g
        return [SoftmaxGrad(self.axis)(g, sm), g_sm]


class LogSoftmax(_SoftmaxBase):
    """``x - log(sum(exp(x)))`` along ``axis``, stable for large logits."""

    kernel = staticmethod(_log_softmax_kernel)
    kernel_name = "log_softmax"
    jax_kernel = staticmethod(_log_softmax_jax)

    def grad(self, node, output_grads):
        (out,) = node.outputs
        (gz,) = output_grads
        return [gz - math.exp(out) * math.sum(gz, axis=self.axis, keepdims=True)]


def softmax(x, axis: int = -1) -> Variable:
    """Softmax along ``axis`` (the last axis by default: rows of a matrix, as in Theano)."""
    x = as_tensor(x)
    return Softmax(normalize_axis(axis, x, "softmax"))(x)


def log_softmax(x, axis: int = -1) -> Variable:
    """Log of the softmax along ``axis``, computed stably."""
    x = as_tensor(x)
    return LogSoftmax(normalize_axis(axis, x, "log_softmax"))(x)


logsoftmax = log_softmax


def categorical_crossentropy(coding_dist, true_dist) -> Variable:
    """Cross-entropy of each row's predicted distribution against the target.

    ``true_dist`` is either an integer vector of class indices or a matrix of target
    distributions (one-hot rows, say). Returns one value per row.
    """
    coding_dist = as_tensor(coding_dist)
    true_dist = as_tensor(true_dist)
    if true_dist.ndim == coding_dist.ndim - 1 and true_dist.type.numpy_dtype.kind in "iu":
        rows = arange(shape_i(coding_dist, 0))
        return -math.log(coding_dist[rows, true_dist])
    if true_dist.ndim != coding_dist.ndim:
        raise TypeError(
            "categorical_crossentropy: true_dist must be integer labels with one dimension "
            f"fewer than coding_dist, or have its rank; got true_dist {_describe(true_dist)} "
            f"and coding_dist {_describe(coding_dist)}"
        )
    return -math.sum(true_dist * math.log(coding_dist), axis=-1)


def binary_crossentropy(output, target) -> Variable:
    """Element-wise ``-(target * log(output) + (1 - target) * log(1 - output))``."""
    output, target = as_tensor(output), as_tensor(target)
    return -(target * math.log(output) + (1 - target) * math.log(1 - output))


def sigmoid_binary_crossentropy(logits, target) -> Variable:
    """Binary cross-entropy of ``sigmoid(logits)``, computed stably from the logits."""
    logits, target = as_tensor(logits), as_tensor(target)
    return math.softplus(logits) - target * logits
