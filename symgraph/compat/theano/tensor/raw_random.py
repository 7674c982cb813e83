"""``theano.tensor.raw_random``: Theano's ``numpy.random.RandomState`` draws, bit for bit.

Theano's ``shared_randomstreams.RandomStreams`` gave every random variable its own legacy
``numpy.random.RandomState`` (Mersenne Twister) and called one of its methods per draw.
``RandomFunction`` is symgraph's ``RandomVariable`` drawing from such a state: the node
building, shapes and generated code are the core op's; the samplers below call the
``RandomState`` exactly as Theano's ``RandomFunction.perform`` and its helpers did
(``uniform``, ``normal``, ``binomial`` and ``poisson`` with ``(params..., size)``;
``random_integers`` one scalar draw per element in C order; ``permutation`` one
permutation per entry of ``size``; ``multinomial`` one row at a time, with Theano's
correction of probabilities summing slightly over 1), so a graph seeded like Theano's draws
Theano's numbers.

The state is a plain ``uint32`` vector (``RANDOM_STATE_TYPE``): the 624 words of the
Mersenne Twister key, its position, whether a second Gaussian is cached and that Gaussian's
64 bits, so shared storage, updates, ``givens`` and pickling need nothing special.
"""

from __future__ import annotations

import functools
import threading

import numpy as np

from symgraph.compat.theano.configparser import config
from symgraph.graph.basic import Variable
from symgraph.graph.type import TensorType
from symgraph.tensor.ops.random import RandomVariable, draw_with
from symgraph.tensor.shared import SharedVariable
from symgraph.tensor.variable import as_tensor, constant

__all__ = [
    "RANDOM_STATE_TYPE",
    "RandomFunction",
    "random_state_from_state",
    "state_from_random_state",
    "theano_typed",
]

_KEY_WORDS = 624
# key, pos, has_gauss, the cached Gaussian's two 32-bit halves
_STATE_WORDS = _KEY_WORDS + 4
RANDOM_STATE_TYPE = TensorType("uint32", (_STATE_WORDS,))


def state_from_random_state(random_state: np.random.RandomState) -> np.ndarray:
    """The state vector of a legacy ``numpy.random.RandomState``."""
    name, key, pos, has_gauss, gauss = random_state.get_state()
    words = np.empty(_STATE_WORDS, dtype=np.uint32)
    words[:_KEY_WORDS] = key
    words[_KEY_WORDS] = pos
    words[_KEY_WORDS + 1] = has_gauss
    words[_KEY_WORDS + 2 :] = np.array([gauss], dtype=np.float64).view(np.uint32)
    return words


def _set_state(random_state: np.random.RandomState, words: np.ndarray) -> None:
    if np.shape(words) != (_STATE_WORDS,):
        raise ValueError(f"a RandomState state is a uint32 vector of length {_STATE_WORDS}")
    words = np.ascontiguousarray(words, dtype=np.uint32)
    gauss = float(words[_KEY_WORDS + 2 :].view(np.float64)[0])
    random_state.set_state(
        ("MT19937", words[:_KEY_WORDS], int(words[_KEY_WORDS]), int(words[_KEY_WORDS + 1]), gauss)
    )


def random_state_from_state(words: np.ndarray) -> np.random.RandomState:
    """A new ``numpy.random.RandomState`` continuing the stream of a state vector."""
    random_state = np.random.RandomState()
    _set_state(random_state, words)
    return random_state


class RandomStateSharedVariable(SharedVariable):
    """A stream's state as Theano showed it: ``get_value()`` is a
    ``numpy.random.RandomState`` continuing the stream and ``set_value`` takes one. The
    compiled functions hold the state as a vector of words (``RANDOM_STATE_TYPE``), so the
    ``RandomState`` given back is always a new object, ``borrow`` or not."""

    def get_value(self, borrow=False, return_internal_type=False) -> np.random.RandomState:
        return random_state_from_state(super().get_value(borrow=True))

    def set_value(self, value, borrow=False) -> None:
        if isinstance(value, np.random.RandomState):
            value = state_from_random_state(value)
        super().set_value(value, borrow=False)


def random_state_shared(
    value: np.random.RandomState, name=None, strict=False, allow_downcast=None
) -> RandomStateSharedVariable:
    """``theano.shared(numpy.random.RandomState(...))``: a shared random state."""
    return RandomStateSharedVariable(
        RANDOM_STATE_TYPE,
        state_from_random_state(value),
        name=name,
        strict=strict,
        allow_downcast=allow_downcast,
    )


# One scratch RandomState per thread, re-pointed at each state (building one costs more
# than setting its state).
_scratch = threading.local()


def _scratch_random_state(words: np.ndarray) -> np.random.RandomState:
    random_state = getattr(_scratch, "random_state", None)
    if random_state is None:
        random_state = _scratch.random_state = np.random.RandomState(0)
    _set_state(random_state, words)
    return random_state


