"""``theano.tensor.nnet.abstract_conv``: the convolution functions under their module name
(DCGAN-style code imports the transposed convolution from here), Theano's shape helpers
bilinear upsampling and the ``AbstractConv2d``/``AbstractConv3d`` op classes layer libraries
build directly.

The shape helpers compute what Theano 1.0's did, axis by axis, for 2-d and 3-d
convolutions, on ints, ``None`` (unknown, giving ``None``) or symbolic scalars; unlike
``conv2d`` they do not validate: a kernel larger than the image gives the (zero or
negative) size the formula gives, as Theano returned it. ``border_mode`` is 'valid',
'full', 'half', an int or a tuple with one entry per axis.
"""

from __future__ import annotations

import numpy as np

from symgraph.compat.theano._util import deprecated, ignore_arguments
from symgraph.compat.theano.configparser import config
from symgraph.compat.theano.tensor.opt import Assert
from symgraph.graph.basic import Constant, Variable
from symgraph.tensor.ops import math
from symgraph.tensor.ops.conv import conv2d as _conv2d
from symgraph.tensor.ops.conv import (
    conv2d_grad_wrt_inputs,
    conv2d_grad_wrt_weights,
    conv2d_transpose,
    conv3d,
    conv3d_grad_wrt_inputs,
    conv3d_grad_wrt_weights,
)
from symgraph.tensor.ops.shape import arange, concatenate
from symgraph.tensor.variable import as_tensor

__all__ = [
    "AbstractConv2d",
    "AbstractConv2d_gradInputs",
    "AbstractConv2d_gradWeights",
    "AbstractConv3d",
    "AbstractConv3d_gradInputs",
    "AbstractConv3d_gradWeights",
    "assert_conv_shape",
    "assert_shape",
    "bilinear_kernel_1D",
    "bilinear_kernel_2D",
    "bilinear_upsampling",
    "check_conv_gradinputs_shape",
    "conv2d",
    "conv2d_grad_wrt_inputs",
    "conv2d_grad_wrt_weights",
    "conv2d_transpose",
    "conv3d",
    "conv3d_grad_wrt_inputs",
    "conv3d_grad_wrt_weights",
    "get_conv_gradinputs_shape",
    "get_conv_gradinputs_shape_1axis",
    "get_conv_gradweights_shape",
    "get_conv_gradweights_shape_1axis",
    "get_conv_output_shape",
    "get_conv_shape_1axis",
]


def _pad(border_mode, dilated_kernel):
    """The padding on one axis for ``border_mode``, given the dilated kernel size."""
    if border_mode == "half":
        return dilated_kernel // 2
    if border_mode == "full":
        return dilated_kernel - 1
    if border_mode == "valid":
        return 0
    if isinstance(border_mode, str):
        raise ValueError(
            f"border_mode must be 'valid', 'full', 'half' or an int, got {border_mode!r}"
        )
    if isinstance(border_mode, (int, np.integer)) and border_mode < 0:
        raise ValueError("border_mode must be >= 0")
    return border_mode


def _unknown(*values) -> bool:
    return any(v is None for v in values)


def get_conv_shape_1axis(image_shape, kernel_shape, border_mode, subsample, dilation=1):
    """Output size on one axis: ``(image + 2 * pad - dilated_kernel) // subsample + 1``."""
    if _unknown(image_shape, kernel_shape, border_mode, subsample, dilation):
        return None
    dilated = (kernel_shape - 1) * dilation + 1
    pad = _pad(border_mode, dilated)
    size = image_shape - dilated if _is_zero(pad) else image_shape + 2 * pad - dilated
    if not _is_one(subsample):
        size = size // subsample
    return size + 1


