"""``In`` and ``Out``: per-input and per-output options of a compiled function."""

from __future__ import annotations

from typing import Any

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

    ``value``: a default used when the caller omits the argument (stored as a plain
    ndarray of the input's type, copied unless ``borrow``); ``name``: the keyword to pass
    it by (defaults to the variable's name; it is never an identifier in the generated
    code, so any text works); ``borrow``: keep ``value`` itself rather than a copy
    (arguments of calls are never copied: they are only read); ``mutable``: accepted
    for Theano compatibility (inputs are never overwritten).
    """

    def __init__(
        self,
        variable: Variable,
        name: str | None = None,
        value: Any = _NO_VALUE,
        borrow: bool = False,
        mutable: bool = False,
        strict: bool = False,
        allow_downcast: bool | None = None,
        implicit: bool = False,
    ) -> None:
        if not isinstance(variable, Variable):
            raise TypeError(f"In() takes a symbolic variable, got {variable!r}")
        self.variable = variable
        self.name = name if name is not None else variable.name
        self.value = value
        self.borrow = borrow
        self.mutable = mutable
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.implicit = implicit

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
