"""``theano.sandbox.rng_mrg.MRG_RandomStreams`` with its signatures, on symgraph's streams.

The numbers are not Theano's MRG31k3p sequence (they come from NumPy's PCG64), but the
interface is: default seed 12345, ``binomial(size, p, n)``, ``normal(..., truncate=)``,
``choice(size, a, replace, p)``; ``nstreams`` (a GPU tuning knob) is accepted and ignored.
"""

from __future__ import annotations

from symgraph.compat.theano._util import ignore_arguments
from symgraph.tensor.random import RandomStreams, _float_dtype
from symgraph.tensor.variable import as_tensor

__all__ = ["MRG_RandomStreams"]


class MRG_RandomStreams(RandomStreams):  # noqa: N801 - Theano's name
    """Theano's MRG random streams (seeded 12345 unless told otherwise)."""

    def __init__(self, seed=12345) -> None:
        super().__init__(seed)

    def uniform(self, size, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None, **kwargs):
        """Uniform samples in ``[low, high)``."""
        ignore_arguments("MRG_RandomStreams.uniform", kwargs)
        return super().uniform(size, low, high, ndim, dtype)

    def normal(
        self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None, truncate=False, **kwargs
    ):
        """Normal samples; ``truncate=True`` redraws values beyond two standard deviations."""
        ignore_arguments("MRG_RandomStreams.normal", kwargs)
        if not truncate:
            return super().normal(size, avg, std, ndim, dtype)
        dtype = dtype or _float_dtype([as_tensor(avg), as_tensor(std)])
        return self.gen("normal", size, (avg, std), ndim, dtype, (("truncate", True),))

    def truncated_normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None):
        """Normal samples redrawn until within two standard deviations of ``avg``."""
        return self.normal(size, avg, std, ndim, dtype, truncate=True)

    def binomial(self, size=None, p=None, n=1, ndim=None, dtype="int64", nstreams=None, **kwargs):
        """Binomial counts (0/1 for ``n=1``) with success probability ``p``."""
        ignore_arguments("MRG_RandomStreams.binomial", kwargs)
        if p is None:
            raise TypeError("MRG_RandomStreams.binomial needs p")
        return super().binomial(size, n, p, ndim, dtype)

    def multinomial(
        self, size=None, n=1, pvals=None, ndim=None, dtype="int64", nstreams=None, **kwargs
    ):
        """One draw per row of the matrix ``pvals``: counts (one-hot rows for ``n=1``)."""
        ignore_arguments("MRG_RandomStreams.multinomial", kwargs)
        if pvals is None:
            raise TypeError("MRG_RandomStreams.multinomial needs pvals")
        return super().multinomial(size, n, pvals, ndim, dtype)

    def choice(
        self,
        size=1,
        a=None,
        replace=True,
        p=None,
        ndim=None,
        dtype="int64",
        nstreams=None,
        **kwargs,
    ):
        """Samples of ``range(a)`` (or of the vector ``a``) with probabilities ``p``."""
        ignore_arguments("MRG_RandomStreams.choice", kwargs)
        if a is None:
            raise TypeError("MRG_RandomStreams.choice needs a")
        return super().choice(size, a, replace, p, ndim, dtype)