def get_conv_gradweights_shape_1axis(image_shape, top_shape, border_mode, subsample, dilation):
    """Kernel size on one axis from the image and output sizes; None where it is not
    determined (a subsample other than 1, or 'half' padding)."""
    if _unknown(image_shape, top_shape, border_mode, subsample, dilation):
        return None
    if not _is_one(subsample) or border_mode == "half":
        return None
    if border_mode == "full":
        size = top_shape - image_shape
    elif border_mode == "valid":
        size = image_shape - top_shape
    else:
        _pad(border_mode, 1)  # checks it
        size = image_shape + 2 * border_mode - top_shape
    if not _is_one(dilation):
        size = size // dilation
    return size + 1


def get_conv_gradinputs_shape_1axis(kernel_shape, top_shape, border_mode, subsample, dilation):
    """Image size on one axis from the kernel and output sizes; None when subsample is
    not 1 (several image sizes then give the same output)."""
    if _unknown(kernel_shape, top_shape, border_mode, subsample, dilation):
        return None
    if not _is_one(subsample):
        return None
    dilated = (kernel_shape - 1) * dilation + 1
    pad = _pad(border_mode, dilated)
    if _is_zero(pad):
        return top_shape + dilated - 1
    return top_shape - 2 * pad + dilated - 1


def _is_zero(value) -> bool:
    return isinstance(value, (int, np.integer)) and value == 0


def _is_one(value) -> bool:
    return isinstance(value, (int, np.integer)) and value == 1


def _per_axis(function, first, second, border_mode, subsample, filter_dilation):
    if filter_dilation is None:
        filter_dilation = (1,) * len(subsample)
    modes = border_mode if isinstance(border_mode, tuple) else (border_mode,) * len(subsample)
    return tuple(
        function(first[i], second[i], modes[i], subsample[i], filter_dilation[i])
        for i in range(len(subsample))
    )


def get_conv_output_shape(image_shape, kernel_shape, border_mode, subsample, filter_dilation=None):
    """Theano's output shape ``(batch, out_channels, *spatial)`` of a convolution of an
    ``image_shape`` input with ``kernel_shape`` filters (2-d or 3-d, given by the length
    of ``subsample``)."""
    spatial = len(subsample)
    return (image_shape[0], kernel_shape[0]) + _per_axis(
        get_conv_shape_1axis,
        image_shape[2:],
        kernel_shape[-spatial:],
        border_mode,
        subsample,
        filter_dilation,
    )


def get_conv_gradweights_shape(
    image_shape, top_shape, border_mode, subsample, filter_dilation=None, num_groups=1
):
    """Theano's kernel shape ``(out_channels, in_channels, *spatial)`` for the gradient
    with respect to the weights (spatial entries None where not determined)."""
    in_channels = image_shape[1]
    if num_groups > 1 and in_channels is not None:
        in_channels = in_channels // num_groups
    return (top_shape[1], in_channels) + _per_axis(
        get_conv_gradweights_shape_1axis,
        image_shape[2:],
        top_shape[2:],
        border_mode,
        subsample,
        filter_dilation,
    )


def get_conv_gradinputs_shape(
    kernel_shape, top_shape, border_mode, subsample, filter_dilation=None, num_groups=1
):
    """Theano's image shape ``(batch, in_channels, *spatial)`` for the gradient with
    respect to the inputs (spatial entries None where subsample is not 1)."""
    spatial = len(subsample)
    in_channels = kernel_shape[1]
    if num_groups > 1 and in_channels is not None:
        in_channels = in_channels * num_groups
    return (top_shape[0], in_channels) + _per_axis(
        get_conv_gradinputs_shape_1axis,
        kernel_shape[-spatial:],
        top_shape[2:],
        border_mode,
        subsample,
        filter_dilation,
    )


