"""``theano.sandbox.rng_mrg``: ``MRG_RandomStreams``, drawing Theano's MRG31k3p numbers.

MRG31k3p (L'Ecuyer and Touzin, "Fast combined multiple recursive generators with
multipliers of the form a = +/- 2^d +/- 2^e", WSC 2000) combines two recurrences of order 3,

    x1[n] = (2^22 x1[n-2] + (2^7 + 1) x1[n-3]) mod m1,    m1 = 2^31 - 1
    x2[n] = (2^15 x2[n-1] + (2^15 + 1) x2[n-3]) mod m2,   m2 = 2^31 - 21069

and outputs (x1[n] - x2[n]) mod m1, with 0 read as m1. A state is six int32 numbers,
(x1[n-1], x1[n-2], x1[n-3], x2[n-1], x2[n-2], x2[n-3]).

What Theano built on it, reproduced here:

* ``MRG_RandomStreams(seed)`` starts from the state ``[seed] * 6`` (or six given ints).
  Each ``uniform`` gets an ``nstreams x 6`` int32 matrix of substreams: row 0 is the
  streams' current state, each next row the one before jumped 2^72 steps ahead; then the
  streams' state jumps 2^134 steps for the next draw. ``nstreams`` defaults to
  ``guess_n_streams(size)``: the number of elements (divided by 6 when over 6, at most
  60 * 256) for a tuple of Python ints, 60 * 256 for anything symbolic.
* Element ``i`` of a sample is the next output of substream ``i % nstreams``, made a float
  as Theano's C code did: ``k * 4.656612873077392578125e-10`` (2^-31) in float64, and
  ``float32(k) * 4.6566126e-10f`` in float32 (a constant a little under 2^-31, so that
  ``k = m1`` stays below 1).
* ``uniform`` is ``u * (high - low) + low`` in the sample's dtype, ``binomial`` (n = 1) is
  ``cast(uniform < p)``, ``normal`` is Box-Muller on ``prod(size)`` rounded up to even
  uniforms (first half the radii, second half the angles; with ``truncate=True`` values
  beyond 2 get radii from a second uniform on [e^-2, 1)), ``multinomial`` and ``choice``
  pick categories from one uniform per row and sample (always 60 * 256 substreams: their
  size is symbolic).

Uniforms, binomials, multinomials and choices are Theano's bit for bit. Normals are too up
to the last bit of ``log``, ``cos`` and ``sin``, which Theano took from the C library and
symgraph takes from NumPy; and ``u * (high - low) + low`` may have been one fused
multiply-add in Theano's compiled C, two roundings here (low=0, high=1 is exact either way).

Each substream matrix is a plain shared int32 tensor with a ``default_update``, so compiled
functions advance it at every call, ``seed()`` refills it and it pickles like any tensor.
"""

from __future__ import annotations

import functools

import numpy as np

from symgraph.compat.theano._util import deprecated, ignore_arguments
from symgraph.compat.theano.configparser import config
from symgraph.compat.theano.tensor.raw_random import theano_typed
from symgraph.graph.basic import Apply, Op, Variable
from symgraph.graph.type import TensorType
from symgraph.tensor.ops.math import cast, cos, cumsum, log, prod, sin, sqrt, switch
from symgraph.tensor.ops.random import shapes_from_size
from symgraph.tensor.ops.shape import (
    _vector_entries,
    as_shape_vector,
    concatenate,
    reshape,
    static_value,
    zeros,
)
from symgraph.tensor.ops.subtensor import set_subtensor
from symgraph.tensor.params import as_bool, as_dtype_name, as_int
from symgraph.tensor.shared import SharedVariable
from symgraph.tensor.variable import as_tensor, constant

__all__ = [
    "ChoiceFromUniform",
    "MRGUniform",
    "MRG_RandomStreams",
    "MultinomialFromUniform",
    "guess_n_streams",
    "mrg_uniform",
]

