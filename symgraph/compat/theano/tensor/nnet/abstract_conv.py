"""``theano.tensor.nnet.abstract_conv``: the convolution functions under their module name
(DCGAN-style code imports the transposed convolution from here)."""

from __future__ import annotations

from symgraph.compat.theano.tensor.nnet import conv2d
from symgraph.tensor.conv import (
    conv2d_grad_wrt_inputs,
    conv2d_grad_wrt_weights,
    conv2d_transpose,
)
from symgraph.tensor.conv_kernels import conv_output_shape

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
