"""2-D convolution: ``conv2d`` and its two gradients, each a graph op of its own, so the
gradient of a gradient is just another graph (grad of grad works).

The three ops are the three faces of one bilinear map ``y = conv(x, w)``:

- ``Conv2d(x, w) -> y``;
- ``Conv2dGradInputs(gy, w, x_spatial) -> gx`` (the transpose in ``x``, also
  ``conv2d_transpose``);
- ``Conv2dGradWeights(x, gy, w_spatial) -> gw`` (the transpose in ``w``).

Each one's gradient is expressed with the other two. The NumPy kernels live in
``conv_kernels`` (im2col + GEMM).
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


def int_pair(value, what: str) -> tuple[int, int]:
    """``value`` as a (rows, cols) pair of exact ints; an int stands for both axes."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        value = as_int(value, what)
        return (value, value)
    value = tuple(as_int(v, what) for v in value)
    if len(value) != 2:
        raise ValueError(f"{what} must be an int or a pair of ints, got {value}")
    return value


def _border_mode(value):
    """``border_mode`` rebuilt from a known string or exact ints (it is pasted into
    generated source); ``conv_kernels.normalize_border_mode`` then checks its shape."""
    what = "conv2d: border_mode"
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


def _static_spatial(vector: Variable) -> tuple[int | None, int | None]:
    entries = _vector_entries(vector)
    if entries is None:
        return (None, None)
    return tuple(static_value(e) for e in entries)


class _ConvOp(Op):
    """Parameters shared by the three convolution ops."""

    __props__ = ("border_mode", "subsample", "filter_dilation", "filter_flip", "num_groups")

    def __init__(
        self,
        border_mode="valid",
        subsample=(1, 1),
        filter_dilation=(1, 1),
        filter_flip=True,
        num_groups=1,
    ) -> None:
        self.border_mode = border_mode = _border_mode(border_mode)
        self.subsample = int_pair(subsample, "conv2d: subsample")
        self.filter_dilation = int_pair(filter_dilation, "conv2d: filter_dilation")
        self.filter_flip = as_bool(filter_flip, "conv2d: filter_flip")
        self.num_groups = as_int(num_groups, "conv2d: num_groups")
        # Validate the mode now (an unknown string is an error at graph-build time).
        kernels.normalize_border_mode(border_mode, (3, 3), self.filter_dilation)

    def params(self) -> tuple:
        """The constructor arguments shared by the three convolution ops."""
        return (
            self.border_mode,
            self.subsample,
            self.filter_dilation,
            self.filter_flip,
            self.num_groups,
        )

    def _kernel_args(self) -> str:
        return (
            f"{self.border_mode!r}, {self.subsample}, {self.filter_dilation}, "
            f"{self.filter_flip}, {self.num_groups}"
        )

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
            raise ValueError(f"conv2d of input {x.shape} with filters {w.shape}: {error}") from None
        pads = kernels.normalize_border_mode(self.border_mode, w.shape[2:], self.filter_dilation)
        if self.filter_flip:
            w = w[:, :, ::-1, ::-1]
        return jx.lax.conv_general_dilated(
            x,
            w,
            window_strides=self.subsample,
            padding=pads,
            rhs_dilation=self.filter_dilation,
            dimension_numbers=("NCHW", "OIHW", "NCHW"),
            feature_group_count=self.num_groups,
        )


def _float_inputs(*variables):
    variables = [as_float(as_tensor(v)) for v in variables]
    dtype = np.result_type(*[v.dtype for v in variables]).name
    return [v if v.dtype == dtype else cast(v, dtype) for v in variables]


