"""2-D pooling (``pool_2d``, ``max_pool_2d_same_size``) and its gradients as graph ops.

``Pool(x) -> y``, ``PoolGrad(x, y, gy) -> gx`` and, for max pooling,
``MaxPoolGradGrad(x, y, ggx) -> ggy``; the gradient of each is expressed with the others,
so the gradient of a gradient flows through pooling. Kernels live in ``pool_kernels``.
"""

from __future__ import annotations

import numpy as np

from symgraph.graph.basic import Apply, Op, Variable
from symgraph.graph.type import TensorType
from symgraph.tensor.ops import pool_kernels as kernels
from symgraph.tensor.ops.conv import int_pair
from symgraph.tensor.params import as_bool, as_choice
from symgraph.tensor.variable import as_tensor


class _PoolOp(Op):
    __props__ = ("ws", "ignore_border", "stride", "pad", "mode")

    def __init__(self, ws, ignore_border=False, stride=None, pad=(0, 0), mode="max") -> None:
        self.ws = int_pair(ws, "pool_2d: ws")
        self.ignore_border = as_bool(ignore_border, "pool_2d: ignore_border")
        self.stride = self.ws if stride is None else int_pair(stride, "pool_2d: stride")
        self.pad = int_pair(pad, "pool_2d: pad")
        if mode not in kernels.POOL_MODES:
            # Theano too refused a plain 'average': padded cells count or they do not.
            raise ValueError(
                f"pool_2d: unknown mode {mode!r}; use one of {', '.join(kernels.POOL_MODES)}"
            )
        self.mode = as_choice(mode, kernels.POOL_MODES, "pool_2d: mode")
        kernels.pool_output_shape((1, 1), self.ws, self.ignore_border, self.stride, self.pad)

    def _args(self) -> str:
        return f"{self.ws}, {self.ignore_border}, {self.stride}, {self.pad}"

    def _params(self):
        return (self.ws, self.ignore_border, self.stride, self.pad, self.mode)

    # The JAX lowerings follow the NumPy kernels' geometry (``_PoolGeometry``: Theano's
    # output shapes, padding and partial windows): the image is padded and cut to the
    # extent the windows cover, then each window offset is a strided slice of it.
    def _jax_extended(self, jx, x, fill):
        geo = kernels._PoolGeometry(tuple(x.shape), *self._params())
        (ph, pw), lead = self.pad, [(0, 0)] * (x.ndim - 2)
        bottom, right = max(0, geo.he - geo.h - ph), max(0, geo.we - geo.w - pw)
        xe = jx.numpy.pad(x, lead + [(ph, bottom), (pw, right)], constant_values=fill)
        return geo, xe[..., : geo.he, : geo.we]

    def _jax_offsets(self, geo):
        """The strided slice of the extended image under each window offset."""
        (s0, s1), (oh, ow) = self.stride, (geo.oh, geo.ow)
        for i in range(self.ws[0]):
            for j in range(self.ws[1]):
                rows = slice(i, i + (oh - 1) * s0 + 1, s0)
                yield (Ellipsis, rows, slice(j, j + (ow - 1) * s1 + 1, s1))

    def _jax_unextend(self, jx, geo, gxe, x):
        """The gradient of the real image from that of the extended one."""
        (dr, dc), (sr, sc) = geo.dst, geo.src
        return jx.numpy.zeros_like(x).at[..., sr, sc].set(gxe[..., dr, dc])


class Pool(_PoolOp):
    """Pool the last two axes of an input with at least 2 dimensions."""

    def __str__(self) -> str:
        return (
            f"Pool{{{self.mode}, ws={self.ws}, stride={self.stride}, pad={self.pad}, "
            f"ignore_border={self.ignore_border}}}"
        )

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        if x.ndim < 2:
            raise TypeError(
                f"pool_2d: {x} must have at least 2 dimensions, got {x.type.describe()}"
            )
        shape = kernels.pool_output_shape(
            x.type.shape, self.ws, self.ignore_border, self.stride, self.pad
        )
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(kernels.pool2d, "pool2d")
        return f"{kernel}({inputs[0]}, {self._args()}, {self.mode!r})"

    def jax(self, node, inputs, jx):
        (x,) = inputs
        is_max = self.mode == "max"
        geo, xe = self._jax_extended(jx, x, kernels._lowest(x.dtype) if is_max else 0)
        if geo.empty:
            return jx.numpy.zeros(geo.out_shape, x.dtype)
        lead = (1,) * (x.ndim - 2)
        y = jx.lax.reduce_window(
            xe,
            np.array(kernels._lowest(x.dtype) if is_max else 0, x.dtype),
            jx.lax.max if is_max else jx.lax.add,
            lead + self.ws,
            lead + self.stride,
            "VALID",
        )
        if self.mode.startswith("average"):
            y = y / geo.divisor(x.dtype)
        return y

    def grad(self, node, output_grads):
        (x,) = node.inputs
        (y,) = node.outputs
        return [PoolGrad(*self._params())(x, y, output_grads[0])]


