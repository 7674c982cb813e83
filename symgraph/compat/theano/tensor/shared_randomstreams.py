"""``theano.tensor.shared_randomstreams``: ``RandomStreams`` (symgraph's own class)."""

from symgraph.tensor.ops.random import RandomVariable
from symgraph.tensor.random import RandomStreams

__all__ = ["RandomStreams", "RandomVariable"]