def _constant_value(value):
    """``value`` as a Python int when it is known now, else None."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, Constant) and np.ndim(value.data) == 0:
        return int(value.data)
    return None


def check_conv_gradinputs_shape(
    image_shape, kernel_shape, output_shape, border_mode, subsample, filter_dilation=None
):
    """Whether a convolution of ``image_shape`` with ``kernel_shape`` could have given
    ``output_shape``: False only when a known size disagrees (or the ranks do not fit);
    unknown and symbolic sizes are accepted, as in Theano."""
    image_shape, kernel_shape = tuple(image_shape), tuple(kernel_shape)
    output_shape = tuple(output_shape)
    if not len(image_shape) == len(kernel_shape) == len(output_shape):
        return False
    if len(image_shape) - 2 != len(subsample):
        return False
    if filter_dilation is not None and len(image_shape) - 2 != len(filter_dilation):
        return False
    computed = get_conv_output_shape(
        image_shape, kernel_shape, border_mode, subsample, filter_dilation
    )
    for given, expected in zip(output_shape, computed):
        given, expected = _constant_value(given), _constant_value(expected)
        if given is not None and expected is not None and given != expected:
            return False
    return True


def assert_conv_shape(shape):
    """``shape`` checked as a convolution shape: the first two sizes must be >= 0, the
    others > 0. Known sizes are checked now (ValueError, Theano's message); symbolic ones
    are wrapped in an ``Assert`` checking them when the function runs."""
    checked = []
    for i, size in enumerate(shape):
        bound, words = (0, "< 0") if i < 2 else (1, "<= 0")
        known = _constant_value(size)
        if known is not None:
            if known < bound:
                raise ValueError(
                    f"The convolution would produce an invalid shape (dim[{i}]: {known} {words})."
                )
            checked.append(size)
        elif size is None:
            checked.append(size)
        else:
            message = f"The convolution would produce an invalid shape (dim[{i}] {words})."
            checked.append(Assert(message)(size, math.ge(size, bound)))
    return tuple(checked)


def assert_shape(x, expected_shape, msg="Unexpected shape."):
    """``x`` wrapped in an ``Assert`` that its shape is ``expected_shape`` (None entries
    are not checked); ``x`` itself when nothing is to be checked."""
    if expected_shape is None:
        return x
    x = as_tensor(x)
    tests = [
        math.eq(x.shape[i], expected)
        for i, expected in enumerate(expected_shape)
        if expected is not None
    ]
    return Assert(msg)(x, *tests) if tests else x


def bilinear_kernel_1D(ratio, normalize=True):  # noqa: N802 - Theano's name
    """The 1-d bilinear upsampling kernel for ``ratio``: ``1, 2, ..., ratio, ..., 2, 1``
    (divided by ``ratio`` when ``normalize``), of ``config.floatX``."""
    half = arange(1, ratio + 1, dtype=config.floatX)
    kernel = concatenate([half, half[-2::-1]])
    if normalize:
        kernel = kernel / math.cast(as_tensor(ratio), config.floatX)
    return kernel


def bilinear_kernel_2D(ratio, normalize=True):  # noqa: N802 - Theano's name
    """The 2-d bilinear kernel: the outer product of the 1-d kernels of the row and
    column ratios (``ratio`` or ``(row_ratio, col_ratio)``)."""
    rows, cols = ratio if isinstance(ratio, tuple) else (ratio, ratio)
    horizontal = bilinear_kernel_1D(cols, normalize).dimshuffle("x", 0)
    vertical = bilinear_kernel_1D(rows, normalize).dimshuffle(0, "x")
    return vertical * horizontal


def bilinear_upsampling(
    input,  # noqa: A002 - Theano's name
    ratio=None,
    frac_ratio=None,
    batch_size=None,
    num_input_channels=None,
    use_1D_kernel=True,  # noqa: N803 - Theano's name
):
    """Theano's bilinear upsampling of a 4-d ``input`` by an integer ``ratio``: each image
    is edge-padded by one pixel and put through a transposed convolution with the bilinear
    kernel, giving ``(batch, channels, rows * ratio, cols * ratio)``. As in Theano, with
    an even ratio the last row and column are repeated once more than the first.
    Fractional ratios (``frac_ratio``) are not supported."""
    if ratio and frac_ratio:
        raise ValueError("can't use ratio and frac_ratio together")
    if not (ratio or frac_ratio):
        raise ValueError("No ratio (or frac_ratio) provided")
    if frac_ratio:
        raise NotImplementedError("bilinear_upsampling: frac_ratio is not supported by symgraph")
    input = as_tensor(input)  # noqa: A001
    try:
        stacked = batch_size * num_input_channels
    except TypeError:
        stacked = None
    rows, cols = input.shape[2], input.shape[3]
    images = input.reshape((-1, 1, rows, cols))
    padded = concatenate([images[:, :, :1, :], images, images[:, :, -1:, :]], axis=2)
    padded = concatenate([padded[:, :, :, :1], padded, padded[:, :, :, -1:]], axis=3)
    pad = 2 * ratio - (ratio - 1) // 2 - 1
    if use_1D_kernel:
        kernel = bilinear_kernel_1D(ratio)
        upsampled_rows = conv2d_grad_wrt_inputs(
            padded,
            kernel.dimshuffle("x", "x", 0, "x"),
            input_shape=(stacked, 1, rows * ratio, cols + 2),
            border_mode=(pad, 0),
            subsample=(ratio, 1),
        )
        upsampled = conv2d_grad_wrt_inputs(
            upsampled_rows,
            kernel.dimshuffle("x", "x", "x", 0),
            input_shape=(stacked, 1, rows * ratio, cols * ratio),
            border_mode=(0, pad),
            subsample=(1, ratio),
        )
    else:
        kernel = bilinear_kernel_2D(ratio)
        upsampled = conv2d_grad_wrt_inputs(
            padded,
            kernel.dimshuffle("x", "x", 0, 1),
            input_shape=(stacked, 1, rows * ratio, cols * ratio),
            border_mode=(pad, pad),
            subsample=(ratio, ratio),
        )
    return upsampled.reshape((input.shape[0], input.shape[1], rows * ratio, cols * ratio))


def conv2d(
    input,
    filters,
    input_shape=None,
    filter_shape=None,
    border_mode="valid",
    subsample=(1, 1),
    filter_flip=True,
    image_shape=None,
    filter_dilation=(1, 1),
    num_groups=1,
    unshared=False,
    **kwargs,
):
    """Theano's ``T.nnet.conv2d`` (its argument order; ``image_shape`` is the deprecated
    name of ``input_shape``; other old keywords are ignored with a warning)."""
    if "imshp_logical" in kwargs or "kshp_logical" in kwargs:
        raise ValueError(
            "conv2d: 'imshp_logical' and 'kshp_logical' are not supported (they were not a "
            "reliable way to upsample); use conv2d_transpose"
        )
    if kwargs:
        ignore_arguments("conv2d", kwargs)
    if image_shape is not None:
        if input_shape is not None:
            raise ValueError("input_shape and image_shape should not be provided at the same time.")
        deprecated(
            "The `image_shape` keyword argument to `tensor.nnet.conv2d` is deprecated, it has "
            "been renamed to `input_shape`."
        )
        input_shape = image_shape
    if unshared:
        raise NotImplementedError("conv2d(unshared=True) is not supported by symgraph")
    return _conv2d(
        input,
        filters,
        input_shape=input_shape,
        filter_shape=filter_shape,
        border_mode=border_mode,
        subsample=subsample,
        filter_flip=filter_flip,
        filter_dilation=filter_dilation,
        num_groups=num_groups,
    )


def _theano_border_mode(border_mode, convdim: int = 2):
    """``border_mode`` in Theano's normal form: a string, or one int per spatial axis (an
    int stands for all of them; all zeros is 'valid')."""
    if isinstance(border_mode, (int, np.integer)):
        border_mode = (border_mode,) * convdim
    if isinstance(border_mode, (list, tuple)):
        if len(border_mode) != convdim:
            raise ValueError(
                f"border_mode must have exactly {convdim} values, but was {border_mode!r}"
            )
        border_mode = tuple(int(b) for b in border_mode)
        if border_mode == (0,) * convdim:
            return "valid"
    for axis_mode in border_mode if isinstance(border_mode, tuple) else (border_mode,):
        _pad(axis_mode, 1)  # checks it
    return border_mode


def _per_axis_tuple(value, convdim: int, what: str) -> tuple:
    value = tuple(value)
    if len(value) != convdim:
        raise ValueError(f"{what} must have {convdim} elements, got {value!r}")
    return value


def _declared_shape(shape, convdim: int, what: str) -> tuple:
    """A declared input or filter shape: its entries None or known ints (Theano's rule)."""
    rank = convdim + 2
    if not shape:
        return (None,) * rank
    shape = tuple(shape)
    if len(shape) != rank:
        raise ValueError(f"{what} must have {rank} entries, got {shape!r}")
    known = tuple(None if s is None else _constant_value(s) for s in shape)
    if any(k is None and s is not None for k, s in zip(known, shape)):
        raise ValueError(f"{what} should be None or a tuple of constant int values, got {shape!r}")
    return known


class _AbstractConvBase:
    """The settings Theano's convolution ops share (``convdim`` spatial axes, set by each
    class). These are not graph ops: calling one builds the core's convolution nodes;
    ``imshp`` and ``kshp`` (forward shapes, entries None where unknown) are checked
    against the arrays when it runs."""

    __props__ = (
        "convdim",
        "border_mode",
        "subsample",
        "filter_flip",
        "imshp",
        "kshp",
        "filter_dilation",
        "num_groups",
        "unshared",
    )
    convdim: int

    def _setup(
        self, imshp, kshp, border_mode, subsample, filter_flip, filter_dilation, num_groups,
        unshared,
    ) -> None:  # fmt: skip
        name, convdim = type(self).__name__, self.convdim
        if unshared:
            raise NotImplementedError(f"{name}(unshared=True) is not supported by symgraph")
        if num_groups < 1:
            raise ValueError(f"{name}: num_groups must be >= 1, got {num_groups}")
        self.border_mode = _theano_border_mode(border_mode, convdim)
        self.subsample = _per_axis_tuple(subsample, convdim, f"{name}: subsample")
        self.filter_flip = filter_flip
        self.imshp = _declared_shape(imshp, convdim, f"{name}: imshp")
        self.kshp = _declared_shape(kshp, convdim, f"{name}: kshp")
        self.filter_dilation = _per_axis_tuple(filter_dilation, convdim, f"{name}: filter_dilation")
        self.num_groups = num_groups
        self.unshared = unshared

    def _props(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__props__)

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self) -> int:
        return hash((type(self), self._props()))

    def __str__(self) -> str:
        settings = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__props__)
        return f"{type(self).__name__}{{{settings}}}"

    def _settings(self) -> dict:
        """The keyword arguments the core's convolution functions share."""
        return {
            "border_mode": self.border_mode,
            "subsample": self.subsample,
            "filter_flip": self.filter_flip,
            "filter_dilation": self.filter_dilation,
            "num_groups": self.num_groups,
        }

    def _spatial_shape(self, shape) -> list:
        """Theano's ``shape`` argument (the spatial sizes, ints, scalars or a symbolic
        vector) padded to the full shape the core's gradient functions take."""
        if not isinstance(shape, Variable):
            shape = tuple(shape)
            if len(shape) != self.convdim:
                raise ValueError(
                    f"{type(self).__name__}: shape must hold the {self.convdim} spatial "
                    f"sizes, got {shape!r}"
                )
        return [None, None, *(shape[axis] for axis in range(self.convdim))]

    def _checked(self, variable, declared, what: str, declared_name: str):
        return assert_shape(
            variable,
            declared,
            f"{type(self).__name__} shape mismatch: shape of {what} does not match given "
            f"{declared_name}.",
        )


