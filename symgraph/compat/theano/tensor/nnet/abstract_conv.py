"""``theano.tensor.nnet.abstract_conv``: the convolution functions under their module name
(DCGAN-style code imports the transposed convolution from here)."""

from __future__ import annotations

from symgraph.compat.theano._util import deprecated, ignore_arguments
from symgraph.tensor.ops.conv import conv2d as _conv2d
from symgraph.tensor.ops.conv import (
    conv2d_grad_wrt_inputs,
    conv2d_grad_wrt_weights,
    conv2d_transpose,
)
from symgraph.tensor.ops.conv_kernels import conv_output_shape

__all__ = [
    "conv2d",
    "conv2d_grad_wrt_inputs",
    "conv2d_grad_wrt_weights",
    "conv2d_transpose",
    "get_conv_output_shape",
]


def get_conv_output_shape(image_shape, kernel_shape, border_mode, subsample, filter_dilation=None):
    """Output shape ``(batch, out_channels, rows, cols)`` of a 2-D convolution; ``None``
    entries stay ``None``."""
    return conv_output_shape(
        image_shape, kernel_shape, border_mode, subsample, filter_dilation or (1, 1)
    )


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
