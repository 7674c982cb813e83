"""``theano.tensor.shared_randomstreams``: ``RandomStreams`` (symgraph's own class)."""

from symgraph.tensor.random import RandomStreams, RandomVariable

__all__ = ["RandomStreams", "RandomVariable"]
