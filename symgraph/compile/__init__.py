"""Compiling graphs into callables: function, In/Out, modes; ``Variable.eval``;
``verify_grad``, which compiles the gradients it checks."""

from symgraph.compile import evaluate as _evaluate  # noqa: F401 - installs Variable.eval
from symgraph.compile.function import Function, UnusedInputError, function
from symgraph.compile.io import In, Out
from symgraph.compile.mode import Mode
from symgraph.compile.verify import numeric_grad, verify_grad
from symgraph.tensor.shared import SharedVariable, shared

__all__ = [
    "Function",
    "In",
    "Mode",
    "Out",
    "SharedVariable",
    "UnusedInputError",
    "function",
    "numeric_grad",
    "shared",
    "verify_grad",
]
