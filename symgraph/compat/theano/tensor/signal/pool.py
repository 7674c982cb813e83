"""``theano.tensor.signal.pool``: ``pool_2d``, ``pool_3d``, ``max_pool_2d_same_size`` and
the op classes, called as Theano called them (``Pool(ignore_border, mode, ndim)(x, ws,
stride, pad)``, ``Pool.out_shape(imgshape, ws, ignore_border, stride, pad, ndim)``...)."""

from __future__ import annotations

from symgraph.compat.theano._util import deprecated, warn
from symgraph.tensor.ops.pool import (
    AveragePoolGrad,
    MaxPoolGrad,
    MaxPoolGradGrad,
    Pool,
    max_pool_2d_same_size,
)
from symgraph.tensor.variable import as_tensor

__all__ = [
    "AveragePoolGrad",
    "DownsampleFactorMaxGradGrad",
    "MaxPoolGrad",
    "Pool",
    "max_pool_2d_same_size",
    "pool_2d",
    "pool_3d",
]


class DownsampleFactorMaxGradGrad(MaxPoolGradGrad):
    """Theano's name for ``MaxPoolGradGrad``, with its constructor
    ``(ignore_border, mode='max', ndim=2)`` (only 'max' has a second derivative here)."""

    def __init__(self, ignore_border, mode="max", ndim=2) -> None:
        if mode != "max":
            raise ValueError(f"DownsampleFactorMaxGradGrad supports mode 'max' only, got {mode!r}")
        super().__init__(ignore_border, ndim)


def _theano_arguments(name, ws, ignore_border, stride, pad, ds, st, padding, zeros):
    """Theano's handling of the deprecated ``ds``/``st``/``padding`` spellings and of an
    unset ``ignore_border`` (a warning, then False)."""
    if ds is not None:
        if ws is not None:
            raise ValueError(
                "You can't provide a tuple value to both 'ws' and 'ds'. Please provide a value "
                "only to 'ws'."
            )
        deprecated(
            "the 'ds' parameter is not going to exist anymore as it is going to be "
            "replaced by the parameter 'ws'."
        )
        ws = ds
    elif ws is None:
        raise ValueError("You must provide a tuple value for the window size.")
    if st is not None:
        if stride is not None:
            raise ValueError(
                "You can't provide a tuple value to both 'st and 'stride'. Please provide a "
                "value only to 'stride'."
            )
        deprecated(
            "the 'st' parameter is not going to exist anymore as it is going to be "
            "replaced by the parameter 'stride'."
        )
        stride = st
    if padding is not None:
        if pad not in (None, zeros):
            raise ValueError(
                "You can't provide a tuple value to both 'padding' and pad. Please provide a "
                "value only to pad."
            )
        deprecated(
            "the 'padding' parameter is not going to exist anymore as it is going to "
            "be replaced by the parameter 'pad'."
        )
        pad = padding
    if ignore_border is None:
        warn(
            f"{name}() will have the parameter ignore_border default value changed to True "
            "(currently False). To have consistent behavior with all Theano versions, "
            "explicitly add the parameter ignore_border=True."
        )
        ignore_border = False
    return ws, ignore_border, stride, pad


def _pool(name, ndim, input, arguments, mode):
    input = as_tensor(input)
    if input.ndim < ndim:
        raise NotImplementedError(f"{name} requires a dimension >= {ndim}")
    ws, ignore_border, stride, pad = arguments
    return Pool(ignore_border, mode, ndim)(input, ws, stride, pad)


def pool_2d(
    input,
    ws=None,
    ignore_border=None,
    stride=None,
    pad=(0, 0),
    mode="max",
    ds=None,
    st=None,
    padding=None,
):
    """Pool the last two axes of ``input`` (Theano's ``pool_2d``).

    As in Theano: ``ds``, ``st`` and ``padding`` are the deprecated names of ``ws``,
    ``stride`` and ``pad`` (they warn, and giving both spellings is an error), and leaving
    ``ignore_border`` unset warns and means False. ``ws``, ``stride`` and ``pad`` may be
    symbolic integer vectors.
    """
    arguments = _theano_arguments(
        "pool_2d", ws, ignore_border, stride, pad, ds, st, padding, (0, 0)
    )
    return _pool("pool_2d", 2, input, arguments, mode)


def pool_3d(
    input,
    ws=None,
    ignore_border=None,
    stride=None,
    pad=(0, 0, 0),
    mode="max",
    ds=None,
    st=None,
    padding=None,
):
    """Pool the last three axes of ``input`` (Theano's ``pool_3d``), with ``pool_2d``'s
    handling of the deprecated spellings and of an unset ``ignore_border``."""
    arguments = _theano_arguments(
        "pool_3d", ws, ignore_border, stride, pad, ds, st, padding, (0, 0, 0)
    )
    return _pool("pool_3d", 3, input, arguments, mode)