class _AbstractConv2dBase(_AbstractConvBase):
    """Theano's 2-d convolution settings (``AbstractConv2d``'s constructor)."""

    convdim = 2

    def __init__(
        self,
        imshp=None,
        kshp=None,
        border_mode="valid",
        subsample=(1, 1),
        filter_flip=True,
        filter_dilation=(1, 1),
        num_groups=1,
        unshared=False,
    ) -> None:
        self._setup(
            imshp, kshp, border_mode, subsample, filter_flip, filter_dilation, num_groups,
            unshared,
        )  # fmt: skip


class _AbstractConv3dBase(_AbstractConvBase):
    """Theano's 3-d convolution settings (``AbstractConv3d``'s constructor: no unshared
    convolution in 3-d)."""

    convdim = 3

    def __init__(
        self,
        imshp=None,
        kshp=None,
        border_mode="valid",
        subsample=(1, 1, 1),
        filter_flip=True,
        filter_dilation=(1, 1, 1),
        num_groups=1,
    ) -> None:
        self._setup(
            imshp, kshp, border_mode, subsample, filter_flip, filter_dilation, num_groups, False
        )


class AbstractConv2d(_AbstractConv2dBase):
    """Theano's forward 2-d convolution op: ``AbstractConv2d(...)(img, kern)`` is
    ``conv2d(img, kern)`` with these settings."""

    def __call__(self, img, kern) -> Variable:
        return _conv2d(
            img, kern, input_shape=self.imshp, filter_shape=self.kshp, **self._settings()
        )


