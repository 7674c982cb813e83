"""``theano.tensor.signal``: pooling (``pool``; the old ``downsample`` on import)."""

from symgraph.compat.theano.tensor.signal import pool

__all__ = ["pool"]
