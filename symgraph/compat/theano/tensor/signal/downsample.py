"""``theano.tensor.signal.downsample``: the module Theano moved to ``pool`` (importing it
warns, as it did); ``max_pool_2d`` is ``pool_2d``, whose ``ds``/``st`` spellings warn."""

from __future__ import annotations

from symgraph.compat.theano._util import deprecated
from symgraph.compat.theano.tensor.signal import pool

deprecated("downsample module has been moved to the theano.tensor.signal.pool module.")

max_pool_2d_same_size = pool.max_pool_2d_same_size
max_pool_2d = pool.pool_2d
DownsampleFactorMax = pool.Pool
MaxPoolGrad = pool.MaxPoolGrad
AveragePoolGrad = pool.AveragePoolGrad
DownsampleFactorMaxGradGrad = pool.DownsampleFactorMaxGradGrad

__all__ = [
    "AveragePoolGrad",
    "DownsampleFactorMax",
    "DownsampleFactorMaxGradGrad",
    "MaxPoolGrad",
    "max_pool_2d",
    "max_pool_2d_same_size",
]
