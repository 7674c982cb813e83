"""2-D and 3-D convolution: ``conv2d``, ``conv3d`` and their two gradients, each a graph op
of its own, so the gradient of a gradient is just another graph (grad of grad works).

The three ops are the three faces of one bilinear map ``y = conv(x, w)``:

- ``Conv2d(x, w) -> y`` (``Conv3d``);
- ``Conv2dGradInputs(gy, w, x_spatial) -> gx`` (the transpose in ``x``, also
  ``conv2d_transpose``; ``Conv3dGradInputs``);
- ``Conv2dGradWeights(x, gy, w_spatial) -> gw`` (the transpose in ``w``;
  ``Conv3dGradWeights``).

Each one's gradient is expressed with the other two. The 2-D and 3-D classes differ only
in ``spatial_dims``: everything else, like the NumPy kernels of ``conv_kernels`` (im2col
+ GEMM over any number of spatial axes), is shared.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from symgraph.graph.basic import Apply, Op, Variable
from symgraph.graph.type import TensorType, shape_text
from symgraph.tensor.ops import conv_kernels as kernels
from symgraph.tensor.ops.math import as_float, cast
from symgraph.tensor.ops.shape import (
    _static_ints,
    _vector_entries,
    as_shape_vector,
    shape_i,
    static_value,
)
from symgraph.tensor.ops.subtensor import getitem
from symgraph.tensor.params import as_bool, as_choice, as_int
from symgraph.tensor.variable import as_tensor

# lax.conv_general_dilated's names for channels-first layouts, by number of spatial axes.
_JAX_LAYOUTS = {
    2: ("NCHW", "OIHW", "NCHW"),
    3: ("NCDHW", "OIDHW", "NCDHW"),
}


def int_tuple(value, count: int, what: str) -> tuple[int, ...]:
    """``value`` as ``count`` exact ints, one per spatial axis; an int stands for all."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return (as_int(value, what),) * count
    value = tuple(as_int(v, what) for v in value)
    if len(value) != count:
        words = "a pair of ints" if count == 2 else f"a tuple of {count} ints"
        raise ValueError(f"{what} must be an int or {words}, got {value}")
    return value


def _border_mode(value, what: str):
    """``border_mode`` rebuilt from a known string or exact ints (it is pasted into
    generated source); ``conv_kernels.normalize_border_mode`` then checks its shape."""
    if isinstance(value, str):
        return as_choice(value, ("valid", "full", "half"), what)
    if isinstance(value, (list, tuple)):
        return tuple(
            tuple(as_int(v, what) for v in b) if isinstance(b, (list, tuple)) else as_int(b, what)
            for b in value
        )
    return as_int(value, what)


def _declared_shape(shape, what: str):
    if shape is None:
        return None
    return tuple(None if s is None else as_int(s, what) for s in shape)


def _static_spatial(vector: Variable, count: int) -> tuple[int | None, ...]:
    entries = _vector_entries(vector)
    if entries is None:
        return (None,) * count
    return tuple(static_value(e) for e in entries)