M1 = 2**31 - 1
M2 = 2**31 - 21069
# the two recurrences as matrices acting on (x[n-1], x[n-2], x[n-3])
_A1 = ((0, 2**22, 2**7 + 1), (1, 0, 0), (0, 1, 0))
_A2 = ((2**15, 0, 2**15 + 1), (1, 0, 0), (0, 1, 0))
# 2^-31, and the float32 constant Theano's C code used (float32(1 / (2^31 + 65)))
_NORM = {"float64": np.float64(4.656612873077392578125e-10), "float32": np.float32(4.6566126e-10)}
# Theano's cap on streams: enough for the GPUs of its time
MAX_STREAMS = 60 * 256


def _matmul_mod(a, b, m: int) -> tuple:
    return tuple(
        tuple(sum(a[i][k] * b[k][j] for k in range(3)) % m for j in range(3)) for i in range(3)
    )


def jump_matrix(matrix, log2_steps: int, m: int) -> tuple:
    """``matrix ** (2 ** log2_steps) mod m``: advances a component ``2 ** log2_steps`` steps."""
    for _ in range(log2_steps):
        matrix = _matmul_mod(matrix, matrix, m)
    return matrix


# L'Ecuyer's jumps: 2^72 steps between substreams, 2^134 between streams
A1P72, A2P72 = jump_matrix(_A1, 72, M1), jump_matrix(_A2, 72, M2)
A1P134, A2P134 = jump_matrix(_A1, 134, M1), jump_matrix(_A2, 134, M2)


def _apply(matrix, vectors: np.ndarray, m: int) -> np.ndarray:
    # entries and components are below 2^31: each product fits 62 bits, each reduced sum 33
    products = (vectors[:, None, :] * np.array(matrix, dtype=np.uint64)[None]) % np.uint64(m)
    return products.sum(axis=2) % np.uint64(m)


def jump(state: np.ndarray, matrix1, matrix2) -> np.ndarray:
    """Six-int states (rows) advanced by a pair of jump matrices."""
    rows = np.asarray(state, dtype=np.uint64).reshape(-1, 6)
    out = np.concatenate([_apply(matrix1, rows[:, :3], M1), _apply(matrix2, rows[:, 3:], M2)], 1)
    return out.astype(np.int32).reshape(np.shape(state))


def substream_states(state: np.ndarray, count: int) -> np.ndarray:
    """``count`` substreams from ``state``: row i is ``state`` jumped i * 2^72 steps."""
    if count < 1:
        raise ValueError(f"the number of streams must be positive, got {count}")
    rows = np.empty((count, 6), dtype=np.int32)
    rows[0] = state
    filled, jump1, jump2 = 1, A1P72, A2P72
    while filled < count:  # rows [filled, 2 * filled) are rows [0, filled) jumped `filled` rows
        take = min(filled, count - filled)
        rows[filled : filled + take] = jump(rows[:take], jump1, jump2)
        filled += take
        jump1, jump2 = _matmul_mod(jump1, jump1, M1), _matmul_mod(jump2, jump2, M2)
    return rows


