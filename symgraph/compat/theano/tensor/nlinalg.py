"""``theano.tensor.nlinalg``: linear algebra with NumPy kernels, under Theano's names and
signatures (``norm(x, ord)``, ``qr(a, mode)``, ``svd(a, full_matrices, compute_uv)``,
``eig(a)``, ``lstsq()(a, b, rcond)``)."""

from __future__ import annotations

from symgraph.tensor.ops import linalg as _linalg
from symgraph.tensor.ops.blas import dot as _dot
from symgraph.tensor.ops.extra import eye as _eye
from symgraph.tensor.ops.linalg import (
    QR,
    SVD,
    AllocDiag,
    Det,
    Eig,
    Eigh,
    ExtractDiag,
    Lstsq,
    MatrixInverse,
    MatrixPinv,
    alloc_diag,
    det,
    diag,
    eig,
    eigh,
    extract_diag,
    matrix_dot,
    matrix_inverse,
    pinv,
    trace,
)
from symgraph.tensor.variable import as_tensor as _as_tensor

__all__ = [
    "QR",
    "SVD",
    "AllocDiag",
    "Det",
    "Eig",
    "Eigh",
    "ExtractDiag",
    "Lstsq",
    "MatrixInverse",
    "MatrixPinv",
    "alloc_diag",
    "det",
    "diag",
    "eig",
    "eigh",
    "extract_diag",
    "lstsq",
    "matrix_dot",
    "matrix_inverse",
    "matrix_power",
    "norm",
    "pinv",
    "qr",
    "svd",
    "trace",
]

# Theano's lstsq was an op class, called as lstsq()(a, b, rcond) for [x, residuals, rank,
# singular values]. Its eig gave real outputs of the input's dtype, dropping imaginary
# parts; eig here gives NumPy's complex values.
lstsq = Lstsq


def qr(a, mode="reduced"):
    """Theano's ``qr``: ``[Q, R]`` (modes ``'reduced'``, ``'complete'``), ``R`` (``'r'``);
    NumPy's ``'raw'`` LAPACK output is not offered."""
    if mode == "raw":
        raise NotImplementedError("qr: mode='raw' is not supported; use 'reduced' or 'r'")
    return _linalg.qr(a, mode)


def svd(a, full_matrices=1, compute_uv=1):
    """Theano's ``svd`` (its flags were ints)."""
    return _linalg.svd(a, bool(full_matrices), bool(compute_uv))


def norm(x, ord):  # noqa: A002 - Theano's name
    """Theano's ``norm(x, ord)`` of a vector or matrix (NumPy's ``linalg.norm`` orders
    made of sums and maxima)."""
    return _linalg.linalg_norm(x, ord)


def matrix_power(M, n):  # noqa: N803 - Theano's name
    """``M`` multiplied by itself ``n`` times (``n`` a non-negative int), by squaring."""
    M = _as_tensor(M)
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"matrix_power: n must be a non-negative int, got {n!r}")
    if n == 0:
        return _eye(M.shape[0], dtype=M.dtype)
    result, square = None, M
    while n:
        if n & 1:
            result = square if result is None else _dot(result, square)
        n >>= 1
        if n:
            square = _dot(square, square)
    return result
