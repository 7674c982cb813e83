"""``In`` and ``Out``: per-input and per-output options of a compiled function."""

from __future__ import annotations

from typing import Any

import numpy as np

from symgraph.graph.basic import Variable


class _NoValue:
    """The ``value`` of an ``In`` without a default; pickles as a reference to itself."""

    def __repr__(self) -> str:
        return "<no value>"

    def __reduce__(self) -> str:
        return "_NO_VALUE"


_NO_VALUE = _NoValue()


class In:
    """A function input with options.

    ``value``: a default used when the caller omits the argument (kept as a plain ndarray
    of the input's type, a copy of its own: changing the array given here later does not
    change the default); ``name``: the keyword to pass it by (defaults to the variable's
    name; it is never an identifier in the generated code, so any text works); ``strict``
    and ``allow_downcast``: how arguments are converted to the input's type.
    """

    def __init__(
        self,
        variable: Variable,
        name: str | None = None,
        value: Any = _NO_VALUE,
        strict: bool = False,
        allow_downcast: bool | None = None,
    ) -> None:
        if not isinstance(variable, Variable):
            raise TypeError(f"In() takes a symbolic variable, got {variable!r}")
        self.variable = variable
        self.name = name if name is not None else variable.name
        self.value = value
        self.strict = strict
        self.allow_downcast = allow_downcast

    def stored_default(self, value: np.ndarray) -> np.ndarray:
        """``value``, the default converted to the input's type, as the function keeps it."""
        return np.array(value, copy=True)

    @property
    def has_default(self) -> bool:
        return self.value is not _NO_VALUE

    def __repr__(self) -> str:
        return f"In({self.variable}, name={self.name!r})"


class Out:
    """A function output; ``borrow=True`` lets the function return an internal buffer
    without copying it (the value may then change on the next call)."""

    def __init__(self, variable: Variable, borrow: bool = False) -> None:
        if not isinstance(variable, Variable):
            raise TypeError(f"Out() takes a symbolic variable, got {variable!r}")
        self.variable = variable
        self.borrow = borrow

    def __repr__(self) -> str:
        return f"Out({self.variable}, borrow={self.borrow})"
