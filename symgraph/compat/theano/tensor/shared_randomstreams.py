"""``theano.tensor.shared_randomstreams``: ``RandomStreams``, symgraph's with Theano's
deprecated ``binomial(prob=)``."""

from __future__ import annotations

from symgraph.compat.theano._util import deprecated
from symgraph.tensor.ops.random import RandomVariable
from symgraph.tensor.random import RandomStreams as _RandomStreams

__all__ = ["RandomStreams", "RandomVariable"]


class RandomStreams(_RandomStreams):
    """symgraph's random streams; ``binomial`` also takes Theano's old ``prob``."""

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
        """Binomial counts of ``n`` trials of probability ``p`` (``prob``: its deprecated
        name, which warns)."""
        if prob is not None:
            deprecated("the 'prob' argument of binomial is deprecated; use 'p'")
            p = prob
        return super().binomial(size, n, p, ndim, dtype)
