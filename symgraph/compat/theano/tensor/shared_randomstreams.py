"""``theano.tensor.shared_randomstreams``: ``RandomStreams`` drawing Theano's numbers.

As in Theano, ``RandomStreams(seed)`` keeps a ``numpy.random.RandomState(seed)`` that seeds
each new random variable's own ``RandomState`` with ``randint(2**30)``, in creation order;
``seed(s)`` re-seeds every variable made so far from a fresh ``RandomState(s)`` the same
way. Draws call the ``RandomState`` as Theano did (see ``raw_random``), with Python scalar
parameters typed as Theano typed them, so a script seeded like a Theano script draws the
same numbers.
"""

from __future__ import annotations

import numpy as np

from symgraph.compat.theano._util import deprecated
from symgraph.compat.theano.configparser import config
from symgraph.compat.theano.tensor.raw_random import (
    RANDOM_STATE_TYPE,
    RandomFunction,
    RandomStateSharedVariable,
    state_from_random_state,
    theano_typed,
)
from symgraph.tensor import arange, as_tensor
from symgraph.tensor.random import RandomStreams as _RandomStreams

__all__ = ["RandomFunction", "RandomStateSharedVariable", "RandomStreams"]

# each variable's RandomState is seeded with randint(_SEED_BOUND) of the seed generator
_SEED_BOUND = 2**30


def _upcast_floatx(*tensors) -> str:
    """Theano's default dtype of a float sample: floatX upcast with the parameters'."""
    return np.result_type(config.floatX, *(t.dtype for t in tensors)).name


class RandomStreams(_RandomStreams):
    """Theano's ``RandomStreams``: one legacy ``numpy.random.RandomState`` per variable."""

    op_class = RandomFunction
    state_type = RANDOM_STATE_TYPE
    state_class = RandomStateSharedVariable

    def __init__(self, seed=None) -> None:
        super().__init__(seed)
        self.gen_seedgen = np.random.RandomState(seed)

    def _next_state(self) -> np.ndarray:
        seed = int(self.gen_seedgen.randint(_SEED_BOUND))
        return state_from_random_state(np.random.RandomState(seed))

    def gen(self, distribution, size=None, params=(), ndim=None, dtype=None, options=()):
        """A sample from a new stream; as in Theano it carries its stream's state
        (``sample.rng``, a shared ``RandomState``) and that state's update
        (``sample.update``, a pair for ``updates=``)."""
        sample = super().gen(distribution, size, params, ndim, dtype, options)
        state, new_state = self.state_updates[-1]
        sample.rng, sample.update = state, (state, new_state)
        return sample

    def __getitem__(self, state: RandomStateSharedVariable) -> np.random.RandomState:
        """``streams[sample.rng]``: that stream's ``RandomState``."""
        return state.get_value(borrow=True)

    def __setitem__(self, state: RandomStateSharedVariable, value) -> None:
        """``streams[sample.rng] = numpy.random.RandomState(...)``: restart that stream."""
        state.set_value(value, borrow=True)

    def seed(self, seed=None) -> None:
        """Re-seed every stream from ``RandomState(seed)`` (None: the construction seed);
        streams made later still come from the construction seed's sequence, as in Theano."""
        if seed is None:
            seed = self.default_instance_seed
        seedgen = np.random.RandomState(seed)
        for state, _ in self.state_updates:
            stream_seed = int(seedgen.randint(_SEED_BOUND))
            state.set_value(state_from_random_state(np.random.RandomState(stream_seed)))

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
        """Uniform samples in ``[low, high)``: ``RandomState.uniform``."""
        low, high = theano_typed(low), theano_typed(high)
        return self.gen("uniform", size, (low, high), ndim, dtype or _upcast_floatx(low, high))

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
        """Normal samples: ``RandomState.normal``."""
        avg, std = theano_typed(avg), theano_typed(std)
        return self.gen("normal", size, (avg, std), ndim, dtype or _upcast_floatx(avg, std))

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
        """Binomial counts: ``RandomState.binomial`` (``prob``: ``p``'s deprecated name)."""
        if prob is not None:
            deprecated("the 'prob' argument of binomial is deprecated; use 'p'")
            p = prob
        return self.gen("binomial", size, (theano_typed(n), theano_typed(p)), ndim, dtype)

    def poisson(self, size=None, lam=None, ndim=None, dtype="int64"):
        """Poisson counts of mean ``lam``: ``RandomState.poisson``."""
        if lam is None:
            raise TypeError("RandomStreams.poisson needs lam")
        return self.gen("poisson", size, (theano_typed(lam),), ndim, dtype)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64"):
        """Integers from ``low`` to ``high`` inclusive, one ``RandomState`` draw each."""
        return self.gen(
            "random_integers", size, (theano_typed(low), theano_typed(high)), ndim, dtype
        )

    def choice(self, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64"):
        """Samples of ``range(a)`` (or of the vector ``a``): ``RandomState.choice``."""
        if isinstance(p, (int, float, list, tuple)) and not p:
            p = None  # Theano read a false p (0, []) as no p: every choice equally likely
        params = (theano_typed(a),) if p is None else (theano_typed(a), p)
        return self.gen("choice", size, params, ndim, dtype, (("replace", bool(replace)),))

    def permutation(self, size=None, n=1, ndim=None, dtype="int64"):
        """Permutations of ``range(n)``, one per entry of ``size`` (shape ``size + (n,)``)."""
        return self.gen(
            "permutation", () if size is None else size, (theano_typed(n),), ndim, dtype
        )

    def shuffle_row_elements(self, input):
        """``input`` with the entries of every row (its last axis) shuffled, each row by its
        own permutation, drawn in row order as ``RandomState.shuffle`` would shuffle them;
        the permutations are ``result.permutation``."""
        input = as_tensor(input)
        if input.ndim == 0:
            raise TypeError(f"shuffle_row_elements needs at least a vector, got {input}")
        length = input.shape[-1]
        perm = self.permutation(size=input.shape[:-1], n=length, ndim=input.ndim - 1)
        rows = input.reshape((-1, length))
        picked = rows[arange(rows.shape[0]).dimshuffle(0, "x"), perm.reshape((-1, length))]
        shuffled = picked.reshape(input.shape, ndim=input.ndim)
        shuffled.permutation = perm
        return shuffled

    def multinomial(self, size=None, n=1, pvals=None, ndim=None, dtype="int64"):
        """Multinomial counts over the last axis of ``pvals``, one row at a time."""
        if pvals is None:
            pvals = [0.5, 0.5]
        return self.gen("multinomial", size, (theano_typed(n), pvals), ndim, dtype)
