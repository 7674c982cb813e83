"""Pooling over the last ``ndim`` axes (``pool``, ``pool_2d``, ``pool_3d``,
``max_pool_2d_same_size``) and its gradients as graph ops.

Each op takes the window ``ws``, ``stride`` and ``pad`` as integer vector inputs (one
entry per pooled axis), so they may be symbolic; when they are constants, the output's
static shape is known and the generated code passes them as literal tuples.

``Pool(x, ws, stride, pad) -> y``; its gradient ``MaxPoolGrad(x, y, gy, ...) -> gx`` for
max pooling and ``AveragePoolGrad(x, gy, ...) -> gx`` for the sum and average modes; and
``MaxPoolGradGrad(x, y, ggx, ...) -> ggy``, the adjoint of ``MaxPoolGrad`` in ``gy``.
The gradient of each is expressed with the others, so gradients of gradients (hessians)
flow through pooling. Kernels live in ``pool_kernels``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from symgraph.graph.basic import Apply, Constant, Op, Variable, variable_label
from symgraph.graph.type import TensorType
from symgraph.tensor.ops import pool_kernels as kernels
from symgraph.tensor.ops.math import ge, maximum, minimum, switch
from symgraph.tensor.params import as_bool, as_choice, as_int, as_int_tuple
from symgraph.tensor.variable import as_tensor, constant

__all__ = [
    "Pool",
    "MaxPoolGrad",
    "AveragePoolGrad",
    "MaxPoolGradGrad",
    "pool",
    "pool_2d",
    "pool_3d",
    "max_pool_2d_same_size",
]

_AVERAGE_MODES = tuple(m for m in kernels.POOL_MODES if m != "max")


def _function_name(ndim: int) -> str:
    return f"pool_{ndim}d" if ndim in (2, 3) else f"pool (ndim={ndim})"


class _PoolOp(Op):
    """What the pooling ops share: their parameters, and the ``(ws, stride, pad)``
    inputs that end each op's input list."""

    __props__ = ("ignore_border", "mode", "ndim")
    _modes: tuple[str, ...] = kernels.POOL_MODES

    def __init__(self, ignore_border=False, mode="max", ndim=2) -> None:
        self.ndim = as_int(ndim, f"{type(self).__name__}: ndim")
        if self.ndim < 1:
            raise ValueError(f"{type(self).__name__}: ndim must be >= 1, got {self.ndim}")
        what = _function_name(self.ndim)
        self.ignore_border = as_bool(ignore_border, f"{what}: ignore_border")
        if mode not in self._modes:
            # Theano too refused a plain 'average': padded cells count or they do not.
            raise ValueError(
                f"{what}: {type(self).__name__} has no mode {mode!r}; use one of "
                f"{', '.join(self._modes)}"
            )
        self.mode = as_choice(mode, self._modes, f"{what}: mode")

    @property
    def _what(self) -> str:
        return _function_name(self.ndim)

    def _check_input(self, x: Variable, role: str = "the input") -> None:
        if x.ndim < self.ndim:
            raise TypeError(
                f"{self._what}: {role} {variable_label(x)} must have at least {self.ndim} "
                f"dimensions, got {x.type.describe()}"
            )

    def _window_inputs(self, x: Variable, ws, stride, pad) -> list[Variable]:
        """``ws``, ``stride`` (default ``ws``) and ``pad`` (default zeros) as integer
        vectors of ``ndim`` entries, checked now where they are constants."""
        ws = self._vector(ws, "ws")
        stride = ws if stride is None else self._vector(stride, "stride")
        pad = self._vector((0,) * self.ndim if pad is None else pad, "pad")
        values = [_constant_ints(v) for v in (ws, stride, pad)]
        if all(v is not None for v in values):
            try:
                kernels.check_pool_params(values[0], self.ignore_border, *values[1:])
            except ValueError as err:
                raise ValueError(f"{self._what}: pooling {variable_label(x)}: {err}") from None
        return [ws, stride, pad]

    def _vector(self, value, what: str) -> Variable:
        """One window parameter as an integer vector: ints (one for every axis, or one
        per axis) become a constant; variables (or a sequence holding some) stay
        symbolic."""
        label = f"{self._what}: {what}"
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, Variable) or (
            isinstance(value, (list, tuple)) and any(isinstance(v, Variable) for v in value)
        ):
            v = as_tensor(value)
        else:
            if isinstance(value, (list, tuple)):
                ints = as_int_tuple(value, label)
            else:
                ints = (as_int(value, label),) * self.ndim
            v = constant(np.array(ints, dtype="int64"))
        integer = v.dtype.startswith(("int", "uint"))
        if v.ndim != 1 or not integer or v.type.shape[0] not in (None, self.ndim):
            raise TypeError(
                f"{label} must be {self.ndim} ints or an integer vector of {self.ndim} "
                f"entries, got {variable_label(v)}: {v.type.describe()}"
            )
        return v

    def _pooled_shape(self, x: Variable, ws, stride, pad) -> tuple:
        values = [_constant_ints(v) for v in (ws, stride, pad)]
        if any(v is None for v in values):
            return x.type.shape[: x.ndim - self.ndim] + (None,) * self.ndim
        return kernels.pool_output_shape(x.type.shape, values[0], self.ignore_border, *values[1:])

    def _window_code(self, node: Apply, names: Sequence[str]) -> tuple[str, str]:
        """``ws, ignore_border, stride, pad`` for the kernel call: literal tuples for
        constants; for symbolic ones, the names and ``nd=`` so the kernel checks their
        length."""
        window = node.inputs[-3:]
        codes = [
            name if _constant_ints(v) is None else repr(_constant_ints(v))
            for v, name in zip(window, names[-3:])
        ]
        check = "" if all(_constant_ints(v) is not None for v in window) else f", nd={self.ndim}"
        return f"{codes[0]}, {self.ignore_border}, {codes[1]}, {codes[2]}", check

    # The JAX lowerings follow the NumPy kernels' geometry (``_PoolGeometry``: Theano's
    # output shapes, padding and partial windows): the input, its leading axes merged, is
    # padded to the extent the windows cover; each cell offset of a window is then a
    # strided slice of it. XLA needs the window, stride and padding when it compiles.
    def _jax_geometry(self, node: Apply, shape: tuple) -> kernels._PoolGeometry:
        ws, stride, pad = (_constant_ints(v) for v in node.inputs[-3:])
        if ws is None or stride is None or pad is None:
            raise NotImplementedError(
                f"{self}: the JAX backend needs the window, stride and padding as constants "
                "(XLA compiles for fixed windows); these are symbolic"
            )
        return kernels._PoolGeometry(
            tuple(shape), ws, self.ignore_border, stride, pad, self.mode, self.ndim
        )

    @staticmethod
    def _jax_extended(jx, geo: kernels._PoolGeometry, x, fill):
        """``(B, *extent)``: ``x`` padded with ``fill`` where the windows reach past it."""
        flat = x.reshape((geo.b, *geo.size))
        if geo.trivial:  # no padding: the windows cover a leading block of x
            return flat[(slice(None), *(slice(0, e) for e in geo.ext))]
        extended = jx.numpy.full((geo.b, *geo.ext), fill, x.dtype)
        return extended.at[geo.dst].set(flat[geo.src])

    @staticmethod
    def _jax_windows(geo: kernels._PoolGeometry):
        """The strided slice of the extended input under each cell offset of a window."""
        for offset in geo.offsets():
            yield (slice(None),) + tuple(
                slice(i, i + (o - 1) * s + 1, s) for i, o, s in zip(offset, geo.out, geo.st)
            )

    @staticmethod
    def _jax_unextended(jx, geo: kernels._PoolGeometry, extended_grad, x):
        """The gradient of ``x`` from that of its extended form."""
        if geo.trivial:  # zeros after the block the windows cover (a pad, not a scatter)
            widths = [(0, 0)] + [(0, n - e) for n, e in zip(geo.size, geo.ext)]
            return jx.numpy.pad(extended_grad, widths).reshape(x.shape)
        flat = jx.numpy.zeros((geo.b, *geo.size), x.dtype).at[geo.src].set(extended_grad[geo.dst])
        return flat.reshape(x.shape)

    @staticmethod
    def _jax_tiles(geo: kernels._PoolGeometry, x):
        """When the windows tile ``x`` exactly: ``x`` as ``(B, o1, w1, o2, w2, ...)``, each
        window's cells on the axes after its position; an output broadcasts against it as
        ``(B, o1, 1, o2, 1, ...)``. Gradients then take a comparison and a reshape where
        the general case adds one strided scatter per cell of the window, which XLA
        compiles more slowly."""
        tiled = (geo.b, *(n for o, w in zip(geo.out, geo.ws) for n in (o, w)))
        spread = (geo.b, *(n for o in geo.out for n in (o, 1)))
        return x.reshape(tiled), spread


