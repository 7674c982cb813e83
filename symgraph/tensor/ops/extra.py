"""Tensor functions built from other ops, with no op of their own (so their gradients
come for free): ``repeat``, ``tile``, ``squeeze``, ``norm``, ``eye``, ``to_one_hot``..."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import numpy as np

from symgraph.config import config
from symgraph.graph.basic import Variable
from symgraph.tensor.ops import math
from symgraph.tensor.ops.dimshuffle import dimshuffle
from symgraph.tensor.ops.shape import alloc, arange, flatten, reshape, shape_i
from symgraph.tensor.params import as_int, normalize_axes, normalize_axis
from symgraph.tensor.variable import as_tensor

__all__ = [
    "all",
    "any",
    "eye",
    "norm",
    "repeat",
    "squeeze",
    "swapaxes",
    "tile",
    "to_one_hot",
]


def repeat(x, repeats: int, axis: int | None = None) -> Variable:
    """Each element of ``x`` repeated ``repeats`` times along ``axis`` (NumPy's
    ``repeat`` with one int count for every element; ``axis=None`` repeats the flattened
    tensor), as a broadcast and a reshape. ``T.repeat`` (``sort.repeat``) comes here
    for an int count and builds the ``Repeat`` op for a symbolic one."""
    x = as_tensor(x)
    repeats = as_int(repeats, "repeat: repeats")
    if repeats < 0:
        raise ValueError(f"repeat: repeats must be a non-negative int, got {repeats}")
    if axis is None:
        x, axis = flatten(x, 1), 0
    axis = normalize_axis(axis, x, "repeat")
    pattern = list(range(x.ndim))
    pattern.insert(axis + 1, "x")
    sizes = [shape_i(x, i) for i in range(x.ndim)]
    spread = alloc(dimshuffle(x, pattern), *sizes[: axis + 1], repeats, *sizes[axis + 1 :])
    merged = sizes[:axis] + [sizes[axis] * repeats] + sizes[axis + 1 :]
    return reshape(spread, merged, ndim=x.ndim)


def tile(x, reps: Sequence[int]) -> Variable:
    """``x`` repeated ``reps[i]`` times along each axis (NumPy's ``tile``; ``reps`` are
    ints, as many as ``x`` has axes or fewer, applying to the last axes)."""
    x = as_tensor(x)
    reps = tuple(reps) if isinstance(reps, (list, tuple)) else (reps,)
    reps = tuple(as_int(r, "tile: reps") for r in reps)
    if not builtins.all(r >= 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative ints, got {reps!r}")
    if len(reps) > x.ndim:
        x = dimshuffle(x, ["x"] * (len(reps) - x.ndim) + list(range(x.ndim)))
    reps = (1,) * (x.ndim - len(reps)) + reps
    pattern, spread_shape = [], []
    for axis, r in enumerate(reps):
        pattern += ["x", axis]
        spread_shape += [int(r), shape_i(x, axis)]
    spread = alloc(dimshuffle(x, pattern), *spread_shape)
    merged = [r * shape_i(x, axis) for axis, r in enumerate(reps)]
    return reshape(spread, merged, ndim=x.ndim)


def squeeze(x, axis: int | Sequence[int] | None = None) -> Variable:
    """``x`` without its broadcastable (static length 1) axes, or without ``axis``."""
    x = as_tensor(x)
    if axis is None:
        drop = {i for i, b in enumerate(x.broadcastable) if b}
    else:
        axes = axis.reshape(-1).tolist() if isinstance(axis, np.ndarray) else axis
        axes = axes if isinstance(axes, (list, tuple)) else [axes]
        drop = {normalize_axis(a, x, "squeeze") for a in axes}
        for a in drop:
            if not x.broadcastable[a]:
                raise ValueError(
                    f"squeeze: axis {a} of {x} ({x.type}) is not known to have length 1"
                )
    return dimshuffle(x, [i for i in range(x.ndim) if i not in drop])


def swapaxes(x, axis1: int, axis2: int) -> Variable:
    """``x`` with two axes exchanged."""
    x = as_tensor(x)
    order = list(range(x.ndim))
    a, b = normalize_axis(axis1, x, "swapaxes"), normalize_axis(axis2, x, "swapaxes")
    order[a], order[b] = order[b], order[a]
    return dimshuffle(x, order)


def norm(x, L=2, axis=None, keepdims: bool = False) -> Variable:
    """The ``L``-norm of ``x`` (over ``axis``, or all of it): ``sum(|x| ** L) ** (1/L)``;
    ``L`` may be ``inf``."""
    x = as_tensor(x)
    axis = normalize_axes(axis, x, "norm")  # checked here, so errors name x
    if L == 1:
        return math.sum(math.abs(x), axis=axis, keepdims=keepdims)
    if L == 2:
        return math.sqrt(math.sum(math.sqr(x), axis=axis, keepdims=keepdims))
    if L == np.inf:
        return math.max(math.abs(x), axis=axis, keepdims=keepdims)
    if not isinstance(L, (int, float, np.number)) or L <= 0:
        raise ValueError(f"norm: L must be a positive number or inf, got {L!r}")
    return math.pow(math.sum(math.pow(math.abs(x), L), axis=axis, keepdims=keepdims), 1.0 / L)


def any(x, axis=None, keepdims: bool = False) -> Variable:  # noqa: A001
    """Whether some element (along ``axis``) is nonzero, as a bool tensor."""
    x = as_tensor(x)
    axis = normalize_axes(axis, x, "any")
    return math.neq(math.max(math.neq(x, 0), axis=axis, keepdims=keepdims), 0)


def all(x, axis=None, keepdims: bool = False) -> Variable:  # noqa: A001
    """Whether every element (along ``axis``) is nonzero, as a bool tensor."""
    x = as_tensor(x)
    axis = normalize_axes(axis, x, "all")
    return math.neq(math.min(math.neq(x, 0), axis=axis, keepdims=keepdims), 0)


def eye(n, m=None, k: int = 0, dtype=None) -> Variable:
    """An ``n x m`` matrix with ones on the ``k``-th diagonal (``n``, ``m`` may be
    symbolic)."""
    m = n if m is None else m
    rows = dimshuffle(arange(n), (0, "x"))
    cols = dimshuffle(arange(m), ("x", 0))
    return math.cast(math.eq(math.add(rows, k), cols), dtype or config.floatX)


def to_one_hot(y, nb_class: int, dtype=None) -> Variable:
    """One row per label of the int vector ``y``: 1 in column ``y[i]``, 0 elsewhere."""
    y = as_tensor(y)
    if y.ndim != 1 or y.type.numpy_dtype.kind not in "iu":
        raise TypeError(f"to_one_hot needs an int vector of labels, got {y} ({y.type})")
    hits = math.eq(dimshuffle(y, (0, "x")), dimshuffle(arange(nb_class), ("x", 0)))
    return math.cast(hits, dtype or config.floatX)
