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

import functools
import threading
import warnings
from collections.abc import Sequence

import numpy as np

from symgraph.compile.shared import SharedVariable
from symgraph.config import config
from symgraph.graph.basic import Apply, Op, Variable
from symgraph.graph.type import TensorType
from symgraph.tensor.elemwise import broadcast_static_shapes
from symgraph.tensor.params import as_bool, as_choice, as_dtype_name, as_int
from symgraph.tensor.shape import _vector_entries, as_shape_vector, static_value
from symgraph.tensor.variable import TensorConstant, as_tensor

__all__ = [
    "RandomStreams",
    "RandomVariable",
    "STATE_TYPE",
    "generator_from_state",
    "state_from_generator",
    "state_from_seed",
]

# [state high, state low, increment high, increment low, has_uint32, uinteger]: the whole of
# a PCG64 bit generator, so a restored state continues exactly where the saved one stopped.
_STATE_WORDS = 6
_MASK64 = (1 << 64) - 1
STATE_TYPE = TensorType("uint64", (_STATE_WORDS,))


def state_from_generator(bit_generator: np.random.PCG64) -> np.ndarray:
    """The state vector of a PCG64 bit generator."""
    state = bit_generator.state
    if state["bit_generator"] != "PCG64":
        raise TypeError(f"random states hold PCG64 generators, not {state['bit_generator']}")
    s, inc = state["state"]["state"], state["state"]["inc"]
    words = [s >> 64, s & _MASK64, inc >> 64, inc & _MASK64, state["has_uint32"], state["uinteger"]]
    return np.array(words, dtype=np.uint64)


def state_from_seed(seed) -> np.ndarray:
    """A fresh state vector seeded with ``seed`` (an int, a SeedSequence or None)."""
    return state_from_generator(np.random.PCG64(seed))


def _state_dict(words: np.ndarray) -> dict:
    if np.shape(words) != (_STATE_WORDS,):
        raise ValueError(f"a random state is a uint64 vector of length {_STATE_WORDS}")
    w = [int(v) for v in words]
    return {
        "bit_generator": "PCG64",
        "state": {"state": (w[0] << 64) | w[1], "inc": (w[2] << 64) | w[3]},
        "has_uint32": w[4],
        "uinteger": w[5],
    }


def generator_from_state(words: np.ndarray) -> np.random.Generator:
    """A new ``numpy.random.Generator`` continuing the stream of a state vector."""
    bit_generator = np.random.PCG64()
    bit_generator.state = _state_dict(words)
    return np.random.Generator(bit_generator)


# One scratch generator per thread, re-pointed at each state: building a PCG64 costs ~30 us,
# setting its state ~3 us.
_scratch = threading.local()


def _scratch_generator(words: np.ndarray) -> np.random.Generator:
    generator = getattr(_scratch, "generator", None)
    if generator is None:
        generator = _scratch.generator = np.random.Generator(np.random.PCG64(0))
    generator.bit_generator.state = _state_dict(words)
    return generator


# --------------------------------------------------------------------------------------
# samplers: (generator, size, *params, **options) -> array


def _uniform(gen, size, low, high):
    return gen.uniform(low, high, size)


def _normal(gen, size, avg, std, truncate=False):
    if not truncate:
        return gen.normal(avg, std, size)
    # Theano's MRG truncate=True: standard normals outside [-2, 2] are drawn again.
    z = gen.standard_normal(
        size if size is not None else np.broadcast_shapes(np.shape(avg), np.shape(std))
    )
    z = np.asarray(z)
    outside = np.abs(z) > 2
    while outside.any():
        z[outside] = gen.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2
    return avg + std * z


def _binomial(gen, size, n, p):
    if np.ndim(n) == 0 and n == 1:
        # Bernoulli draws (dropout masks): one comparison, far cheaper than gen.binomial.
        shape = size if size is not None else np.shape(p)
        return gen.random(shape) < p
    return gen.binomial(n, p, size)


def _random_integers(gen, size, low, high):
    return gen.integers(low, high, size, endpoint=True)


def _integers(gen, size, low, high):
    return gen.integers(low, high, size)


def _choice(gen, size, a, p=None, replace=True):
    if np.ndim(a) == 0:
        a = int(a)
    return gen.choice(a, size, replace=replace, p=p)


def _permutation(gen, size, n):
    n = int(n)
    rows = () if size is None else tuple(size)
    count = int(np.prod(rows, dtype=np.int64))
    out = np.empty((count, n), dtype=np.int64)
    for i in range(count):
        out[i] = gen.permutation(n)
    return out.reshape(rows + (n,))


def _multinomial(gen, size, n, pvals):
    return gen.multinomial(n, pvals, size)


# name -> (sampler, number of trailing axes the sample adds to ``size``)
_SAMPLERS = {
    "uniform": (_uniform, 0),
    "normal": (_normal, 0),
    "binomial": (_binomial, 0),
    "random_integers": (_random_integers, 0),
    "integers": (_integers, 0),
    "choice": (_choice, 0),
    "permutation": (_permutation, 1),
    "multinomial": (_multinomial, 1),
}


def draw(distribution, dtype, has_size, options, state, *args):
    """Run one sampler on a state vector: returns (advanced state, sample of ``dtype``)."""
    sampler, _ = _SAMPLERS[distribution]
    if has_size:
        size, *params = args
        size = tuple(int(s) for s in size)
    else:
        size, params = None, args
    generator = _scratch_generator(state)
    sample = sampler(generator, size, *params, **dict(options))
    sample = np.asarray(sample).astype(dtype, copy=False)
    return state_from_generator(generator.bit_generator), sample