class _ConvOp(Op):
    """Parameters shared by the convolution ops; ``spatial_dims`` (2 or 3) is set by each
    concrete class."""

    __props__ = ("border_mode", "subsample", "filter_dilation", "filter_flip", "num_groups")
    spatial_dims: int
    prints_flip = False  # the forward op shows filter_flip in its name

    def __init__(
        self,
        border_mode="valid",
        subsample=1,
        filter_dilation=1,
        filter_flip=True,
        num_groups=1,
    ) -> None:
        nd, name = self.spatial_dims, self.function_name
        self.border_mode = border_mode = _border_mode(border_mode, f"{name}: border_mode")
        self.subsample = int_tuple(subsample, nd, f"{name}: subsample")
        self.filter_dilation = int_tuple(filter_dilation, nd, f"{name}: filter_dilation")
        self.filter_flip = as_bool(filter_flip, f"{name}: filter_flip")
        self.num_groups = as_int(num_groups, f"{name}: num_groups")
        # Validate the mode now (an unknown string is an error at graph-build time).
        try:
            kernels.normalize_border_mode(border_mode, (3,) * nd, self.filter_dilation)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None

    @property
    def function_name(self) -> str:
        """The user function's name, ``conv2d`` or ``conv3d``."""
        return f"conv{self.spatial_dims}d"

    def params(self) -> tuple:
        """The constructor arguments shared by the three convolution ops."""
        return (
            self.border_mode,
            self.subsample,
            self.filter_dilation,
            self.filter_flip,
            self.num_groups,
        )

    def family(self) -> tuple[type, type, type]:
        """The forward, input-gradient and weight-gradient classes of this op's rank."""
        return _FAMILIES[self.spatial_dims]

    def _settings_text(self) -> str:
        ones = (1,) * self.spatial_dims
        return (
            f"{self.border_mode}, stride={self.subsample}"
            + (f", flip={self.filter_flip}" if self.prints_flip else "")
            + (f", groups={self.num_groups}" if self.num_groups > 1 else "")
            + (f", dilation={self.filter_dilation}" if self.filter_dilation != ones else "")
        )

    def __str__(self) -> str:
        return f"{type(self).__name__}{{{self._settings_text()}}}"

    def _kernel_args(self) -> str:
        return (
            f"{self.border_mode!r}, {self.subsample}, {self.filter_dilation}, "
            f"{self.filter_flip}, {self.num_groups}"
        )

    def _spatial_shape(self, variable: Variable) -> list:
        """The spatial lengths of ``variable`` (an input or the filters), as scalars."""
        return [shape_i(variable, axis) for axis in range(2, 2 + self.spatial_dims)]

    def _output_shape(self, x_shape, w_shape, context: str):
        try:
            return kernels.conv_output_shape(
                x_shape,
                w_shape,
                self.border_mode,
                self.subsample,
                self.filter_dilation,
                self.num_groups,
            )
        except ValueError as error:
            raise ValueError(f"{context}: {error}") from None

    def _check_ndim(self, variables_and_words) -> None:
        rank = self.spatial_dims + 2
        for variable, what in variables_and_words:
            if variable.ndim != rank:
                raise TypeError(
                    f"{self.function_name}: the {what} {variable} must be {rank}-d, "
                    f"got {variable.type.describe()}"
                )

    def jax_conv(self, jx, x, w):
        """The forward convolution in JAX (``lax.conv_general_dilated`` correlates, so a
        flipped filter is flipped here), after the NumPy kernel's shape checks."""
        try:
            kernels.conv_output_shape(
                x.shape,
                w.shape,
                self.border_mode,
                self.subsample,
                self.filter_dilation,
                self.num_groups,
            )
        except ValueError as error:
            raise ValueError(
                f"{self.function_name} of input {x.shape} with filters {w.shape}: {error}"
            ) from None
        pads = kernels.normalize_border_mode(self.border_mode, w.shape[2:], self.filter_dilation)
        if self.filter_flip:
            w = w[(Ellipsis,) + (slice(None, None, -1),) * self.spatial_dims]
        return jx.lax.conv_general_dilated(
            x,
            w,
            window_strides=self.subsample,
            padding=pads,
            rhs_dilation=self.filter_dilation,
            dimension_numbers=_JAX_LAYOUTS[self.spatial_dims],
            feature_group_count=self.num_groups,
        )


def _float_inputs(*variables):
    variables = [as_float(as_tensor(v)) for v in variables]
    dtype = np.result_type(*[v.dtype for v in variables]).name
    return [v if v.dtype == dtype else cast(v, dtype) for v in variables]


