"""Compiling graphs into callables: function, shared variables, In/Out, modes."""

from symgraph.compile.function import Function, UnusedInputError, function
from symgraph.compile.io import In, Out
from symgraph.compile.mode import Mode
from symgraph.compile.shared import SharedVariable, shared

__all__ = [
    "Function",
    "In",
    "Mode",
    "Out",
    "SharedVariable",
    "UnusedInputError",
    "function",
    "shared",
]
