"""``theano.sandbox``: only ``rng_mrg`` (``MRG_RandomStreams``) is provided."""

from symgraph.compat.theano.sandbox import rng_mrg

__all__ = ["rng_mrg"]
