"""``theano.tensor.signal.pool``: ``pool_2d`` and ``max_pool_2d_same_size``."""

from __future__ import annotations

from symgraph.compat.theano._util import deprecated, warn
from symgraph.tensor.ops.pool import Pool, max_pool_2d_same_size
from symgraph.tensor.ops.pool import pool_2d as _pool_2d

__all__ = ["Pool", "max_pool_2d_same_size", "pool_2d"]


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
    ``ignore_border`` unset warns and means False.
    """
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
        if pad not in (None, (0, 0)):
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
            "pool_2d() will have the parameter ignore_border default value changed to True "
            "(currently False). To have consistent behavior with all Theano versions, "
            "explicitly add the parameter ignore_border=True."
        )
        ignore_border = False
    return _pool_2d(input, ws, ignore_border, stride, (0, 0) if pad is None else pad, mode)