class RandomVariable(Op):
    """``(new_state, sample) = RandomVariable(...)(state, [size], *params)``.

    ``distribution`` names the sampler, ``ndim``/``dtype`` describe the sample, ``has_size``
    says whether a size vector is the second input (otherwise the sample has the broadcast
    shape of the parameters), ``options`` are static keyword arguments (``replace``,
    ``truncate``). Nondeterministic: constant folding leaves it alone. Not differentiable.
    """

    __props__ = ("distribution", "dtype", "ndim", "has_size", "options")
    nondeterministic = True

    def __init__(
        self, distribution: str, dtype: str, ndim: int, has_size: bool = True, options: tuple = ()
    ) -> None:
        if not isinstance(distribution, str) or distribution not in _SAMPLERS:
            raise ValueError(
                f"unknown distribution {distribution!r}; known: {', '.join(_SAMPLERS)}"
            )
        self.distribution = as_choice(distribution, _SAMPLERS, "RandomVariable: distribution")
        # None is NumPy's default dtype, float64
        self.dtype = as_dtype_name(
            np.dtype(dtype) if dtype is None else dtype, "RandomVariable: dtype"
        )
        self.ndim = as_int(ndim, "RandomVariable: ndim")
        self.has_size = as_bool(has_size, "RandomVariable: has_size")
        self.options = tuple(sorted(options))

    def __str__(self) -> str:
        return f"Random{{{self.distribution}, {self.dtype}}}"

    def make_node(self, state, *args) -> Apply:
        state = as_tensor(state)
        if state.dtype != "uint64" or state.ndim != 1:
            raise TypeError(
                f"{self}: the state must be a uint64 vector (a RandomStreams state), got "
                f"{state.type.describe()}"
            )
        args = list(args)
        inputs = [state]
        if self.has_size:
            size = as_shape_vector(args.pop(0))
            inputs.append(size)
        params = [as_tensor(p) for p in args]
        inputs += params
        extra = _SAMPLERS[self.distribution][1]
        shape = self._static_shape(size if self.has_size else None, params, extra)
        if len(shape) != self.ndim:
            raise ValueError(
                f"{self}: the sample has {len(shape)} dimensions but ndim={self.ndim} was given"
            )
        return Apply(self, inputs, [state.type, TensorType(self.dtype, shape)])

    def _static_shape(self, size, params, extra: int) -> tuple:
        if size is not None:
            length = size.type.shape[0]
            entries = _vector_entries(size)
            if length is None:  # a size vector of unknown length: the caller gave ndim
                lead = (None,) * (self.ndim - extra)
            elif entries is None:
                lead = (None,) * length
            else:
                lead = tuple(static_value(e) for e in entries)
        else:
            ranks = [p.ndim - (extra if i == len(params) - 1 else 0) for i, p in enumerate(params)]
            rank = max(ranks, default=0)
            padded = [(1,) * (rank - r) + tuple(p.type.shape[:r]) for p, r in zip(params, ranks)]
            lead = broadcast_static_shapes(padded, str(self)) if padded else ()
        tail = ()
        if extra:
            last = params[-1]
            if self.distribution == "permutation":
                tail = (static_value(last) if last.ndim == 0 else None,)
            else:  # multinomial: one count per category of pvals' last axis
                tail = (last.type.shape[-1] if last.ndim else None,)
        return tuple(lead) + tail

    def emit(self, node, inputs, ctx):
        sampler = ctx.bind(self._kernel(), f"random_{self.distribution}")
        return f"{sampler}({', '.join(inputs)})"

    def _kernel(self):
        return _kernel(self.distribution, self.dtype, self.has_size, self.options)

    def infer_shape(self, node, input_shapes):
        if not self.has_size or _SAMPLERS[self.distribution][1]:
            return None
        from symgraph.tensor.subtensor import getitem

        size = node.inputs[1]
        entries = _vector_entries(size)
        if entries is None:
            entries = [getitem(size, i) for i in range(self.ndim)]
        return [input_shapes[0], tuple(as_tensor(e) for e in entries)]

    def grad(self, node, output_grads):
        # A sample is not a differentiable function of the state or the parameters here;
        # gradients flow around it (through x in x * mask), never through it.
        return [None] * len(node.inputs)


@functools.cache
def _kernel(distribution, dtype, has_size, options):
    return functools.partial(draw, distribution, dtype, has_size, options)


# --------------------------------------------------------------------------------------
# streams


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
    """

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
        """The (state, new state) pairs of all streams, to pass as ``updates=`` by hand."""
        return list(self.state_updates)

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
        extra = _SAMPLERS[distribution][1]
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
        state = SharedVariable(STATE_TYPE, self._next_state(), name="rng_state")
        op = RandomVariable(distribution, dtype, out_ndim, has_size, options)
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

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None) -> Variable:
        """Binomial counts of ``n`` trials of probability ``p`` (``n=1``: 0/1 masks)."""
        if prob is not None:
            warnings.warn(
                "DEPRECATION: the 'prob' argument of binomial is deprecated; use 'p'",
                UserWarning,
                stacklevel=2,
            )
            p = prob
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
