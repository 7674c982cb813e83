"""``theano.scalar``: the dtype rule Theano code calls as ``theano.scalar.upcast``."""

from __future__ import annotations

import numpy as np

from symgraph.compat.theano.configparser import config

__all__ = ["upcast"]


def upcast(dtype, *dtypes) -> str:
    """The dtype of a combination of values of these dtypes (NumPy's promotion), except
    that a float wider than ``floatX`` that only mixing integers in produced is narrowed
    to ``floatX`` (int64 with float32 is float32 under floatX=float32), as in Theano. A
    float as wide as the result among the dtypes keeps it."""
    given = [np.dtype(d) for d in (dtype, *dtypes)]
    result = np.result_type(*given)
    floatx = np.dtype(config.floatX)
    widest_float = max((d.itemsize for d in given if d.kind == "f"), default=0)
    if result.kind == "f" and floatx.itemsize < result.itemsize and widest_float <= floatx.itemsize:
        return str(floatx)
    return str(result)