def mrg_steps(state: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` outputs in [1, m1] of the six-int states (rows), output i from row
    i % len(state), and the advanced states.

    Theano's C code computes the products with shifts and masks on int32 (2^31 = 1 mod m1,
    2^31 = 21069 mod m2) and subtracts the modulus on overflow; for states inside [0, m)
    -- all that seeding and jumping make -- that is exactly these modular products, which
    int64 holds (below 2^54). Each component is its own contiguous array, and a full round
    of the rows only renames them (x[n-1] becomes x[n-2]...): a round is six array
    operations.
    """
    n_streams = state.shape[0]
    x11, x12, x13, x21, x22, x23 = (state[:, j].astype(np.int64) for j in range(6))
    out = np.empty(count, dtype=np.int64)
    for start in range(0, count, n_streams):  # output i comes from row i % n_streams
        used = min(n_streams, count - start)
        y1 = (x12[:used] * 2**22 + x13[:used] * (2**7 + 1)) % M1
        y2 = (x21[:used] * 2**15 + x23[:used] * (2**15 + 1)) % M2
        out[start : start + used] = np.where(y1 <= y2, y1 - y2 + M1, y1 - y2)
        if used == n_streams:
            x11, x12, x13, x21, x22, x23 = y1, x11, x12, y2, x21, x22
        else:  # the last, partial round: only its rows move on
            x13[:used], x12[:used], x11[:used] = x12[:used], x11[:used], y1
            x23[:used], x22[:used], x21[:used] = x22[:used], x21[:used], y2
    new_state = np.stack([x11, x12, x13, x21, x22, x23], axis=1).astype(np.int32)
    return out, new_state


def mrg_uniform_draw(dtype: str, ndim: int, rstate: np.ndarray, size: np.ndarray):
    """Theano's ``mrg_uniform``: returns (advanced substreams, sample of shape ``size``,
    which must have the ``ndim`` entries the variable was built with)."""
    shape = tuple(int(s) for s in size)
    if len(shape) != ndim:
        raise ValueError(
            f"MRG uniform: size {shape} has {len(shape)} entries, but the variable was built "
            f"{ndim}-d (its ndim)"
        )
    count = int(np.prod(shape, dtype=np.int64))
    if count > M1:
        raise ValueError("MRG_RandomStreams draws at most 2**31 - 1 numbers at once")
    rstate = np.asarray(rstate)
    if rstate.ndim != 2 or rstate.shape[1] != 6:
        raise ValueError(f"an MRG state is an n x 6 int32 matrix, got shape {rstate.shape}")
    ints, new_state = mrg_steps(rstate, count)
    return new_state, (ints.astype(dtype) * _NORM[dtype]).reshape(shape)


class MRGUniform(Op):
    """``(new_rstate, sample) = MRGUniform(dtype, ndim)(rstate, size)``: Theano's
    ``mrg_uniform``, uniforms in (0, 1) from an ``nstreams x 6`` int32 substream matrix.
    Nondeterministic (constant folding leaves it alone); not differentiable."""

    __props__ = ("dtype", "ndim")
    nondeterministic = True

    def __init__(self, dtype: str, ndim: int) -> None:
        self.dtype = as_dtype_name(dtype, "MRGUniform: dtype")
        if self.dtype not in _NORM:
            raise ValueError(f"MRGUniform: dtype must be float32 or float64, got {self.dtype}")
        self.ndim = as_int(ndim, "MRGUniform: ndim")

    def __str__(self) -> str:
        return f"MRGUniform{{{self.dtype}}}"

    def make_node(self, rstate, size) -> Apply:
        rstate = as_tensor(rstate)
        if rstate.dtype != "int32" or rstate.ndim != 2:
            raise TypeError(
                f"{self}: the state must be an int32 matrix (an MRG_RandomStreams state), got "
                f"{rstate.type.describe()}"
            )
        size = as_shape_vector(size)
        if size.type.shape[0] is not None and size.type.shape[0] != self.ndim:
            raise ValueError(f"{self}: size has {size.type.shape[0]} entries, ndim={self.ndim}")
        entries = _vector_entries(size)
        shape = (None,) * self.ndim if entries is None else tuple(map(static_value, entries))
        return Apply(self, [rstate, size], [rstate.type, TensorType(self.dtype, shape)])

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(_mrg_kernel(self.dtype, self.ndim), f"mrg_uniform_{self.dtype}")
        return f"{kernel}({', '.join(inputs)})"

    def infer_shape(self, node, input_shapes):
        return shapes_from_size(node, input_shapes, self.ndim)

    def grad(self, node, output_grads):
        return [None] * len(node.inputs)


mrg_uniform = MRGUniform  # Theano's name


@functools.cache
def _mrg_kernel(dtype: str, ndim: int):
    return functools.partial(mrg_uniform_draw, dtype, ndim)


def multinomial_from_uniform(odtype: str, pvals: np.ndarray, unis: np.ndarray, n) -> np.ndarray:
    """Theano's ``MultinomialFromUniform``: for each of ``n`` rounds and each row r of
    ``pvals``, one count for the first category whose running sum (in float64) exceeds
    ``unis[round * rows + r]`` (none when the row sums to less)."""
    n = int(n)
    rows, outcomes = pvals.shape
    if unis.shape[0] != rows * n:
        raise ValueError(f"multinomial: {unis.shape[0]} uniforms for {rows} rows x n={n}")
    cumsum = np.cumsum(pvals, axis=1, dtype=np.float64)
    hit = cumsum[None] > unis.reshape(n, rows, 1).astype(np.float64)
    out = np.zeros((rows, outcomes), dtype=odtype)
    rounds, rows_hit = np.nonzero(hit.any(axis=2))
    np.add.at(out, (rows_hit, hit.argmax(axis=2)[rounds, rows_hit]), 1)
    return out


def choice_from_uniform(odtype: str, replace: bool, pvals, unis, n) -> np.ndarray:
    """Theano's ``ChoiceFromUniform``: ``n`` category indices per row of ``pvals``, each the
    first whose running sum (float64) exceeds its uniform; without replacement the chosen
    probability is zeroed and the row renormalised in ``pvals``' dtype as Theano's C code
    did (the sum of the categories before it rounded once, then the rest added one by
    one)."""
    n = int(n)
    rows, outcomes = pvals.shape
    if n > outcomes:
        raise ValueError(
            f"choice: cannot sample {n} values without replacement from {outcomes} categories"
        )
    if unis.shape[0] != rows * n:
        raise ValueError(f"choice: {unis.shape[0]} uniforms for {rows} rows x n={n}")
    pvals = np.array(pvals)  # renormalised in place: a copy
    out = np.full((rows, n), -1, dtype=odtype)
    for c in range(n):
        cumsum = np.cumsum(pvals, axis=1, dtype=np.float64)
        hit = cumsum > unis[c * rows : (c + 1) * rows, None].astype(np.float64)
        chosen, picked = np.nonzero(hit.any(axis=1))[0], hit.argmax(axis=1)
        out[chosen, c] = picked[chosen]
        if c == n - 1 or replace or not len(chosen):
            continue
        m = picked[chosen]
        total = (cumsum[chosen, m] - pvals[chosen, m].astype(np.float64)).astype(pvals.dtype)
        pvals[chosen, m] = 0
        for k in range(outcomes):
            total = np.where(k >= m, total + pvals[chosen, k], total).astype(pvals.dtype)
        pvals[chosen] = pvals[chosen] / total[:, None]
    return out


class MultinomialFromUniform(Op):
    """``counts = MultinomialFromUniform(odtype)(pvals, unis, n)``: Theano's op turning
    ``rows * n`` uniforms into multinomial counts over the columns of the matrix ``pvals``.
    Not differentiable."""

    __props__ = ("odtype",)

    def __init__(self, odtype: str) -> None:
        self.odtype = as_dtype_name(odtype, f"{type(self).__name__}: odtype")

    def make_node(self, pvals, unis, n=1) -> Apply:
        pvals, unis, n = as_tensor(pvals), as_tensor(unis), as_tensor(n)
        if pvals.ndim != 2 or unis.ndim != 1 or n.ndim != 0:
            raise TypeError(
                f"{type(self).__name__}: needs a matrix pvals, a vector of uniforms and a "
                f"scalar n, got {pvals.type.describe()}, {unis.type.describe()}, "
                f"{n.type.describe()}"
            )
        return Apply(self, [pvals, unis, n], [TensorType(self.odtype, self._shape(pvals, n))])

    def _shape(self, pvals, n) -> tuple:
        return pvals.type.shape

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(self._kernel(), type(self).__name__)
        return f"{kernel}({', '.join(inputs)})"

    def _kernel(self):
        return functools.partial(multinomial_from_uniform, self.odtype)

    def grad(self, node, output_grads):
        return [None] * len(node.inputs)


class ChoiceFromUniform(MultinomialFromUniform):
    """``indices = ChoiceFromUniform(odtype, replace)(pvals, unis, n)``: Theano's op turning
    ``rows * n`` uniforms into ``n`` column indices per row of ``pvals``."""

    __props__ = ("odtype", "replace")

    def __init__(self, odtype: str, replace: bool = False) -> None:
        super().__init__(odtype)
        self.replace = as_bool(replace, "ChoiceFromUniform: replace")

    def _shape(self, pvals, n) -> tuple:
        return (pvals.type.shape[0], static_value(n))

    def _kernel(self):
        return functools.partial(choice_from_uniform, self.odtype, self.replace)


def guess_n_streams(size) -> int:
    """Theano's default number of substreams for ``size`` (see the module docstring)."""
    if isinstance(size, (tuple, list)) and all(type(i) is int for i in size):
        count = int(np.prod(size, dtype=np.int64))
        if count > 6:
            count //= 6
        return min(count, MAX_STREAMS)
    return MAX_STREAMS


def _upcast_floatx(*tensors) -> str:
    return np.result_type(config.floatX, *(t.dtype for t in tensors)).name


class MRG_RandomStreams:  # noqa: N801 - Theano's name
    """Theano's MRG31k3p random streams (seed 12345 unless told otherwise): the same
    numbers as Theano's for the same seed, calls and sizes."""

    def __init__(self, seed=12345) -> None:
        self.state_updates: list[tuple[SharedVariable, Variable]] = []
        self.default_instance_seed = seed
        self.set_rstate(seed)

    def set_rstate(self, seed) -> None:
        """Start the streams at ``seed``: an int (0 < seed < m2, used six times) or six."""
        if isinstance(seed, (int, np.integer)):
            if seed == 0:
                raise ValueError("MRG_RandomStreams: the seed must not be 0")
            if not 0 < seed < M2:
                raise ValueError(f"MRG_RandomStreams: the seed must be in (0, {M2}), got {seed}")
            self.rstate = np.full(6, seed, dtype=np.int32)
            return
        seed = [int(s) for s in seed]
        if len(seed) != 6:
            raise TypeError("MRG_RandomStreams: the seed must be one integer or six")
        for part, m in ((seed[:3], M1), (seed[3:], M2)):
            if not any(part) or not all(0 <= s < m for s in part):
                raise ValueError(
                    f"MRG_RandomStreams: each half of a six-int seed must be in [0, {m}) and "
                    f"not all 0, got {seed}"
                )
        self.rstate = np.array(seed, dtype=np.int32)

    def seed(self, seed=None) -> None:
        """Restart from ``seed`` (None: the seed given at construction): every substream
        matrix made so far is refilled as if it had been made from that seed."""
        self.set_rstate(self.default_instance_seed if seed is None else seed)
        for state, _ in self.state_updates:
            count = state.get_value(borrow=True).shape[0]
            state.set_value(self.get_substream_rstates(count), borrow=True)

    def updates(self) -> list[tuple[SharedVariable, Variable]]:
        """The (state, new state) pairs of all streams, to pass as ``updates=`` by hand."""
        return list(self.state_updates)

    def inc_rstate(self) -> None:
        """Jump the streams' state 2^134 steps: the start of the next stream."""
        self.rstate = jump(self.rstate, A1P134, A2P134)

    def get_substream_rstates(self, n_streams: int, dtype=None, inc_rstate: bool = True):
        """An ``n_streams x 6`` substream matrix from the current state (then jumped on)."""
        rows = substream_states(self.rstate, int(n_streams))
        if inc_rstate:
            self.inc_rstate()
        return rows

    def n_streams(self, size) -> int:
        return guess_n_streams(size)

    def uniform(self, size, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None, **kwargs):
        """Uniform samples in (low, high) (dtype: floatX unless low, high or ``dtype`` say)."""
        kwargs.pop("target", None)  # Theano's device placement
        ignore_arguments("MRG_RandomStreams.uniform", kwargs)
        low, high = theano_typed(low), theano_typed(high)
        dtype = dtype or _upcast_floatx(low, high)
        low, high = cast(low, dtype), cast(high, dtype)
        if isinstance(size, (tuple, list)):
            for s in size:
                if not isinstance(s, (int, np.integer, Variable)):
                    raise TypeError(f"size must hold ints or symbolic scalars, got {size!r}")
                if isinstance(s, (int, np.integer)) and s <= 0:
                    raise ValueError(f"size must be positive, got {size!r}")
        elif not (isinstance(size, Variable) and size.ndim == 1):
            raise TypeError(f"size must be a tuple or a symbolic vector, got {size!r}")
        streams = self.n_streams(size) if nstreams is None else int(nstreams)
        size_vector = as_shape_vector(size)
        if ndim is None:
            ndim = size_vector.type.shape[0]
            if ndim is None:
                raise ValueError("uniform: the length of size is not known; pass ndim=")
        state = SharedVariable(
            TensorType("int32", (None, 6)), self.get_substream_rstates(streams), name="rng_mrg"
        )
        new_state, u = MRGUniform(dtype, ndim)(state, size_vector)
        state.default_update = new_state
        self.state_updates.append((state, new_state))
        u.rstate, u.update = state, (state, new_state)
        return u * (high - low) + low

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", nstreams=None, **kwargs):
        """0/1 samples of probability ``p`` (only ``n=1``): ``uniform < p``."""
        if n != 1:
            raise NotImplementedError("MRG_RandomStreams.binomial with n > 1")
        u = self.uniform(size, ndim=ndim, nstreams=nstreams, **kwargs)
        return cast(u < theano_typed(p), dtype)

    def normal(
        self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None, truncate=False, **kwargs
    ):
        """Normal samples by Box-Muller (``truncate=True``: values beyond two standard
        deviations get new radii, as Theano did)."""
        size = as_shape_vector(size)
        avg, std = theano_typed(avg), theano_typed(std)
        dtype = dtype or _upcast_floatx(avg, std)
        avg, std = cast(avg, dtype), cast(std, dtype)
        n_odd = prod(size, dtype="int64")
        n_even = n_odd + n_odd % 2
        u = self.uniform((n_even,), 0.0, 1.0, ndim=1, dtype=dtype, nstreams=nstreams, **kwargs)
        half = n_even // 2
        radius = sqrt(-2.0 * log(u[:half]))
        theta = constant(np.array(2.0 * np.pi, dtype=dtype)) * u[half:]
        cos_theta, sin_theta = cos(theta), sin(theta)
        z0, z1 = radius * cos_theta, radius * sin_theta
        if truncate:
            normals = self._redraw_outside(z0, z1, cos_theta, sin_theta, nstreams, kwargs)
        else:
            normals = concatenate([z0, z1])
        samples = reshape(normals[:n_odd], size, ndim=ndim)
        return samples * std + avg

    def _redraw_outside(self, z0, z1, cos_theta, sin_theta, nstreams, kwargs):
        """Theano's truncation: the values of ``z0`` outside [-2, 2] get radii drawn from a
        new uniform on [e^-2, 1) (so at most 2), keeping their angles, then those of ``z1``;
        the result is z0's kept values, z0's redrawn ones, z1's kept, z1's redrawn. Theano
        picked them out with ``nonzero``; here each value's place is counted with cumsum and
        the values are scattered there."""
        dtype = z0.dtype
        outside0, outside1 = (z0 < -2.0) | (z0 > 2.0), (z1 < -2.0) | (z1 > 2.0)
        n_redraw0 = outside0.sum()
        n_redraw = n_redraw0 + outside1.sum()
        lower = constant(np.array(1.0 / np.e**2, dtype=dtype))
        u = self.uniform((n_redraw,), lower, 1.0, ndim=1, dtype=dtype, nstreams=nstreams, **kwargs)
        # a last entry for the kept values to index, so the gather is valid when none is redrawn
        radii = concatenate([sqrt(-2.0 * log(u)), constant(np.ones(1, dtype=dtype))])

        def placed(z, outside, angle, first_radius, start):
            kept = ~outside
            rank_redrawn, rank_kept = cumsum(outside) - 1, cumsum(kept) - 1
            place = start + switch(outside, kept.sum() + rank_redrawn, rank_kept)
            redrawn = radii[switch(outside, first_radius + rank_redrawn, n_redraw)] * angle
            return place, switch(outside, redrawn, z)

        place0, value0 = placed(z0, outside0, cos_theta, 0, 0)
        place1, value1 = placed(z1, outside1, sin_theta, n_redraw0, z0.shape[0])
        out = zeros((2 * z0.shape[0],), dtype)
        return set_subtensor(out[concatenate([place0, place1])], concatenate([value0, value1]))

    def truncated_normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None):
        """Normal samples within two standard deviations, rescaled so that ``std`` is the
        standard deviation of the truncated distribution (as Theano did)."""
        # the standard deviation of a standard normal truncated to [-2, 2]
        std = std / constant(0.87962566103423978)
        return self.normal(size, avg, std, ndim, dtype, nstreams, truncate=True)

    def multinomial(
        self, size=None, n=1, pvals=None, ndim=None, dtype="int64", nstreams=None, **kwargs
    ):
        """Counts of ``n`` draws for each row of the matrix ``pvals`` (Theano's
        ``MultinomialFromUniform`` on ``rows * n`` uniforms)."""
        if pvals is None:
            raise TypeError("MRG_RandomStreams.multinomial needs pvals")
        if size is not None or ndim is not None:
            raise ValueError("MRG_RandomStreams.multinomial takes no size or ndim (pvals' rows)")
        pvals = as_tensor(pvals)
        if pvals.ndim != 2:
            raise NotImplementedError("MRG_RandomStreams.multinomial needs a matrix pvals")
        unis = self.uniform(pvals[:, 0].shape * n, ndim=1, nstreams=nstreams, **kwargs)
        return MultinomialFromUniform(dtype)(pvals, unis, theano_typed(n))

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
        """``size`` column indices of each row of the matrix ``p``, without replacement (the
        only kind Theano's MRG streams had: ``replace=False`` must be given)."""
        if replace:
            raise NotImplementedError("MRG_RandomStreams.choice only samples without replacement")
        if a is not None:
            raise TypeError("MRG_RandomStreams.choice samples columns of p: a must be None")
        if p is None:
            raise TypeError("MRG_RandomStreams.choice needs p")
        if ndim is not None:
            raise ValueError("MRG_RandomStreams.choice takes no ndim")
        p = as_tensor(p)
        if p.ndim != 2:
            raise NotImplementedError("MRG_RandomStreams.choice needs a matrix p")
        unis = self.uniform(p[:, 0].shape * size, ndim=1, nstreams=nstreams, **kwargs)
        return ChoiceFromUniform(dtype)(p, unis, theano_typed(size))

    def multinomial_wo_replacement(
        self, size=None, n=1, pvals=None, ndim=None, dtype="int64", nstreams=None, **kwargs
    ):
        """Theano's deprecated name of ``choice(size=n, p=pvals, replace=False)``."""
        deprecated("MRG_RandomStreams.multinomial_wo_replacement is deprecated; use choice")
        if size is not None:
            raise ValueError("multinomial_wo_replacement takes no size (n is the count)")
        return self.choice(n, None, False, pvals, ndim, dtype, nstreams, **kwargs)