class Conv2d(_ConvOp):
    """``conv2d(x, w)`` for 4-d ``x`` (batch, channels, rows, cols) and ``w`` (out channels,
    channels / groups, rows, cols). ``input_shape``/``filter_shape`` declared by the user
    are checked against the actual arrays when the function runs."""

    __props__ = _ConvOp.__props__ + ("input_shape", "filter_shape")

    def __init__(
        self,
        border_mode="valid",
        subsample=(1, 1),
        filter_dilation=(1, 1),
        filter_flip=True,
        num_groups=1,
        input_shape=None,
        filter_shape=None,
    ) -> None:
        super().__init__(border_mode, subsample, filter_dilation, filter_flip, num_groups)
        self.input_shape = _declared_shape(input_shape, "conv2d: input_shape")
        self.filter_shape = _declared_shape(filter_shape, "conv2d: filter_shape")

    def __str__(self) -> str:
        return (
            f"Conv2d{{{self.border_mode}, stride={self.subsample}, "
            f"flip={self.filter_flip}"
            + (f", groups={self.num_groups}" if self.num_groups > 1 else "")
            + (f", dilation={self.filter_dilation}" if self.filter_dilation != (1, 1) else "")
            + "}"
        )

    def make_node(self, x, w) -> Apply:
        x, w = _float_inputs(x, w)
        for variable, what in ((x, "input"), (w, "filters")):
            if variable.ndim != 4:
                raise TypeError(
                    f"conv2d: the {what} {variable} must be 4-d, got {variable.type.describe()}"
                )
        x_shape = _merge_declared(x.type.shape, self.input_shape, "input", x)
        w_shape = _merge_declared(w.type.shape, self.filter_shape, "filter", w)
        shape = self._output_shape(
            x_shape,
            w_shape,
            f"conv2d of {x} with input shape {shape_text(x_shape)} and "
            f"{w} with filter shape {shape_text(w_shape)}",
        )
        return Apply(self, [x, w], [TensorType(x.dtype, shape)])

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(_conv2d, "conv2d")
        declared = (
            f", {self.input_shape}, {self.filter_shape}"
            if (self.input_shape or self.filter_shape)
            else ""
        )
        return f"{kernel}({inputs[0]}, {inputs[1]}, {self._kernel_args()}{declared})"

    def jax(self, node, inputs, jx):
        x, w = inputs
        for declared, actual, what in (
            (self.input_shape, x.shape, "input_shape"),
            (self.filter_shape, w.shape, "filter_shape"),
        ):
            if declared is not None and any(
                d is not None and d != a for d, a in zip(declared, actual)
            ):
                raise ValueError(
                    f"conv2d: declared {what} {shape_text(declared)} but the array has shape "
                    f"{tuple(actual)}"
                )
        return self.jax_conv(jx, x, w)

    def infer_shape(self, node, input_shapes):
        return None

    def grad(self, node, output_grads):
        x, w = node.inputs
        (gy,) = output_grads
        params = self.params()
        gx = Conv2dGradInputs(*params)(gy, w, [shape_i(x, 2), shape_i(x, 3)])
        gw = Conv2dGradWeights(*params)(x, gy, [shape_i(w, 2), shape_i(w, 3)])
        return [gx, gw]


def _merge_declared(static, declared, what, variable):
    if declared is None:
        return static
    if len(declared) != 4:
        raise ValueError(f"conv2d: {what}_shape must have 4 entries, got {declared}")
    merged = []
    for axis, (s, d) in enumerate(zip(static, declared)):
        if s is not None and d is not None and s != d:
            raise ValueError(
                f"conv2d: declared {what}_shape {shape_text(declared)} disagrees "
                f"with {variable}'s static shape {shape_text(static)} (axis {axis})"
            )
        merged.append(s if s is not None else d)
    return tuple(merged)


def _conv2d(
    x, w, border_mode, subsample, dilation, flip, groups, input_shape=None, filter_shape=None
):
    """The forward kernel, checking user-declared shapes and naming both on mismatch."""
    for declared, actual, what in (
        (input_shape, x.shape, "input_shape"),
        (filter_shape, w.shape, "filter_shape"),
    ):
        if declared is not None and any(d is not None and d != a for d, a in zip(declared, actual)):
            raise ValueError(
                f"conv2d: declared {what} {shape_text(declared)} but the array has shape {actual}"
            )
    try:
        return kernels.conv2d(x, w, border_mode, subsample, dilation, flip, groups)
    except ValueError as error:
        raise ValueError(f"conv2d of input {x.shape} with filters {w.shape}: {error}") from None