class AbstractConv2d_gradInputs(_AbstractConv2dBase):  # noqa: N801 - Theano's name
    """Theano's gradient of the 2-d convolution with respect to its input (the transposed
    convolution): ``AbstractConv2d_gradInputs(...)(kern, topgrad, shape)``, ``shape``
    being the input's (rows, cols)."""

    def __call__(self, kern, topgrad, shape) -> Variable:
        kern = self._checked(kern, self.kshp, "filters", "kshp")
        return conv2d_grad_wrt_inputs(topgrad, kern, self._spatial_shape(shape), **self._settings())


class AbstractConv2d_gradWeights(_AbstractConv2dBase):  # noqa: N801 - Theano's name
    """Theano's gradient of the 2-d convolution with respect to its filters:
    ``AbstractConv2d_gradWeights(...)(img, topgrad, shape)``, ``shape`` being the
    filters' (rows, cols)."""

    def __call__(self, img, topgrad, shape) -> Variable:
        img = self._checked(img, self.imshp, "image", "imshp")
        return conv2d_grad_wrt_weights(img, topgrad, self._spatial_shape(shape), **self._settings())


class AbstractConv3d(_AbstractConv3dBase):
    """Theano's forward 3-d convolution op: ``AbstractConv3d(...)(img, kern)`` is
    ``conv3d(img, kern)`` with these settings."""

    def __call__(self, img, kern) -> Variable:
        return conv3d(img, kern, input_shape=self.imshp, filter_shape=self.kshp, **self._settings())


class AbstractConv3d_gradInputs(_AbstractConv3dBase):  # noqa: N801 - Theano's name
    """Theano's gradient of the 3-d convolution with respect to its input:
    ``AbstractConv3d_gradInputs(...)(kern, topgrad, shape)``, ``shape`` being the input's
    (depth, rows, cols)."""

    def __call__(self, kern, topgrad, shape) -> Variable:
        kern = self._checked(kern, self.kshp, "filters", "kshp")
        return conv3d_grad_wrt_inputs(topgrad, kern, self._spatial_shape(shape), **self._settings())


class AbstractConv3d_gradWeights(_AbstractConv3dBase):  # noqa: N801 - Theano's name
    """Theano's gradient of the 3-d convolution with respect to its filters:
    ``AbstractConv3d_gradWeights(...)(img, topgrad, shape)``, ``shape`` being the
    filters' (depth, rows, cols)."""

    def __call__(self, img, topgrad, shape) -> Variable:
        img = self._checked(img, self.imshp, "image", "imshp")
        return conv3d_grad_wrt_weights(img, topgrad, self._spatial_shape(shape), **self._settings())
