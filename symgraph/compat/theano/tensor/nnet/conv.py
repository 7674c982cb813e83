"""``theano.tensor.nnet.conv``: the legacy ``conv2d`` interface (``image_shape=``)."""

from __future__ import annotations

from symgraph.compat.theano._util import deprecated, ignore_arguments
from symgraph.tensor.ops.conv import conv2d as _conv2d

__all__ = ["conv2d", "imported_scipy_signal"]

# Theano's Python implementation of this convolution needed scipy.signal, and code (its own
# tests among them) checks this flag before running without a C compiler. symgraph's
# convolution needs neither: it is always available.
imported_scipy_signal = True


def conv2d(
    input,
    filters,
    image_shape=None,
    filter_shape=None,
    border_mode="valid",
    subsample=(1, 1),
    **kargs,
):
    """The old ``conv.conv2d``: a true convolution ('valid' or 'full'); ``image_shape`` is
    the input's shape. Deprecated in Theano; ConvOp tuning keywords are ignored."""
    deprecated(
        "theano.tensor.nnet.conv.conv2d is deprecated. Use theano.tensor.nnet.conv2d instead."
    )
    if border_mode not in ("valid", "full"):
        raise ValueError(f"conv.conv2d: border_mode must be 'valid' or 'full', got {border_mode!r}")
    if kargs:
        ignore_arguments("conv.conv2d", kargs)
    return _conv2d(
        input,
        filters,
        input_shape=image_shape,
        filter_shape=filter_shape,
        border_mode=border_mode,
        subsample=subsample,
    )