def _out_len(size, kernel, pads, stride: int, dilation: int):
    """One output length from lengths that may be scalar variables (the rule of
    ``conv_kernels.conv_output_shape``, built as a graph when needed)."""
    dilated = (kernel - 1) * dilation + 1
    if pads == "full":
        padded = size + 2 * (dilated - 1)
    elif pads == "half":
        padded = size + 2 * (dilated // 2)
    else:
        padded = size + (pads[0] + pads[1])
    return (padded - dilated) // stride + 1


class _Conv(_ConvOp):
    """The forward convolution (see ``Conv2d``)."""

    __props__ = _ConvOp.__props__ + ("input_shape", "filter_shape")
    prints_flip = True

    def __init__(
        self,
        border_mode="valid",
        subsample=1,
        filter_dilation=1,
        filter_flip=True,
        num_groups=1,
        input_shape=None,
        filter_shape=None,
    ) -> None:
        super().__init__(border_mode, subsample, filter_dilation, filter_flip, num_groups)
        self.input_shape = _declared_shape(input_shape, f"{self.function_name}: input_shape")
        self.filter_shape = _declared_shape(filter_shape, f"{self.function_name}: filter_shape")

    def make_node(self, x, w) -> Apply:
        x, w = _float_inputs(x, w)
        self._check_ndim(((x, "input"), (w, "filters")))
        x_shape = self._merge_declared(x.type.shape, self.input_shape, "input", x)
        w_shape = self._merge_declared(w.type.shape, self.filter_shape, "filter", w)
        shape = self._output_shape(
            x_shape,
            w_shape,
            f"{self.function_name} of {x} with input shape {shape_text(x_shape)} and "
            f"{w} with filter shape {shape_text(w_shape)}",
        )
        return Apply(self, [x, w], [TensorType(x.dtype, shape)])

    def _merge_declared(self, static, declared, what, variable):
        if declared is None:
            return static
        rank = self.spatial_dims + 2
        if len(declared) != rank:
            raise ValueError(
                f"{self.function_name}: {what}_shape must have {rank} entries, got {declared}"
            )
        merged = []
        for axis, (s, d) in enumerate(zip(static, declared)):
            if s is not None and d is not None and s != d:
                raise ValueError(
                    f"{self.function_name}: declared {what}_shape {shape_text(declared)} disagrees "
                    f"with {variable}'s static shape {shape_text(static)} (axis {axis})"
                )
            merged.append(s if s is not None else d)
        return tuple(merged)

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(_checked_conv, self.function_name)
        declared = (
            f", {self.input_shape}, {self.filter_shape}"
            if (self.input_shape or self.filter_shape)
            else ""
        )
        return f"{kernel}({inputs[0]}, {inputs[1]}, {self._kernel_args()}{declared})"

    def jax(self, node, inputs, jx):
        x, w = inputs
        _check_declared(x, w, self.input_shape, self.filter_shape)
        return self.jax_conv(jx, x, w)

    def infer_shape(self, node, input_shapes):
        x_shape, w_shape = input_shapes
        mode = self.border_mode
        if isinstance(mode, str) and mode != "valid":
            pads = [mode] * self.spatial_dims
        else:
            pads = kernels.normalize_border_mode(mode, (1,) * self.spatial_dims)
        spatial = [
            _out_len(size, k, p, s, d)
            for size, k, p, s, d in zip(
                x_shape[2:], w_shape[2:], pads, self.subsample, self.filter_dilation
            )
        ]
        return [(x_shape[0], w_shape[0], *spatial)]

    def grad(self, node, output_grads):
        x, w = node.inputs
        (gy,) = output_grads
        _, grad_inputs, grad_weights = self.family()
        params = self.params()
        gx = grad_inputs(*params)(gy, w, self._spatial_shape(x))
        gw = grad_weights(*params)(x, gy, self._spatial_shape(w))
        return [gx, gw]


def _check_declared(x, w, input_shape, filter_shape) -> None:
    """User-declared shapes against the actual arrays, naming both on mismatch."""
    for declared, actual, what in (
        (input_shape, x.shape, "input_shape"),
        (filter_shape, w.shape, "filter_shape"),
    ):
        if declared is not None and any(d is not None and d != a for d, a in zip(declared, actual)):
            raise ValueError(
                f"conv{x.ndim - 2}d: declared {what} {shape_text(declared)} but the array has "
                f"shape {tuple(actual)}"
            )


def _checked_conv(
    x, w, border_mode, subsample, dilation, flip, groups, input_shape=None, filter_shape=None
):
    """The forward kernel, checking user-declared shapes and naming both on mismatch."""
    _check_declared(x, w, input_shape, filter_shape)
    try:
        return kernels.conv(x, w, border_mode, subsample, dilation, flip, groups)
    except ValueError as error:
        raise ValueError(
            f"conv{x.ndim - 2}d of input {x.shape} with filters {w.shape}: {error}"
        ) from None


class Conv2d(_Conv):
    """``conv2d(x, w)`` for 4-d ``x`` (batch, channels, rows, cols) and ``w`` (out channels,
    channels / groups, rows, cols). ``input_shape``/``filter_shape`` declared by the user
    are checked against the actual arrays when the function runs."""

    spatial_dims = 2


class Conv3d(_Conv):
    """``conv3d(x, w)`` for 5-d ``x`` (batch, channels, depth, rows, cols) and ``w`` (out
    channels, channels / groups, depth, rows, cols); otherwise as ``Conv2d``."""

    spatial_dims = 3


class _ConvGradOp(_ConvOp):
    """A gradient op: ``kernel(a, b, spatial_shape, *params)`` of the ``conv_kernels``."""

    kernel_name: str

    def emit(self, node, inputs, ctx):
        hint = self.kernel_name.replace("conv", self.function_name, 1)  # conv3d_grad_inputs
        kernel = ctx.bind(getattr(kernels, self.kernel_name), hint)
        return f"{kernel}({inputs[0]}, {inputs[1]}, {inputs[2]}, {self._kernel_args()})"

    def _spatial_entries(self, node) -> list:
        spatial = node.inputs[2]
        return [getitem(spatial, axis) for axis in range(self.spatial_dims)]

    def jax(self, node, inputs, jx):
        # The transpose of the forward convolution, as JAX derives it: gx = vjp wrt x,
        # gw = vjp wrt w, at the forward shapes given by ``spatial``.
        a, b, spatial = inputs
        spatial = tuple(_static_ints(spatial, self))
        if self.kernel_name == "conv_grad_inputs":
            gy, w = a, b
            x_shape = (gy.shape[0], w.shape[1] * self.num_groups) + spatial
            x = jx.numpy.zeros(x_shape, gy.dtype)
            _, pullback = jx.jax.vjp(lambda x: self.jax_conv(jx, x, w), x)
        else:
            x, gy = a, b
            w_shape = (gy.shape[1], x.shape[1] // self.num_groups) + spatial
            w = jx.numpy.zeros(w_shape, x.dtype)
            _, pullback = jx.jax.vjp(lambda w: self.jax_conv(jx, x, w), w)
        return pullback(gy)[0]


class _ConvGradInputs(_ConvGradOp):
    """``gx`` of the convolution (see ``Conv2dGradInputs``)."""

    kernel_name = "conv_grad_inputs"

    def make_node(self, gy, w, spatial) -> Apply:
        gy, w = _float_inputs(gy, w)
        self._check_ndim(((gy, "output gradient"), (w, "filters")))
        spatial = as_shape_vector(spatial)
        sizes = _static_spatial(spatial, self.spatial_dims)
        channels = None if w.type.shape[1] is None else w.type.shape[1] * self.num_groups
        shape = (gy.type.shape[0], channels, *sizes)
        context = f"{self.function_name}_grad_wrt_inputs"
        if None not in sizes:
            expected = self._output_shape(shape, w.type.shape, context)
            for axis in range(1, self.spatial_dims + 2):
                known = gy.type.shape[axis]
                if known is not None and expected[axis] is not None and known != expected[axis]:
                    raise ValueError(
                        f"{context}: output gradient {gy} has shape "
                        f"{shape_text(gy.type.shape)} but input shape {shape_text(shape)} "
                        f"and filters {shape_text(w.type.shape)} give {shape_text(expected)}"
                    )
        return Apply(self, [gy, w, spatial], [TensorType(gy.dtype, shape)])

    def infer_shape(self, node, input_shapes):
        gy_shape, w_shape, _ = input_shapes
        return [(gy_shape[0], w_shape[1] * self.num_groups, *self._spatial_entries(node))]

    def grad(self, node, output_grads):
        gy, w, spatial = node.inputs
        (g,) = output_grads
        forward, _, grad_weights = self.family()
        params = self.params()
        d_gy = forward(*params)(g, w)
        d_w = grad_weights(*params)(g, gy, self._spatial_shape(w))
        return [d_gy, d_w, None]


class _ConvGradWeights(_ConvGradOp):
    """``gw`` of the convolution (see ``Conv2dGradWeights``)."""

    kernel_name = "conv_grad_weights"

    def make_node(self, x, gy, spatial) -> Apply:
        x, gy = _float_inputs(x, gy)
        self._check_ndim(((x, "input"), (gy, "output gradient")))
        spatial = as_shape_vector(spatial)
        sizes = _static_spatial(spatial, self.spatial_dims)
        channels = None if x.type.shape[1] is None else x.type.shape[1] // self.num_groups
        shape = (gy.type.shape[1], channels, *sizes)
        return Apply(self, [x, gy, spatial], [TensorType(x.dtype, shape)])

    def infer_shape(self, node, input_shapes):
        x_shape, gy_shape, _ = input_shapes
        return [(gy_shape[1], x_shape[1] // self.num_groups, *self._spatial_entries(node))]

    def grad(self, node, output_grads):
        x, gy, spatial = node.inputs
        (g,) = output_grads
        forward, grad_inputs, _ = self.family()
        params = self.params()
        d_x = grad_inputs(*params)(gy, g, self._spatial_shape(x))
        d_gy = forward(*params)(x, g)
        return [d_x, d_gy, None]


class Conv2dGradInputs(_ConvGradInputs):
    """``gx`` of ``conv2d``: inputs ``gy``, ``w`` and the input's (rows, cols)."""

    spatial_dims = 2


class Conv2dGradWeights(_ConvGradWeights):
    """``gw`` of ``conv2d``: inputs ``x``, ``gy`` and the filters' (rows, cols)."""

    spatial_dims = 2


class Conv3dGradInputs(_ConvGradInputs):
    """``gx`` of ``conv3d``: inputs ``gy``, ``w`` and the input's (depth, rows, cols)."""

    spatial_dims = 3


class Conv3dGradWeights(_ConvGradWeights):
    """``gw`` of ``conv3d``: inputs ``x``, ``gy`` and the filters' (depth, rows, cols)."""

    spatial_dims = 3


_FAMILIES = {
    2: (Conv2d, Conv2dGradInputs, Conv2dGradWeights),
    3: (Conv3d, Conv3dGradInputs, Conv3dGradWeights),
}


def conv2d(
    input,
    filters,
    input_shape=None,
    filter_shape=None,
    border_mode="valid",
    subsample=(1, 1),
    filter_flip=True,
    filter_dilation=(1, 1),
    num_groups=1,
) -> Variable:
    """2-D convolution with Theano's semantics (``T.nnet.conv2d``).

    ``input`` is ``(batch, channels, rows, cols)``, ``filters`` is
    ``(out_channels, channels // num_groups, krows, kcols)``. ``border_mode``: 'valid',
    'full', 'half', an int, a pair of ints or a pair of (before, after) pairs.
    ``filter_flip=True`` flips the kernel (true convolution).
    """
    op = Conv2d(
        border_mode,
        subsample,
        filter_dilation,
        filter_flip,
        num_groups,
        _declared(input_shape),
        _declared(filter_shape),
    )
    return op(input, filters)


def conv3d(
    input,
    filters,
    input_shape=None,
    filter_shape=None,
    border_mode="valid",
    subsample=(1, 1, 1),
    filter_flip=True,
    filter_dilation=(1, 1, 1),
    num_groups=1,
) -> Variable:
    """3-D convolution with Theano's semantics (``T.nnet.conv3d``).

    ``input`` is ``(batch, channels, depth, rows, cols)``, ``filters`` is
    ``(out_channels, channels // num_groups, kdepth, krows, kcols)``. ``border_mode``:
    'valid', 'full', 'half', an int, three ints or three entries that are ints or
    (before, after) pairs. ``filter_flip=True`` flips the kernel on its three spatial axes
    (true convolution).
    """
    op = Conv3d(
        border_mode,
        subsample,
        filter_dilation,
        filter_flip,
        num_groups,
        _declared(input_shape),
        _declared(filter_shape),
    )
    return op(input, filters)


def _declared(shape):
    if shape is None:
        return None
    return tuple(s if isinstance(s, (int, np.integer)) else None for s in shape)


def _spatial_of(shape: Sequence, spatial_dims: int, what: str):
    rank = spatial_dims + 2
    if isinstance(shape, Variable):
        return [getitem(shape, axis) for axis in range(2, rank)]
    shape = list(shape)
    if len(shape) != rank:
        raise ValueError(f"{what} must have {rank} entries, got {shape}")
    return shape[2:]


def conv2d_grad_wrt_inputs(
    output_grad,
    filters,
    input_shape,
    filter_shape=None,
    border_mode="valid",
    subsample=(1, 1),
    filter_flip=True,
    filter_dilation=(1, 1),
    num_groups=1,
) -> Variable:
    """Gradient of ``conv2d`` with respect to its input (``input_shape`` is the full 4-d
    shape of the input, ints or symbolic)."""
    op = Conv2dGradInputs(border_mode, subsample, filter_dilation, filter_flip, num_groups)
    return op(output_grad, filters, _spatial_of(input_shape, 2, "input_shape"))


def conv3d_grad_wrt_inputs(
    output_grad,
    filters,
    input_shape,
    filter_shape=None,
    border_mode="valid",
    subsample=(1, 1, 1),
    filter_flip=True,
    filter_dilation=(1, 1, 1),
    num_groups=1,
) -> Variable:
    """Gradient of ``conv3d`` with respect to its input (``input_shape`` is the full 5-d
    shape of the input, ints or symbolic)."""
    op = Conv3dGradInputs(border_mode, subsample, filter_dilation, filter_flip, num_groups)
    return op(output_grad, filters, _spatial_of(input_shape, 3, "input_shape"))


def conv2d_grad_wrt_weights(
    input,
    output_grad,
    filter_shape,
    input_shape=None,
    border_mode="valid",
    subsample=(1, 1),
    filter_flip=True,
    filter_dilation=(1, 1),
    num_groups=1,
) -> Variable:
    """Gradient of ``conv2d`` with respect to its filters (``filter_shape`` 4-d)."""
    op = Conv2dGradWeights(border_mode, subsample, filter_dilation, filter_flip, num_groups)
    return op(input, output_grad, _spatial_of(filter_shape, 2, "filter_shape"))


def conv3d_grad_wrt_weights(
    input,
    output_grad,
    filter_shape,
    input_shape=None,
    border_mode="valid",
    subsample=(1, 1, 1),
    filter_flip=True,
    filter_dilation=(1, 1, 1),
    num_groups=1,
) -> Variable:
    """Gradient of ``conv3d`` with respect to its filters (``filter_shape`` 5-d)."""
    op = Conv3dGradWeights(border_mode, subsample, filter_dilation, filter_flip, num_groups)
    return op(input, output_grad, _spatial_of(filter_shape, 3, "filter_shape"))


def conv2d_transpose(
    input,
    filters,
    output_shape,
    filter_shape=None,
    border_mode="valid",
    input_dilation=(1, 1),
    filter_flip=True,
    filter_dilation=(1, 1),
    num_groups=1,
) -> Variable:
    """The transpose of ``conv2d`` ("deconvolution"): maps ``input`` of conv2d's output
    shape back to ``output_shape``; ``input_dilation`` is the forward conv's stride."""
    return conv2d_grad_wrt_inputs(
        input,
        filters,
        output_shape,
        filter_shape,
        border_mode,
        input_dilation,
        filter_flip,
        filter_dilation,
        num_groups,
    )
