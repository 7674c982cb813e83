"""``theano.tensor.slinalg``: Theano's SciPy-backed solvers, here with NumPy kernels
(SciPy is not needed): ``cholesky``, ``solve`` and its triangular and symmetric forms,
``eigvalsh`` of one matrix."""

from __future__ import annotations

from symgraph.compat.theano._util import ignore_arguments
from symgraph.tensor.ops import linalg as _linalg
from symgraph.tensor.ops.linalg import expm, solve_triangular

__all__ = [
    "Cholesky",
    "Solve",
    "cholesky",
    "eigvalsh",
    "expm",
    "solve",
    "solve_lower_triangular",
    "solve_symmetric",
    "solve_triangular",
    "solve_upper_triangular",
]

A_STRUCTURES = ("general", "symmetric", "lower_triangular", "upper_triangular")


class Cholesky:
    """Theano's ``Cholesky(lower=True, on_error='raise')``: calling it builds symgraph's
    Cholesky op. ``on_error='nan'`` (a NaN matrix instead of an error) is not offered."""

    def __init__(self, lower=True, on_error="raise"):
        if on_error != "raise":
            raise NotImplementedError("Cholesky: only on_error='raise' is supported")
        self.lower = bool(lower)

    def __call__(self, x):
        return _linalg.cholesky(x, self.lower)


cholesky = Cholesky()


class Solve:
    """Theano's ``Solve(A_structure='general', lower=False)``: calling it with ``(A, b)``
    builds the solve its structure names (a triangular one reads only that triangle)."""

    def __init__(self, A_structure="general", lower=False, overwrite_A=False, overwrite_b=False):  # noqa: N803
        if A_structure not in A_STRUCTURES:
            raise ValueError(
                f"Solve: A_structure must be one of {', '.join(A_STRUCTURES)}, got {A_structure!r}"
            )
        ignore_arguments(
            "Solve",
            [n for n, v in [("overwrite_A", overwrite_A), ("overwrite_b", overwrite_b)] if v],
        )
        self.A_structure = A_structure
        self.lower = bool(lower)

    def __call__(self, A, b):  # noqa: N803
        if self.A_structure == "lower_triangular":
            return solve_triangular(A, b, lower=True)
        if self.A_structure == "upper_triangular":
            return solve_triangular(A, b, lower=False)
        return _linalg.solve(A, b, "sym" if self.A_structure == "symmetric" else "gen")


solve = Solve()
solve_lower_triangular = Solve("lower_triangular")
solve_upper_triangular = Solve("upper_triangular")
solve_symmetric = Solve("symmetric")


def eigvalsh(a, b=None, lower=True):
    """Eigenvalues of the symmetric ``a``; Theano's generalised problem (``b`` given)
    needs SciPy and is not offered."""
    if b is not None:
        raise NotImplementedError("eigvalsh: the generalised problem (b given) needs SciPy")
    return _linalg.eigvalsh(a, "L" if lower else "U")