class PoolGrad(_PoolOp):
    """``gx`` of pooling from the input ``x``, output ``y`` and output gradient ``gy``."""

    def __str__(self) -> str:
        return f"PoolGrad{{{self.mode}, ws={self.ws}, stride={self.stride}}}"

    def make_node(self, x, y, gy) -> Apply:
        x, y, gy = (as_tensor(v) for v in (x, y, gy))
        return Apply(self, [x, y, gy], [TensorType(x.dtype, x.type.shape)])

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(kernels.pool2d_grad, "pool2d_grad")
        return f"{kernel}({', '.join(inputs)}, {self._args()}, {self.mode!r})"

    def jax(self, node, inputs, jx):
        x, y, gy = inputs
        geo, xe = self._jax_extended(jx, x, kernels._lowest(x.dtype) if self.mode == "max" else 0)
        gxe = jx.numpy.zeros(xe.shape, x.dtype)
        if geo.empty:
            return jx.numpy.zeros_like(x)
        if self.mode.startswith("average"):
            gy = gy / geo.divisor(x.dtype)
        for window in self._jax_offsets(geo):
            # max: every position holding its window's maximum gets the gradient
            spread = jx.numpy.where(xe[window] == y, gy, 0) if self.mode == "max" else gy
            gxe = gxe.at[window].add(spread)
        return self._jax_unextend(jx, geo, gxe, x)

    def grad(self, node, output_grads):
        x, y, gy = node.inputs
        (g,) = output_grads
        # The pooling gradient is linear in gy; its adjoint is pooling again (max: the
        # values at the arg-max positions). Moving x changes which positions win only on a
        # set of measure zero, so x and y get no gradient.
        if self.mode == "max":
            d_gy = MaxPoolGradGrad(*self._params())(x, y, g)
        else:
            d_gy = Pool(*self._params())(g)
        return [None, None, d_gy]


class MaxPoolGradGrad(_PoolOp):
    """For each window, the sum of ``ggx`` over the positions holding the window's max."""

    def __str__(self) -> str:
        return f"MaxPoolGradGrad{{ws={self.ws}, stride={self.stride}}}"

    def make_node(self, x, y, ggx) -> Apply:
        x, y, ggx = (as_tensor(v) for v in (x, y, ggx))
        return Apply(self, [x, y, ggx], [TensorType(x.dtype, y.type.shape)])

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(kernels.max_pool2d_grad_grad, "max_pool2d_grad_grad")
        return f"{kernel}({', '.join(inputs)}, {self._args()})"

    def jax(self, node, inputs, jx):
        x, y, ggx = inputs
        geo, xe = self._jax_extended(jx, x, kernels._lowest(x.dtype))
        _, ggxe = self._jax_extended(jx, ggx, 0)
        ggy = jx.numpy.zeros(geo.out_shape, x.dtype)
        if geo.empty:
            return ggy
        for window in self._jax_offsets(geo):
            ggy = ggy + jx.numpy.where(xe[window] == y, ggxe[window], 0)
        return ggy

    def grad(self, node, output_grads):
        x, y, ggx = node.inputs
        return [None, None, PoolGrad(*self._params())(x, y, output_grads[0])]


def pool_2d(input, ws, ignore_border=False, stride=None, pad=(0, 0), mode="max") -> Variable:
    """Pool the last two axes of ``input`` (Theano's ``pool_2d``).

    ``stride`` defaults to ``ws``; ``pad`` needs ``ignore_border=True`` and ``pad < ws``.
    Modes: 'max', 'sum', 'average_inc_pad', 'average_exc_pad'. (The deprecated ``ds``,
    ``st`` and ``padding`` keywords live in ``symgraph.compat.theano``.)
    """
    return Pool(ws, ignore_border, stride, pad, mode)(input)


def max_pool_2d_same_size(input, patch_size):
    """Keep each window's maximum in place and zero the other positions (same shape)."""
    input = as_tensor(input)
    pooled = Pool(patch_size, True, None, (0, 0), "max")(input)
    return PoolGrad(patch_size, True, None, (0, 0), "max")(input, pooled, pooled)
