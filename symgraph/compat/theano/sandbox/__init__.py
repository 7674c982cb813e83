"""``theano.sandbox``: ``rng_mrg`` (``MRG_RandomStreams``), and ``cuda``
(imported on demand), which reports no GPU."""

from symgraph.compat.theano.sandbox import rng_mrg

__all__ = ["rng_mrg"]
