"""Random streams: symbolic random numbers drawn from shared generator states.

    srng = RandomStreams(seed=1234)
    mask = srng.binomial(size=h.shape, p=0.5, dtype=h.dtype)
    f = symgraph.function([x], h * mask)      # each call draws a new mask

Each draw (``srng.uniform(...)``) gets its own generator state: a shared ``uint64`` vector
holding NumPy's PCG64 state. The ``RandomVariable`` node reads that state and outputs the
sample and the advanced state; the state's ``default_update`` is the advanced state, so every
call of a compiled function moves the stream on (``no_default_updates=True`` keeps it still).

Keeping the state a plain tensor (rather than a ``Generator`` object) means the rest of the
engine needs no special case: shared-variable storage, update checks, ``givens``, pickling
and ``get_value``/``set_value`` all work as for any tensor, and restoring a saved state is a
cheap array copy instead of a deep copy of a generator.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from symgraph.config import config
from symgraph.graph.basic import Variable
from symgraph.tensor.ops.random import STATE_TYPE, RandomVariable, state_from_seed
from symgraph.tensor.ops.shape import as_shape_vector
from symgraph.tensor.shared import SharedVariable
from symgraph.tensor.variable import TensorConstant, as_tensor

__all__ = ["RandomStreams"]


def _float_dtype(params) -> str:
    """Theano's rule: floatX, upcast with any float tensor parameter's dtype."""
    dtypes = [config.floatX]
    for p in params:
        if isinstance(p, Variable) and not (isinstance(p, TensorConstant) and p.weak):
            if p.type.numpy_dtype.kind == "f":
                dtypes.append(p.dtype)
    return np.result_type(*dtypes).name


class RandomStreams:
    """A factory of symbolic random variables sharing one seed (Theano's ``RandomStreams``).

    Each method call creates a new stream (its own shared state, seeded from this object's
    seed in order of creation) and returns a symbolic sample; compiled functions using it
    draw fresh numbers at every call. ``seed(s)`` re-seeds every stream made so far, as if
    they had been made by ``RandomStreams(s)``.

    ``op_class``, ``state_type``, ``state_class`` and ``_next_state`` name the generator: a
    subclass drawing from another one (Theano's ``RandomState`` streams in the compat layer)
    changes them.
    """

    op_class = RandomVariable
    state_type = STATE_TYPE
    state_class = SharedVariable

    def __init__(self, seed: int | None = None) -> None:
        self.default_instance_seed = seed
        self._seed_sequence = np.random.SeedSequence(seed)
        # (state shared variable, advanced state) per stream, in creation order (Theano name)
        self.state_updates: list[tuple[SharedVariable, Variable]] = []

    def seed(self, seed: int | None = None) -> None:
        """Re-seed every stream (``seed`` None: the seed given at construction)."""
        if seed is None:
            seed = self.default_instance_seed
        self._seed_sequence = np.random.SeedSequence(seed)
        for state, _ in self.state_updates:
            state.set_value(self._next_state(), borrow=True)

    def updates(self) -> list[tuple[SharedVariable, Variable]]:
        """The (state, new state) pairs of all streams, to pass as ``updates=`` by hand.
        The new state is the state's current ``default_update``: a draw inside a loop
        has it replaced by the loop's final state."""
        return [(state, state.default_update) for state, _ in self.state_updates]

    def _next_state(self) -> np.ndarray:
        (child,) = self._seed_sequence.spawn(1)
        return state_from_seed(child)

    def gen(
        self,
        distribution: str,
        size=None,
        params: Sequence = (),
        ndim=None,
        dtype=None,
        options: tuple = (),
    ) -> Variable:
        """A sample of ``distribution`` from a new stream (the methods below call this)."""
        has_size = size is not None
        tensors = [as_tensor(p) for p in params]
        extra = self.op_class.samplers[distribution][1]
        if has_size:
            size = as_shape_vector(size)
            length = size.type.shape[0]
            if length is None and ndim is None:
                raise ValueError(
                    f"{distribution}: the length of size is not known when the graph is "
                    "built; pass ndim="
                )
            out_ndim = (length if length is not None else ndim) + extra
        else:
            ranks = [t.ndim for t in tensors]
            out_ndim = max(ranks, default=0)
        if ndim is not None and ndim + extra != out_ndim:
            raise ValueError(f"{distribution}: ndim={ndim} does not match size {size}")
        state = self.state_class(self.state_type, self._next_state(), name="rng_state")
        op = self.op_class(distribution, dtype, out_ndim, has_size, options)
        args = ([size] if has_size else []) + tensors
        new_state, sample = op(state, *args)
        state.default_update = new_state
        self.state_updates.append((state, new_state))
        return sample

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None) -> Variable:
        """Uniform samples in ``[low, high)`` (dtype: floatX unless given)."""
        dtype = dtype or _float_dtype([as_tensor(low), as_tensor(high)])
        return self.gen("uniform", size, (low, high), ndim, dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None) -> Variable:
        """Normal samples of mean ``avg`` and standard deviation ``std``."""
        dtype = dtype or _float_dtype([as_tensor(avg), as_tensor(std)])
        return self.gen("normal", size, (avg, std), ndim, dtype)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64") -> Variable:
        """Binomial counts of ``n`` trials of probability ``p`` (``n=1``: 0/1 masks)."""
        return self.gen("binomial", size, (n, p), ndim, dtype)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64") -> Variable:
        """Integers drawn uniformly from ``low`` to ``high`` inclusive (Theano's)."""
        return self.gen("random_integers", size, (low, high), ndim, dtype)

    def integers(self, size=None, low=0, high=2, ndim=None, dtype="int64") -> Variable:
        """Integers drawn uniformly from ``[low, high)`` (NumPy's convention)."""
        return self.gen("integers", size, (low, high), ndim, dtype)

    def choice(self, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64") -> Variable:
        """Samples of ``a`` (an int n for ``range(n)``, or a vector), with probabilities
        ``p`` (uniform when None), with or without replacement."""
        params = (a,) if p is None else (a, p)
        return self.gen("choice", size, params, ndim, dtype, (("replace", bool(replace)),))

    def permutation(self, size=None, n=1, ndim=None, dtype="int64") -> Variable:
        """Permutations of ``range(n)``: the result has shape ``size + (n,)``."""
        return self.gen("permutation", () if size is None else size, (n,), ndim, dtype)

    def multinomial(self, size=None, n=1, pvals=None, ndim=None, dtype="int64") -> Variable:
        """Multinomial counts over the last axis of ``pvals`` (one-hot rows for ``n=1``)."""
        if pvals is None:
            pvals = [0.5, 0.5]
        return self.gen("multinomial", size, (n, pvals), ndim, dtype)