class _ConvGradOp(_ConvOp):
    """A gradient op: ``kernel(a, b, spatial_shape, *params)`` of the ``conv_kernels``."""

    kernel_name: str

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(getattr(kernels, self.kernel_name), self.kernel_name)
        return f"{kernel}({inputs[0]}, {inputs[1]}, {inputs[2]}, {self._kernel_args()})"

    def jax(self, node, inputs, jx):
        # The transpose of the forward convolution, as JAX derives it: gx = vjp wrt x,
        # gw = vjp wrt w, at the forward shapes given by ``spatial``.
        a, b, spatial = inputs
        rows, cols = _static_ints(spatial, self)
        if self.kernel_name == "conv2d_grad_inputs":
            gy, w = a, b
            x = jx.numpy.zeros((gy.shape[0], w.shape[1] * self.num_groups, rows, cols), gy.dtype)
            _, pullback = jx.jax.vjp(lambda x: self.jax_conv(jx, x, w), x)
        else:
            x, gy = a, b
            w = jx.numpy.zeros((gy.shape[1], x.shape[1] // self.num_groups, rows, cols), x.dtype)
            _, pullback = jx.jax.vjp(lambda w: self.jax_conv(jx, x, w), w)
        return pullback(gy)[0]


class Conv2dGradInputs(_ConvGradOp):
    """``gx`` of ``conv2d``: inputs ``gy``, ``w`` and the input's (rows, cols)."""

    kernel_name = "conv2d_grad_inputs"

    def __str__(self) -> str:
        return f"Conv2dGradInputs{{{self.border_mode}, stride={self.subsample}}}"

    def make_node(self, gy, w, spatial) -> Apply:
        gy, w = _float_inputs(gy, w)
        spatial = as_shape_vector(spatial)
        rows, cols = _static_spatial(spatial)
        channels = None if w.type.shape[1] is None else w.type.shape[1] * self.num_groups
        shape = (gy.type.shape[0], channels, rows, cols)
        if None not in (rows, cols):
            expected = self._output_shape(shape, w.type.shape, "conv2d_grad_wrt_inputs")
            for axis in (1, 2, 3):
                known = gy.type.shape[axis]
                if known is not None and expected[axis] is not None and known != expected[axis]:
                    raise ValueError(
                        f"conv2d_grad_wrt_inputs: output gradient {gy} has shape "
                        f"{shape_text(gy.type.shape)} but input shape {shape_text(shape)} "
                        f"and filters {shape_text(w.type.shape)} give {shape_text(expected)}"
                    )
        return Apply(self, [gy, w, spatial], [TensorType(gy.dtype, shape)])

    def grad(self, node, output_grads):
        gy, w, spatial = node.inputs
        (g,) = output_grads
        params = self.params()
        d_gy = Conv2d(*params)(g, w)
        d_w = Conv2dGradWeights(*params)(g, gy, [shape_i(w, 2), shape_i(w, 3)])
        return [d_gy, d_w, None]


class Conv2dGradWeights(_ConvGradOp):
    """``gw`` of ``conv2d``: inputs ``x``, ``gy`` and the filters' (rows, cols)."""

    kernel_name = "conv2d_grad_weights"

    def __str__(self) -> str:
        return f"Conv2dGradWeights{{{self.border_mode}, stride={self.subsample}}}"

    def make_node(self, x, gy, spatial) -> Apply:
        x, gy = _float_inputs(x, gy)
        spatial = as_shape_vector(spatial)
        rows, cols = _static_spatial(spatial)
        channels = None if x.type.shape[1] is None else x.type.shape[1] // self.num_groups
        shape = (gy.type.shape[1], channels, rows, cols)
        return Apply(self, [x, gy, spatial], [TensorType(x.dtype, shape)])

    def grad(self, node, output_grads):
        x, gy, spatial = node.inputs
        (g,) = output_grads
        params = self.params()
        d_x = Conv2dGradInputs(*params)(gy, g, [shape_i(x, 2), shape_i(x, 3)])
        d_gy = Conv2d(*params)(x, g)
        return [d_x, d_gy, None]


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


def _declared(shape):
    if shape is None:
        return None
    return tuple(s if isinstance(s, (int, np.integer)) else None for s in shape)


def _spatial_of(shape: Sequence, what: str):
    if isinstance(shape, Variable):
        return [getitem(shape, 2), getitem(shape, 3)]
    shape = list(shape)
    if len(shape) != 4:
        raise ValueError(f"{what} must have 4 entries, got {shape}")
    return [shape[2], shape[3]]


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
    return op(output_grad, filters, _spatial_of(input_shape, "input_shape"))


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
    return op(input, output_grad, _spatial_of(filter_shape, "filter_shape"))


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