def _constant_ints(v: Variable) -> tuple[int, ...] | None:
    if isinstance(v, Constant):
        return tuple(int(a) for a in np.asarray(v.data).ravel())
    return None


def _out_len_symbolic(size, ws, stride, pad, ignore_border: bool):
    """The output length of one pooled axis when some of the numbers are variables
    (``pool_kernels.pool_output_shape``'s rule, built as a graph)."""
    v = size + pad * 2
    if ignore_border:
        return maximum((v - ws) // stride + 1, 0)
    # an empty axis has no partial window (times minimum(v, 1): 0 when v is 0, else 1)
    partial = (maximum((v - 1 - ws + stride) // stride, 0) + 1) * minimum(v, 1)
    return switch(ge(stride, ws), (v - 1) // stride + 1, partial)


class Pool(_PoolOp):
    """Pool the last ``ndim`` axes of ``x`` (which may have any number of leading axes)
    with windows ``ws``, strides ``stride`` (default ``ws``) and zero padding ``pad``.

    ``Pool(ignore_border, mode, ndim)(x, ws, stride=None, pad=None)``; ``mode`` is one of
    'max', 'sum', 'average_inc_pad', 'average_exc_pad'.
    """

    @staticmethod
    def out_shape(imgshape, ws, ignore_border=False, stride=None, pad=None, ndim=2) -> list:
        """The output shape for an input of shape ``imgshape`` (ints, None for unknown,
        or scalar variables): the leading entries unchanged, then the pooled lengths."""
        ndim = as_int(ndim, "out_shape: ndim")
        if isinstance(imgshape, Variable):  # x.shape: its entries, when its length is known
            if imgshape.ndim != 1 or imgshape.type.shape[0] is None:
                raise TypeError(
                    "out_shape: imgshape must be a sequence or a vector of known length, got "
                    f"{variable_label(imgshape)}: {imgshape.type.describe()}"
                )
            imgshape = [imgshape[i] for i in range(imgshape.type.shape[0])]
        if len(imgshape) < ndim:
            raise TypeError(f"imgshape must have at least {ndim} dimensions, got {imgshape}")
        stride = ws if stride is None else stride
        pad = (0,) * ndim if pad is None else pad
        lead, pooled = list(imgshape[: len(imgshape) - ndim]), imgshape[len(imgshape) - ndim :]
        numbers = [*pooled, *ws, *stride, *pad]
        if not any(isinstance(n, Variable) for n in numbers):
            return lead + list(kernels.pool_output_shape(pooled, ws, ignore_border, stride, pad))
        ignore_border = as_bool(ignore_border, "out_shape: ignore_border")
        return lead + [
            _out_len_symbolic(*args, ignore_border) for args in zip(pooled, ws, stride, pad)
        ]

    def make_node(self, x, ws, stride=None, pad=None) -> Apply:
        x = as_tensor(x)
        self._check_input(x)
        window = self._window_inputs(x, ws, stride, pad)
        shape = self._pooled_shape(x, *window)
        return Apply(self, [x, *window], [TensorType(x.dtype, shape)])

    def infer_shape(self, node, input_shapes):
        # the window parameters' entries: ints when constant, else their elements
        window = [_constant_ints(v) or [v[i] for i in range(self.ndim)] for v in node.inputs[1:]]
        shape = self.out_shape(
            input_shapes[0], window[0], self.ignore_border, *window[1:], self.ndim
        )
        return [tuple(shape)]

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(kernels.pool_nd, "pool_nd")
        window, check = self._window_code(node, inputs)
        return f"{kernel}({inputs[0]}, {window}, {self.mode!r}{check})"

    def jax(self, node, inputs, jx):
        x = inputs[0]
        geo = self._jax_geometry(node, x.shape)
        if geo.empty:
            return jx.numpy.zeros(geo.out_shape, x.dtype)
        is_max = self.mode == "max"
        init = kernels._lowest(x.dtype) if is_max else 0
        y = jx.lax.reduce_window(
            self._jax_extended(jx, geo, x, init),
            np.array(init, x.dtype),
            jx.lax.max if is_max else jx.lax.add,
            (1, *geo.ws),
            (1, *geo.st),
            "VALID",
        )
        if self.mode.startswith("average"):
            y = y / geo.divisor(x.dtype)
        return y.reshape(geo.out_shape)

    def grad(self, node, output_grads):
        x, *window = node.inputs
        (y,), (gy,) = node.outputs, output_grads
        if self.mode == "max":
            gx = MaxPoolGrad(self.ignore_border, self.ndim)(x, y, gy, *window)
        else:
            gx = AveragePoolGrad(self.ignore_border, self.mode, self.ndim)(x, gy, *window)
        return [gx, None, None, None]


class MaxPoolGrad(_PoolOp):
    """``gx`` of max pooling from the input ``x``, output ``y`` and output gradient
    ``gy``: each window's gradient goes to every cell holding the window's max.

    ``MaxPoolGrad(ignore_border, ndim)(x, y, gy, ws, stride=None, pad=None)``.
    """

    _modes = ("max",)

    def __init__(self, ignore_border=False, ndim=2) -> None:
        super().__init__(ignore_border, "max", ndim)

    def make_node(self, x, y, gy, ws, stride=None, pad=None) -> Apply:
        x, y, gy = (as_tensor(v) for v in (x, y, gy))
        for v, role in ((x, "the input"), (y, "the pooled output"), (gy, "its gradient")):
            self._check_input(v, role)
        window = self._window_inputs(x, ws, stride, pad)
        return Apply(self, [x, y, gy, *window], [TensorType(x.dtype, x.type.shape)])

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(kernels.pool_nd_grad, "pool_nd_grad")
        window, check = self._window_code(node, inputs)
        return f"{kernel}({', '.join(inputs[:3])}, {window}, 'max'{check})"

    def jax(self, node, inputs, jx):
        x, y, gy = inputs[:3]
        geo = self._jax_geometry(node, x.shape)
        if geo.empty:
            return jx.numpy.zeros_like(x)
        if geo.tiles_exactly:
            tiled, spread = self._jax_tiles(geo, x)
            y, gy = y.reshape(spread), gy.reshape(spread)
            return jx.numpy.where(tiled == y, gy, 0).astype(x.dtype).reshape(x.shape)
        extended = self._jax_extended(jx, geo, x, kernels._lowest(x.dtype))
        y, gy = y.reshape(geo.flat_out_shape), gy.reshape(geo.flat_out_shape)
        grad = jx.numpy.zeros(extended.shape, x.dtype)
        for window in self._jax_windows(geo):
            # every position holding its window's maximum gets the gradient, as in NumPy
            grad = grad.at[window].add(jx.numpy.where(extended[window] == y, gy, 0))
        return self._jax_unextended(jx, geo, grad, x)

    def grad(self, node, output_grads):
        x, y, gy, *window = node.inputs
        # The gradient is linear in gy; its adjoint takes each window's values at its
        # arg-max cells. Moving x changes which cells win only on a set of measure zero,
        # so x and y get no gradient.
        ggy = MaxPoolGradGrad(self.ignore_border, self.ndim)(x, y, output_grads[0], *window)
        return [None, None, ggy, None, None, None]


class AveragePoolGrad(_PoolOp):
    """``gx`` of sum or average pooling from the input ``x`` and the output gradient
    ``gy``: each window's gradient spread over its cells (divided by the mode's count).

    ``AveragePoolGrad(ignore_border, mode, ndim)(x, gy, ws, stride=None, pad=None)``.
    """

    _modes = _AVERAGE_MODES

    def __init__(self, ignore_border=False, mode="average_inc_pad", ndim=2) -> None:
        super().__init__(ignore_border, mode, ndim)

    def make_node(self, x, gy, ws, stride=None, pad=None) -> Apply:
        x, gy = as_tensor(x), as_tensor(gy)
        self._check_input(x)
        self._check_input(gy, "the output gradient")
        window = self._window_inputs(x, ws, stride, pad)
        return Apply(self, [x, gy, *window], [TensorType(x.dtype, x.type.shape)])

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(kernels.pool_nd_grad, "pool_nd_grad")
        window, check = self._window_code(node, inputs)
        return f"{kernel}({inputs[0]}, None, {inputs[1]}, {window}, {self.mode!r}{check})"

    def jax(self, node, inputs, jx):
        x, gy = inputs[:2]
        geo = self._jax_geometry(node, x.shape)
        if geo.empty:
            return jx.numpy.zeros_like(x)
        gy = gy.reshape(geo.flat_out_shape)
        if self.mode.startswith("average"):
            gy = gy / geo.divisor(x.dtype)
        if geo.tiles_exactly:
            tiled, spread = self._jax_tiles(geo, x)
            return jx.numpy.broadcast_to(gy.reshape(spread), tiled.shape).reshape(x.shape)
        grad = jx.numpy.zeros((geo.b, *geo.ext), x.dtype)
        for window in self._jax_windows(geo):
            grad = grad.at[window].add(gy)
        return self._jax_unextended(jx, geo, grad, x)

    def grad(self, node, output_grads):
        x, gy, *window = node.inputs
        # Linear in gy, whose adjoint is pooling again; x only gives the shape.
        d_gy = Pool(self.ignore_border, self.mode, self.ndim)(output_grads[0], *window)
        return [None, d_gy, None, None, None]


class MaxPoolGradGrad(_PoolOp):
    """For each window, the sum of ``ggx`` over the cells holding the window's max: the
    gradient of ``MaxPoolGrad`` with respect to ``gy``, shaped like ``y``.

    ``MaxPoolGradGrad(ignore_border, ndim)(x, y, ggx, ws, stride=None, pad=None)``.
    """

    _modes = ("max",)

    def __init__(self, ignore_border=False, ndim=2) -> None:
        super().__init__(ignore_border, "max", ndim)

    def make_node(self, x, y, ggx, ws, stride=None, pad=None) -> Apply:
        x, y, ggx = (as_tensor(v) for v in (x, y, ggx))
        for v, role in ((x, "the input"), (y, "the pooled output"), (ggx, "ggx")):
            self._check_input(v, role)
        window = self._window_inputs(x, ws, stride, pad)
        return Apply(self, [x, y, ggx, *window], [TensorType(x.dtype, y.type.shape)])

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(kernels.max_pool_nd_grad_grad, "max_pool_nd_grad_grad")
        window, check = self._window_code(node, inputs)
        return f"{kernel}({', '.join(inputs[:3])}, {window}{check})"

    def jax(self, node, inputs, jx):
        x, y, ggx = inputs[:3]
        geo = self._jax_geometry(node, x.shape)
        if geo.empty:
            return jx.numpy.zeros(geo.out_shape, x.dtype)
        extended = self._jax_extended(jx, geo, x, kernels._lowest(x.dtype))
        extended_ggx = self._jax_extended(jx, geo, ggx, 0)
        y = y.reshape(geo.flat_out_shape)
        ggy = jx.numpy.zeros(geo.flat_out_shape, x.dtype)
        for window in self._jax_windows(geo):
            ggy = ggy + jx.numpy.where(extended[window] == y, extended_ggx[window], 0)
        return ggy.reshape(geo.out_shape)

    def grad(self, node, output_grads):
        x, y, ggx, *window = node.inputs
        d_ggx = MaxPoolGrad(self.ignore_border, self.ndim)(x, y, output_grads[0], *window)
        return [None, None, d_ggx, None, None, None]


def pool(input, ws, ignore_border=False, stride=None, pad=None, mode="max", ndim=None) -> Variable:
    """Pool the last ``ndim`` axes of ``input`` (default: ``len(ws)``) with windows ``ws``.

    ``ws``, ``stride`` (default ``ws``) and ``pad`` (default zeros; needs
    ``ignore_border=True`` and ``pad < ws``) are tuples of ints or integer vectors, which
    may be symbolic (then ``ndim`` must be given unless their length is static). Modes:
    'max', 'sum', 'average_inc_pad', 'average_exc_pad'. Any number of leading axes.
    """
    if ndim is None:
        if isinstance(ws, Variable):
            ndim = ws.type.shape[0] if ws.ndim == 1 else None
        else:
            ndim = len(ws) if isinstance(ws, (list, tuple, np.ndarray)) else None
        if ndim is None:
            raise TypeError(
                f"pool: give ndim, the number of pooled axes: it cannot be read from ws {ws!r}"
            )
    return Pool(ignore_border, mode, ndim)(input, ws, stride, pad)


def pool_2d(input, ws, ignore_border=False, stride=None, pad=None, mode="max") -> Variable:
    """Pool the last two axes of ``input`` (Theano's ``pool_2d``); see :func:`pool`.

    (The deprecated ``ds``, ``st`` and ``padding`` keywords live in
    ``symgraph.compat.theano``.)
    """
    return Pool(ignore_border, mode, 2)(input, ws, stride, pad)


def pool_3d(input, ws, ignore_border=False, stride=None, pad=None, mode="max") -> Variable:
    """Pool the last three axes of ``input`` (Theano's ``pool_3d``); see :func:`pool`."""
    return Pool(ignore_border, mode, 3)(input, ws, stride, pad)


def max_pool_2d_same_size(input, patch_size) -> Variable:
    """Keep each window's maximum in place and zero the other positions (same shape)."""
    input = as_tensor(input)
    pooled = Pool(True, "max", 2)(input, patch_size)
    return MaxPoolGrad(True, 2)(input, pooled, pooled, patch_size)
