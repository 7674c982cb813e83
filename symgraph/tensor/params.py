"""Checked op parameters and axes.

Two rules hold for every op of ``symgraph.tensor``:

- An op's parameters (``__props__``) are plain Python values of exact types: ``int``,
  ``bool``, ``None``, ``str`` from a fixed set, dtype names, and tuples of these. Generated
  source shows them as literals (``np.concatenate((a, b), axis=1)``), so a parameter must
  never be a string or an object whose ``repr`` is arbitrary text: that text would run.
  The constructors normalise their arguments with the functions here, which refuse
  anything else with a ``TypeError`` naming the parameter.
- Axes follow NumPy: ``-ndim <= axis < ndim``, negative ones counted from the end. An axis
  outside that range raises ``numpy.exceptions.AxisError`` (a ``ValueError`` and an
  ``IndexError``) naming the variable, its rank and the axis, instead of wrapping around.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable

import numpy as np

from symgraph.graph.basic import Variable

try:
    from numpy.exceptions import AxisError
except ImportError:  # NumPy < 1.25
    from numpy import AxisError  # type: ignore[attr-defined,no-redef]

__all__ = [
    "AxisError",
    "as_bool",
    "as_choice",
    "as_dtype_name",
    "as_int",
    "as_int_tuple",
    "normalize_axes",
    "normalize_axis",
]


def _shown(value) -> str:
    """``value`` for an error message: its type, and a repr that cannot be huge."""
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__} {text}"


def as_int(value, what: str) -> int:
    """``value`` as an exact ``int``: Python and NumPy integers are accepted (through
    ``operator.index``); bools, floats, strings and arrays are refused."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be an int, got the bool {value!r}")
    try:
        result = operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an int, got {_shown(value)}") from None
    return int.__index__(result)  # an exact int even for int subclasses


def as_int_tuple(values, what: str) -> tuple[int, ...]:
    """A sequence of ints as a tuple of exact ints."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{what} must be a sequence of ints, got {_shown(values)}")
    return tuple(as_int(v, f"{what}[{i}]") for i, v in enumerate(values))


def as_bool(value, what: str) -> bool:
    """``value`` as an exact ``bool``: bools and the ints 0 and 1 are accepted (a string
    such as ``'False'`` is refused: ``bool('False')`` would be True)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if not isinstance(value, str):
        try:
            number = operator.index(value)
        except TypeError:
            number = None
        if number in (0, 1):
            return number == 1
    raise TypeError(f"{what} must be True or False, got {_shown(value)}")


def as_choice(value, choices: Iterable[str], what: str) -> str:
    """The member of ``choices`` equal to ``value`` (so the result is the exact string
    from the table, never the caller's object); anything else is refused."""
    choices = tuple(choices)
    if isinstance(value, str):
        for choice in choices:
            if str.__eq__(choice, value) is True:
                return choice
    raise ValueError(f"{what} must be one of {', '.join(map(repr, choices))}, got {_shown(value)}")


def as_dtype_name(dtype, what: str) -> str:
    """The canonical NumPy name of ``dtype`` (``'float32'``...)."""
    if dtype is None:
        raise TypeError(f"{what} must be a dtype, got None")
    try:
        name = np.dtype(dtype).name
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a dtype, got {_shown(dtype)}") from None
    return str.__str__(name)


def _label(x: Variable) -> str:
    shape = getattr(x.type, "describe", lambda: str(x.type))()
    return f"'{x.name}' ({shape})" if x.name else f"{x} ({shape})"


def normalize_axis(axis, x: Variable, what: str, extra: int = 0) -> int:
    """``axis`` of ``x`` as a non-negative int, NumPy's way: ``-n <= axis < n`` with
    ``n = x.ndim + extra`` (``extra=1`` for a new axis, as in ``stack``)."""
    value = as_int(axis, f"{what}: axis")
    ndim = x.ndim + extra
    if not -ndim <= value < ndim:
        valid = f"valid axes are {-ndim} to {ndim - 1}" if ndim else "it has no axes"
        rank = f"{x.ndim} dimension{'s' if x.ndim != 1 else ''}"
        target = f" (plus the new axis: {ndim} in all)" if extra else ""
        raise AxisError(
            f"{what}: axis {value} is out of range for {_label(x)}, which has {rank}"
            f"{target}; {valid}"
        )
    return value % ndim


def normalize_axes(axis, x: Variable, what: str) -> tuple[int, ...]:
    """``axis`` (None for all axes, an int or a sequence of ints) as a sorted tuple of
    distinct non-negative axes of ``x``."""
    if axis is None:
        return tuple(range(x.ndim))
    if isinstance(axis, Variable):
        raise TypeError(f"{what}: axes must be Python ints, not the symbolic {axis}")
    if isinstance(axis, np.ndarray):
        items = axis.reshape(-1).tolist()
    elif isinstance(axis, (list, tuple)):
        items = list(axis)
    else:
        items = [axis]
    axes = [normalize_axis(a, x, what) for a in items]
    if len(set(axes)) != len(axes):
        raise ValueError(f"{what}: repeated axis in {tuple(items)} for {_label(x)}")
    return tuple(sorted(axes))