def theano_typed(value) -> Variable:
    """``value`` as a tensor typed the way Theano typed constants, which decides the numbers
    a ``RandomState`` is given: a Python float is float32 when floatX is (Theano's "unsafe
    downcast"), otherwise the narrowest of float32/float64 holding it exactly; a Python int
    the narrowest signed integer holding it. Anything else is left to ``as_tensor``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return as_tensor(value)
    if isinstance(value, float):
        if config.floatX == "float32" or float(np.float32(value)) == value:
            return constant(value, dtype="float32")
        return constant(value, dtype="float64")
    for dtype in ("int8", "int16", "int32", "int64"):
        info = np.iinfo(dtype)
        if info.min <= value <= info.max:
            return constant(value, dtype=dtype)
    return as_tensor(value)


# --------------------------------------------------------------------------------------
# samplers: (RandomState, size or None, *params, **options) -> array, calling the
# RandomState the way Theano's RandomFunction and its helpers did


def _uniform(rs, size, low, high):
    return rs.uniform(low, high, size)


def _normal(rs, size, avg, std):
    return rs.normal(avg, std, size)


def _binomial(rs, size, n, p):
    return rs.binomial(n, p, size)


def _poisson(rs, size, lam):
    return rs.poisson(lam, size)


def _lead_shape(size, *shapes) -> tuple:
    return tuple(size) if size is not None else np.broadcast_shapes(*shapes)


def _random_integers(rs, size, low, high):
    # Theano drew one scalar per element (a loop over the broadcast indices), which consumes
    # the stream differently from NumPy's vectorised form with array bounds.
    shape = _lead_shape(size, np.shape(low), np.shape(high))
    low, high = np.broadcast_to(low, shape), np.broadcast_to(high, shape)
    out = np.empty(shape)
    for index in np.ndindex(*shape):
        out[index] = rs.randint(int(low[index]), int(high[index]) + 1)
    return out


def _choice(rs, size, a, p=None, replace=True):
    if np.ndim(a) > 1:
        raise ValueError(f"choice: a must be a scalar or a vector, got {np.ndim(a)} dimensions")
    return rs.choice(a, size, bool(replace), p)


def _permutation(rs, size, n):
    n = int(n)
    rows = () if size is None else tuple(size)
    out = np.empty(rows + (n,), dtype=np.int64)
    for index in np.ndindex(*rows):
        out[index] = rs.permutation(n)
    return out


# Theano's multinomial: rows whose probabilities sum a little over 1 (rounding), or whose
# last probability is tiny, are scaled by this so that NumPy accepts them.
_PVALS_SHRINK = 1.0 - 5e-5


def _multinomial(rs, size, n, pvals):
    pvals = np.asarray(pvals)
    if pvals.size and pvals.min() < 0:
        raise ValueError("multinomial: pvals must not be negative")
    shape = _lead_shape(size, np.shape(n), pvals.shape[:-1])
    n = np.broadcast_to(n, shape)
    pvals = np.broadcast_to(pvals, shape + pvals.shape[-1:])
    out = np.empty(shape + pvals.shape[-1:])
    for index in np.ndindex(*shape):
        row = pvals[index]
        total = np.sum(row)
        if 1.0 < total < 1.0 + 1e-5 or row[-1] < 5e-5:
            row = row * _PVALS_SHRINK
        if np.sum(row) > 1.0:
            raise ValueError(f"multinomial: the probabilities of a row sum to {np.sum(row)} > 1")
        out[index] = rs.multinomial(n[index], row.astype(np.float64))
    return out


# name -> (sampler, number of trailing axes the sample adds to ``size``)
RANDOM_STATE_SAMPLERS = {
    "uniform": (_uniform, 0),
    "normal": (_normal, 0),
    "binomial": (_binomial, 0),
    "poisson": (_poisson, 0),
    "random_integers": (_random_integers, 0),
    "choice": (_choice, 0),
    "permutation": (_permutation, 1),
    "multinomial": (_multinomial, 1),
}


class RandomFunction(RandomVariable):
    """``(new_state, sample) = RandomFunction(...)(state, [size], *params)``: a draw from a
    legacy ``numpy.random.RandomState`` state (``RANDOM_STATE_TYPE``), as Theano made it.

    The parameters mean what they mean for ``RandomVariable``; only the generator differs.
    """

    samplers = RANDOM_STATE_SAMPLERS
    state_dtype = "uint32"

    def __str__(self) -> str:
        return f"RandomFunction{{{self.distribution}, {self.dtype}}}"

    def _kernel(self):
        return _kernel(self.distribution, self.dtype, self.ndim, self.has_size, self.options)


@functools.cache
def _kernel(distribution, dtype, ndim, has_size, options):
    return functools.partial(
        draw_with,
        RANDOM_STATE_SAMPLERS,
        _scratch_random_state,
        state_from_random_state,
        distribution,
        dtype,
        ndim,
        has_size,
        options,
    )
