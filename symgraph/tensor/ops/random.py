"""``RandomVariable``: one draw from a random distribution, given a generator state.

The node reads a PCG64 state (a ``uint64`` vector, ``STATE_TYPE``) and outputs the sample
and the advanced state. ``symgraph.tensor.random.RandomStreams`` builds these nodes on
shared states; see there for why the state is a plain tensor.
"""

from __future__ import annotations

import functools
import threading

import numpy as np

from symgraph.graph.basic import Apply, Op
from symgraph.graph.type import TensorType
from symgraph.tensor.ops.elemwise import broadcast_static_shapes
from symgraph.tensor.ops.shape import _static_ints, _vector_entries, as_shape_vector, static_value
from symgraph.tensor.ops.subtensor import getitem
from symgraph.tensor.params import as_bool, as_choice, as_dtype_name, as_int
from symgraph.tensor.variable import as_tensor

__all__ = [
    "RandomVariable",
    "STATE_TYPE",
    "draw_with",
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
SAMPLERS = {
    "uniform": (_uniform, 0),
    "normal": (_normal, 0),
    "binomial": (_binomial, 0),
    "random_integers": (_random_integers, 0),
    "integers": (_integers, 0),
    "choice": (_choice, 0),
    "permutation": (_permutation, 1),
    "multinomial": (_multinomial, 1),
}


def draw_with(samplers, load, save, distribution, dtype, ndim, has_size, options, state, *args):
    """Run one sampler of ``samplers`` on a state vector: ``load(state)`` gives the generator
    the sampler draws from, ``save(generator)`` its advanced state. Returns (advanced state,
    sample of ``dtype`` with ``ndim`` axes). A size vector whose length does not give
    ``ndim`` axes (its length is only known when it runs) is a ``ValueError``, and the
    state is left as it was."""
    sampler, extra = samplers[distribution]
    if has_size:
        size, *params = args
        size = tuple(int(s) for s in size)
        if len(size) + extra != ndim:
            raise ValueError(
                f"{distribution}: size {size} gives a {len(size) + extra}-d sample, but the "
                f"variable was built {ndim}-d (its ndim); pass a size of {ndim - extra} entries"
            )
    else:
        size, params = None, args
    generator = load(state)
    sample = sampler(generator, size, *params, **dict(options))
    sample = np.asarray(sample).astype(dtype, copy=False)
    if sample.ndim != ndim:
        raise ValueError(
            f"{distribution}: the parameters' shapes {[np.shape(p) for p in params]} give a "
            f"{sample.ndim}-d sample, but the variable was built {ndim}-d"
        )
    return save(generator), sample


def _save_generator(generator: np.random.Generator) -> np.ndarray:
    return state_from_generator(generator.bit_generator)


draw = functools.partial(draw_with, SAMPLERS, _scratch_generator, _save_generator)
draw.__doc__ = "Run one of the PCG64 samplers on a state vector (see ``draw_with``)."


def shapes_from_size(node: Apply, input_shapes, ndim: int) -> list:
    """The shapes of a draw ``(new_state, sample) = op(state, size, ...)``: the state's
    shape, and the ``ndim`` entries of the size vector."""
    size = node.inputs[1]
    entries = _vector_entries(size)
    if entries is None:
        entries = [getitem(size, i) for i in range(ndim)]
    return [input_shapes[0], tuple(as_tensor(e) for e in entries)]


class RandomVariable(Op):
    """``(new_state, sample) = RandomVariable(...)(state, [size], *params)``.

    ``distribution`` names the sampler, ``ndim``/``dtype`` describe the sample, ``has_size``
    says whether a size vector is the second input (otherwise the sample has the broadcast
    shape of the parameters), ``options`` are static keyword arguments (``replace``,
    ``truncate``). Nondeterministic: constant folding leaves it alone. Not differentiable.

    The generator is a property of the class: ``samplers`` (name -> (sampler, axes the
    sample adds to ``size``)), ``state_dtype`` and ``_kernel``. A subclass drawing from
    another generator (the Theano layer's ``numpy.random.RandomState`` streams) changes
    those three and keeps the node building, shapes and code of this one.
    """

    __props__ = ("distribution", "dtype", "ndim", "has_size", "options")
    nondeterministic = True
    samplers = SAMPLERS
    state_dtype = "uint64"

    def __init__(
        self, distribution: str, dtype: str, ndim: int, has_size: bool = True, options: tuple = ()
    ) -> None:
        name = type(self).__name__
        if not isinstance(distribution, str) or distribution not in self.samplers:
            raise ValueError(
                f"unknown distribution {distribution!r}; known: {', '.join(self.samplers)}"
            )
        self.distribution = as_choice(distribution, self.samplers, f"{name}: distribution")
        # None is NumPy's default dtype, float64
        self.dtype = as_dtype_name(np.dtype(dtype) if dtype is None else dtype, f"{name}: dtype")
        self.ndim = as_int(ndim, f"{name}: ndim")
        self.has_size = as_bool(has_size, f"{name}: has_size")
        self.options = tuple(sorted(options))

    def __str__(self) -> str:
        return f"Random{{{self.distribution}, {self.dtype}}}"

    def make_node(self, state, *args) -> Apply:
        state = as_tensor(state)
        if state.dtype != self.state_dtype or state.ndim != 1:
            raise TypeError(
                f"{self}: the state must be a {self.state_dtype} vector (a RandomStreams "
                f"state), got {state.type.describe()}"
            )
        args = list(args)
        inputs = [state]
        if self.has_size:
            size = as_shape_vector(args.pop(0))
            inputs.append(size)
        params = [as_tensor(p) for p in args]
        inputs += params
        extra = self.samplers[self.distribution][1]
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
        return _kernel(self.distribution, self.dtype, self.ndim, self.has_size, self.options)

    def jax(self, node, inputs, jx):
        """A ``jax.random`` draw. The state vector keeps its type; its PCG64 words seed a
        threefry key, split at each draw, and the new key is written back into the
        state, so the state stays a shared variable with a default update. The streams are
        not NumPy's: the same distribution, other numbers."""
        if self.state_dtype != "uint64" or self.distribution not in _JAX_SAMPLERS:
            raise NotImplementedError(
                f"the JAX backend has no lowering for {self} ({type(self).__name__}); "
                f"it draws {', '.join(_JAX_SAMPLERS)} from RandomStreams"
            )
        jnp, lax, random = jx.numpy, jx.lax, jx.random
        state, *args = inputs
        if self.has_size:
            size, *params = args
            shape = tuple(_static_ints(size, self))
        else:
            params = args
            shape = tuple(np.broadcast_shapes(*(np.shape(p) for p in params)))
        words = lax.bitcast_convert_type(jnp.asarray(state)[1], jnp.uint32)
        key = random.fold_in(random.wrap_key_data(words), jnp.asarray(state)[0] & 0xFFFFFFFF)
        key, draw = random.split(key)
        new_words = lax.bitcast_convert_type(random.key_data(key), jnp.uint64)
        new_state = jnp.asarray(state).at[1].set(new_words).at[0].set(0)
        sample = _JAX_SAMPLERS[self.distribution](
            jnp, random, draw, shape, dict(self.options), *params
        )
        return new_state, jnp.asarray(sample).astype(self.dtype)

    def infer_shape(self, node, input_shapes):
        if not self.has_size or self.samplers[self.distribution][1]:
            return None
        return shapes_from_size(node, input_shapes, self.ndim)

    def grad(self, node, output_grads):
        # A sample is not a differentiable function of the state or the parameters here;
        # gradients flow around it (through x in x * mask), never through it.
        return [None] * len(node.inputs)


def _jax_normal(jnp, random, key, shape, options, avg, std):
    if options.get("truncate"):
        return avg + std * random.truncated_normal(key, -2.0, 2.0, shape, jnp.float64)
    return avg + std * random.normal(key, shape, jnp.float64)


def _jax_binomial(jnp, random, key, shape, options, n, p):
    if np.ndim(n) == 0 and isinstance(n, (np.ndarray, np.generic)) and n == 1:
        return random.uniform(key, shape, jnp.float64) < p
    return random.binomial(key, n, p, shape)


# distribution -> (jnp, jax.random, key, shape, options, *params) -> sample
_JAX_SAMPLERS = {
    "uniform": lambda jnp, random, key, shape, options, low, high: (
        low + (high - low) * random.uniform(key, shape, jnp.float64)
    ),
    "normal": _jax_normal,
    "binomial": _jax_binomial,
    "integers": lambda jnp, random, key, shape, options, low, high: random.randint(
        key, shape, low, high, jnp.int64
    ),
    "random_integers": lambda jnp, random, key, shape, options, low, high: random.randint(
        key, shape, low, high + 1, jnp.int64
    ),
}


@functools.cache
def _kernel(distribution, dtype, ndim, has_size, options):
    return functools.partial(draw, distribution, dtype, ndim, has_size, options)
