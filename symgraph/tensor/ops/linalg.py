"""Linear algebra on matrices: inverse, determinant, decompositions (``eigh``, ``svd``,
``qr``, ``cholesky``), solves, diagonals and traces.

Every kernel is a NumPy call (``numpy.linalg`` wraps LAPACK); SciPy is not needed. The
decompositions take one float matrix (integers are cast to floats by the user functions
below) and give outputs of its dtype. Gradients are the textbook formulas, written as
graphs of the ops here and in ``blas``; where a kernel reads one triangle of its input
(``eigh``, ``cholesky``, ``solve_triangular``) the gradient lands on that triangle only,
so it is the true derivative of what the kernel computes.
"""

from __future__ import annotations

import functools

import numpy as np

from symgraph.graph.basic import Apply, Op, Variable
from symgraph.graph.type import TensorType
from symgraph.tensor.ops import math
from symgraph.tensor.ops.blas import dot, outer
from symgraph.tensor.ops.dimshuffle import dimshuffle
from symgraph.tensor.ops.extra import eye
from symgraph.tensor.ops.shape import arange, concatenate
from symgraph.tensor.ops.subtensor import set_subtensor
from symgraph.tensor.params import as_bool, as_choice, as_int, normalize_axis
from symgraph.tensor.variable import as_tensor, constant

__all__ = [
    "alloc_diag",
    "cholesky",
    "det",
    "diag",
    "eig",
    "eigh",
    "eigvalsh",
    "expm",
    "extract_diag",
    "linalg_norm",
    "lstsq",
    "matrix_dot",
    "matrix_inverse",
    "pinv",
    "qr",
    "solve",
    "solve_triangular",
    "svd",
    "trace",
]


# --------------------------------------------------------------------------------------
# helpers


def _float_matrix(x, what: str, square: bool = False) -> Variable:
    """``x`` as a float matrix (integers cast to floats); an error names ``x`` otherwise."""
    x = math.as_float(as_tensor(x))
    if x.ndim != 2:
        raise TypeError(f"{what} takes a matrix, got {x} ({x.type.describe()})")
    rows, cols = x.type.shape
    if square and rows is not None and cols is not None and rows != cols:
        raise ValueError(f"{what} takes a square matrix, got {x} ({x.type.describe()})")
    return x


def _square_type(x: Variable) -> TensorType:
    """The type of a square matrix like ``x``: a size known on one side is the other's."""
    rows, cols = x.type.shape
    size = rows if rows is not None else cols
    return TensorType(x.dtype, (size, size))


def _triangle(x: Variable, lower: bool, diagonal: bool = True) -> Variable:
    """The lower (or upper) triangle of the matrix ``x``, zeros elsewhere; without the
    diagonal when ``diagonal`` is False."""
    rows = dimshuffle(arange(x.shape[0]), (0, "x"))
    cols = dimshuffle(arange(x.shape[1]), ("x", 0))
    if lower:
        keep = math.ge(rows, cols) if diagonal else math.gt(rows, cols)
    else:
        keep = math.le(rows, cols) if diagonal else math.lt(rows, cols)
    return math.switch(keep, x, math.zeros_like(x))


def _diagonal_part(x: Variable) -> Variable:
    return x * eye(x.shape[0], x.shape[1], dtype=x.dtype)


def _one_triangle_gradient(g: Variable, lower: bool) -> Variable:
    """The gradient of a kernel reading only one triangle of a symmetric matrix, given the
    gradient ``g`` it would have if it read the whole matrix: the entry (i, j) of the
    triangle stands for both (i, j) and (j, i)."""
    return _triangle(g + g.T, lower) - _diagonal_part(g)


class _SquareToSquare(Op):
    """An op from a square float matrix to one of the same shape and dtype."""

    _name = ""

    def make_node(self, x) -> Apply:
        x = _float_matrix(x, self._name, square=True)
        return Apply(self, [x], [_square_type(x)])

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


# --------------------------------------------------------------------------------------
# inverse, determinant, pseudo-inverse


class MatrixInverse(_SquareToSquare):
    """The inverse of a square matrix (``numpy.linalg.inv``); a singular one raises
    ``numpy.linalg.LinAlgError``."""

    _name = "matrix_inverse"

    def emit(self, node, inputs, ctx):
        return f"np.linalg.inv({inputs[0]})"

    def jax(self, node, inputs, jx):
        return jx.numpy.linalg.inv(inputs[0])

    def grad(self, node, output_grads):
        # d(X^-1) = -X^-1 dX X^-1
        (xi,) = node.outputs
        (gz,) = output_grads
        return [-dot(dot(xi.T, gz), xi.T)]


def matrix_inverse(x) -> Variable:
    """The inverse of the square matrix ``x``."""
    return MatrixInverse()(x)


class Det(Op):
    """The determinant of a square matrix (``numpy.linalg.det``), a 0-d tensor."""

    def make_node(self, x) -> Apply:
        x = _float_matrix(x, "det", square=True)
        return Apply(self, [x], [TensorType(x.dtype, ())])

    def emit(self, node, inputs, ctx):
        return f"np.linalg.det({inputs[0]})"

    def jax(self, node, inputs, jx):
        return jx.numpy.linalg.det(inputs[0])

    def infer_shape(self, node, input_shapes):
        return [()]

    def grad(self, node, output_grads):
        # d det(X) = det(X) tr(X^-1 dX)
        (x,) = node.inputs
        (d,) = node.outputs
        (gz,) = output_grads
        return [(gz * d) * matrix_inverse(x).T]


def det(x) -> Variable:
    """The determinant of the square matrix ``x``."""
    return Det()(x)


class MatrixPinv(Op):
    """The Moore-Penrose pseudo-inverse (``numpy.linalg.pinv``): an ``n x m`` matrix for
    an ``m x n`` one."""

    def make_node(self, x) -> Apply:
        x = _float_matrix(x, "pinv")
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape[::-1])])

    def emit(self, node, inputs, ctx):
        return f"np.linalg.pinv({inputs[0]})"

    def jax(self, node, inputs, jx):
        return jx.numpy.linalg.pinv(inputs[0])

    def infer_shape(self, node, input_shapes):
        return [tuple(input_shapes[0][::-1])]

    def grad(self, node, output_grads):
        # Golub and Pereyra's derivative of the pseudo-inverse P of X (valid while the
        # rank does not change): dP = -P dX P + P P^T dX^T (I - X P) + (I - P X) dX^T P^T P
        (x,) = node.inputs
        (p,) = node.outputs
        (gz,) = output_grads
        left = eye(x.shape[0], dtype=x.dtype) - dot(x, p)
        right = eye(x.shape[1], dtype=x.dtype) - dot(p, x)
        return [
            -dot(dot(p.T, gz), p.T)
            + dot(dot(left, gz.T), dot(p, p.T))
            + dot(dot(p.T, p), dot(gz.T, right))
        ]


def pinv(x) -> Variable:
    """The pseudo-inverse of the matrix ``x``."""
    return MatrixPinv()(x)


# --------------------------------------------------------------------------------------
# decompositions


class Eigh(Op):
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix, reading
    only its lower (``UPLO='L'``) or upper triangle, as ``numpy.linalg.eigh``."""

    __props__ = ("UPLO",)

    def __init__(self, UPLO: str = "L") -> None:  # noqa: N803 - NumPy's name
        self.UPLO = as_choice(UPLO, ("L", "U"), "eigh: UPLO")

    def make_node(self, x) -> Apply:
        x = _float_matrix(x, "eigh", square=True)
        square = _square_type(x)
        return Apply(self, [x], [TensorType(x.dtype, square.shape[:1]), square])

    def emit(self, node, inputs, ctx):
        return f"np.linalg.eigh({inputs[0]}, UPLO={self.UPLO!r})"

    def jax(self, node, inputs, jx):
        # the named triangle only, as NumPy reads it (JAX would average both by default)
        return jx.numpy.linalg.eigh(inputs[0], UPLO=self.UPLO, symmetrize_input=False)

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        return [(shape[0],), shape]

    def grad(self, node, output_grads):
        # For a symmetric change dS: dw_k = v_k^T dS v_k and
        # dV = V (F * (V^T dS V)) with F[i, j] = 1 / (w_j - w_i) off the diagonal, 0 on it.
        # Equal eigenvalues make F infinite: the eigenvectors are not differentiable there.
        (x,) = node.inputs
        w, v = node.outputs
        gw, gv = output_grads
        gap = dimshuffle(w, ("x", 0)) - dimshuffle(w, (0, "x"))
        off_diagonal = 1 - eye(w.shape[0], dtype=w.dtype)
        f = off_diagonal / (gap + (1 - off_diagonal))
        inner = dimshuffle(gw, (0, "x")) * eye(w.shape[0], dtype=w.dtype) + f * dot(v.T, gv)
        full = dot(dot(v, inner), v.T)
        return [_one_triangle_gradient(full, self.UPLO == "L")]


def eigh(a, UPLO: str = "L") -> list[Variable]:  # noqa: N803 - NumPy's name
    """``[w, v]``: the eigenvalues (ascending) and eigenvectors of the symmetric ``a``."""
    return Eigh(UPLO)(a)


def eigvalsh(a, UPLO: str = "L") -> Variable:  # noqa: N803 - NumPy's name
    """The eigenvalues (ascending) of the symmetric matrix ``a``."""
    return eigh(a, UPLO)[0]


def _eig_kernel(a, dtype):
    # NumPy's result is real when every eigenvalue is, complex otherwise: the op's
    # outputs are always complex, so their type does not depend on the values.
    w, v = np.linalg.eig(a)
    return w.astype(dtype), v.astype(dtype)


class Eig(Op):
    """Eigenvalues and right eigenvectors (columns, of unit norm) of a general square
    matrix, as ``numpy.linalg.eig``: in no particular order, always complex
    (``complex64`` for a ``float32`` matrix, ``complex128`` otherwise), so that the type
    does not depend on whether the eigenvalues happen to be real. No gradient (Theano's
    ``Eig`` had none; ``eigh`` has one for symmetric matrices)."""

    def make_node(self, x) -> Apply:
        x = _float_matrix(x, "eig", square=True)
        square = _square_type(x)
        dtype = np.result_type(x.dtype, np.complex64).name
        return Apply(
            self, [x], [TensorType(dtype, square.shape[:1]), TensorType(dtype, square.shape)]
        )

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(_eig_kernel, "eig")
        return f"{kernel}({inputs[0]}, np.{node.outputs[0].dtype})"

    def jax(self, node, inputs, jx):
        return jx.numpy.linalg.eig(inputs[0])

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        return [(shape[0],), shape]

    def grad(self, node, output_grads):
        raise NotImplementedError(
            f"eig has no gradient (the eigenvectors of {node.inputs[0]} are defined up to a "
            "complex factor); for a symmetric matrix, eigh has one"
        )


def eig(a) -> list[Variable]:
    """``[w, v]``: the (complex) eigenvalues and eigenvectors of the square matrix ``a``,
    ``a v[:, k] = w[k] v[:, k]``, as ``numpy.linalg.eig``."""
    return Eig()(a)


class SVD(Op):
    """Singular value decomposition ``x = U diag(s) Vt`` (``numpy.linalg.svd``): outputs
    ``U, s, Vt`` or, when ``compute_uv`` is False, ``s`` alone."""

    __props__ = ("full_matrices", "compute_uv")

    def __init__(self, full_matrices: bool = True, compute_uv: bool = True) -> None:
        self.full_matrices = as_bool(full_matrices, "svd: full_matrices")
        self.compute_uv = as_bool(compute_uv, "svd: compute_uv")

    def make_node(self, x) -> Apply:
        x = _float_matrix(x, "svd")
        m, n = x.type.shape
        k = None if m is None or n is None else min(m, n)
        s = TensorType(x.dtype, (k,))
        if not self.compute_uv:
            return Apply(self, [x], [s])
        u_cols, vt_rows = (m, n) if self.full_matrices else (k, k)
        u, vt = TensorType(x.dtype, (m, u_cols)), TensorType(x.dtype, (vt_rows, n))
        return Apply(self, [x], [u, s, vt])

    def emit(self, node, inputs, ctx):
        return (
            f"np.linalg.svd({inputs[0]}, full_matrices={self.full_matrices}, "
            f"compute_uv={self.compute_uv})"
        )

    def jax(self, node, inputs, jx):
        return jx.numpy.linalg.svd(
            inputs[0], full_matrices=self.full_matrices, compute_uv=self.compute_uv
        )

    def infer_shape(self, node, input_shapes):
        m, n = input_shapes[0]
        k = math.minimum(m, n)
        if not self.compute_uv:
            return [(k,)]
        if self.full_matrices:
            return [(m, m), (k,), (n, n)]
        return [(m, k), (k,), (k, n)]

    def grad(self, node, output_grads):
        # Only the singular values are differentiated (Theano gave SVD no gradient):
        # ds_k = u_k^T dX v_k.
        if self.compute_uv:
            raise NotImplementedError("the gradient of svd's U and Vt is not implemented")
        (x,) = node.inputs
        (gs,) = output_grads
        u, _, vt = SVD(False, True)(x)
        return [dot(u * dimshuffle(gs, ("x", 0)), vt)]


def svd(a, full_matrices: bool = True, compute_uv: bool = True):
    """``[U, s, Vt]`` with ``a = U diag(s) Vt``, or ``s`` when ``compute_uv`` is False."""
    return SVD(full_matrices, compute_uv)(a)


class QR(Op):
    """QR decomposition (``numpy.linalg.qr``): ``Q, R`` for the modes ``'reduced'`` and
    ``'complete'``, ``R`` alone for ``'r'``. No gradient (Theano gave it none)."""

    __props__ = ("mode",)

    def __init__(self, mode: str = "reduced") -> None:
        self.mode = as_choice(mode, ("reduced", "complete", "r"), "qr: mode")

    def make_node(self, x) -> Apply:
        x = _float_matrix(x, "qr")
        m, n = x.type.shape
        k = None if m is None or n is None else min(m, n)
        rows = m if self.mode == "complete" else k
        r = TensorType(x.dtype, (rows, n))
        if self.mode == "r":
            return Apply(self, [x], [r])
        return Apply(self, [x], [TensorType(x.dtype, (m, rows)), r])

    def emit(self, node, inputs, ctx):
        return f"np.linalg.qr({inputs[0]}, mode={self.mode!r})"

    def jax(self, node, inputs, jx):
        return jx.numpy.linalg.qr(inputs[0], mode=self.mode)

    def infer_shape(self, node, input_shapes):
        m, n = input_shapes[0]
        rows = m if self.mode == "complete" else math.minimum(m, n)
        if self.mode == "r":
            return [(rows, n)]
        return [(m, rows), (rows, n)]

    def grad(self, node, output_grads):
        raise NotImplementedError("the gradient of qr is not implemented")


def qr(a, mode: str = "reduced"):
    """``[Q, R]`` with ``a = Q R`` (``R`` alone for ``mode='r'``)."""
    return QR(mode)(a)


class Cholesky(_SquareToSquare):
    """The Cholesky factor of a symmetric positive-definite matrix: lower ``L`` with
    ``L L^T = x`` (reading ``x``'s lower triangle), or upper ``U`` with ``U^T U = x``
    (reading its upper triangle). A matrix that is not positive definite raises
    ``numpy.linalg.LinAlgError``."""

    __props__ = ("lower",)
    _name = "cholesky"

    def __init__(self, lower: bool = True) -> None:
        self.lower = as_bool(lower, "cholesky: lower")

    def emit(self, node, inputs, ctx):
        if self.lower:
            return f"np.linalg.cholesky({inputs[0]})"
        # the lower factor of x^T (which reads x's upper triangle), transposed
        return f"np.linalg.cholesky({inputs[0]}.T).T.copy()"

    def jax(self, node, inputs, jx):
        # one triangle only, as NumPy reads it (JAX would average both by default)
        (x,) = inputs
        if self.lower:
            return jx.lax.linalg.cholesky(x, symmetrize_input=False)
        return jx.lax.linalg.cholesky(x.T, symmetrize_input=False).T

    def grad(self, node, output_grads):
        # Murray (2016): with L the lower factor and Lbar its gradient, the gradient of a
        # whole symmetric input is S = L^-T Phi(L^T Lbar) L^-1, Phi taking the lower
        # triangle with the diagonal halved. The upper factor is the lower one of x^T.
        (factor,) = node.outputs
        (gz,) = output_grads
        low, g = (factor, gz) if self.lower else (factor.T, gz.T)
        product = dot(low.T, g)
        phi = _triangle(product, True, diagonal=False) + 0.5 * _diagonal_part(product)
        left = solve_triangular(low.T, phi, lower=False)  # L^-T Phi
        whole = solve_triangular(low.T, left.T, lower=False).T  # (L^-T Phi) L^-1
        return [_one_triangle_gradient(whole, self.lower)]


def cholesky(a, lower: bool = True) -> Variable:
    """The Cholesky factor of the symmetric positive-definite ``a`` (lower by default)."""
    return Cholesky(lower)(a)


def _expm_kernel(a, dtype):
    # Scaling and squaring with the [6/6] Pade approximant: the matrix is halved until
    # its 1-norm is at most 1/2, where the approximant's error bound is below 1e-16.
    a = np.asarray(a, dtype=np.float64)
    norm = np.abs(a).sum(axis=0).max() if a.size else 0.0
    squarings = int(np.ceil(np.log2(norm / 0.5))) if norm > 0.5 else 0
    scaled = a / 2.0**squarings
    power = np.eye(len(a))
    numerator, denominator = np.zeros_like(power), np.zeros_like(power)
    coefficient = 1.0
    for k in range(7):
        numerator += coefficient * power
        denominator += (-1) ** k * coefficient * power
        coefficient *= (6 - k) / ((12 - k) * (k + 1))
        power = power @ scaled
    result = np.linalg.solve(denominator, numerator)
    for _ in range(squarings):
        result = result @ result
    return result.astype(dtype)


class Expm(_SquareToSquare):
    """The matrix exponential of a square matrix, ``sum_k x^k / k!``."""

    _name = "expm"

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(_expm_kernel, "expm")
        return f"{kernel}({inputs[0]}, np.{node.outputs[0].dtype})"

    def jax(self, node, inputs, jx):
        # in float64, as the NumPy kernel computes, then cast to the output's dtype
        x = inputs[0].astype(np.float64)
        return jx.scipy.linalg.expm(x).astype(node.outputs[0].type.numpy_dtype)

    def grad(self, node, output_grads):
        # The gradient is the Frechet derivative at x^T applied to gz, which is the
        # upper-right block of expm([[x^T, gz], [0, x^T]]) (Najfeld and Havel, 1995).
        (x,) = node.inputs
        (gz,) = output_grads
        n = x.shape[0]
        top = concatenate([x.T, gz], axis=1)
        bottom = concatenate([math.zeros_like(x), x.T], axis=1)
        block = Expm()(concatenate([top, bottom], axis=0))
        return [block[:n, n:]]


def expm(x) -> Variable:
    """The matrix exponential of the square matrix ``x``."""
    return Expm()(x)


# --------------------------------------------------------------------------------------
# solves and least squares


class _SolveOp(Op):
    """``x`` with ``a x = b``: a square float matrix ``a``, a float vector or matrix ``b``,
    ``x`` shaped like ``b``."""

    _name = ""

    def make_node(self, a, b) -> Apply:
        a = _float_matrix(a, self._name, square=True)
        b = math.as_float(as_tensor(b))
        if b.ndim not in (1, 2):
            raise TypeError(
                f"{self._name}: b must be a vector or a matrix, got {b} ({b.type.describe()})"
            )
        n, rows = a.type.shape[0], b.type.shape[0]
        if n is not None and rows is not None and n != rows:
            raise ValueError(
                f"{self._name}: {a} ({a.type.describe()}) and {b} ({b.type.describe()}) "
                "do not match"
            )
        dtype = np.result_type(a.dtype, b.dtype).name
        return Apply(self, [a, b], [TensorType(dtype, b.type.shape)])

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]

    def _gradients(self, node, gx, transposed_solve, a_part):
        # x = A^-1 b: gb = A^-T gx and gA = -gb x^T (restricted to what the kernel reads)
        a, b = node.inputs
        (x,) = node.outputs
        gb = transposed_solve(a.T, gx)
        ga = -(outer(gb, x) if b.ndim == 1 else dot(gb, x.T))
        return [a_part(ga).astype(a.dtype), gb.astype(b.dtype)]


class Solve(_SolveOp):
    """``x`` with ``a x = b`` for a square ``a`` and a vector or matrix ``b``
    (``numpy.linalg.solve``). ``assume_a`` (``'gen'``, ``'sym'``, ``'pos'``) states what
    the caller knows of ``a``; NumPy has one general LU solver, used for all three, so
    the whole of ``a`` is read and differentiated."""

    __props__ = ("assume_a",)
    _name = "solve"

    def __init__(self, assume_a: str = "gen") -> None:
        self.assume_a = as_choice(assume_a, ("gen", "sym", "pos"), "solve: assume_a")

    def emit(self, node, inputs, ctx):
        dtype = node.outputs[0].dtype
        return f"np.linalg.solve({inputs[0]}, {inputs[1]}).astype(np.{dtype}, copy=False)"

    def jax(self, node, inputs, jx):
        a, b = inputs
        return jx.numpy.linalg.solve(a, b).astype(node.outputs[0].type.numpy_dtype)

    def grad(self, node, output_grads):
        return self._gradients(node, output_grads[0], Solve(self.assume_a), _whole)


def _whole(x):
    return x


def solve(a, b, assume_a: str = "gen") -> Variable:
    """The solution ``x`` of ``a x = b``."""
    return Solve(assume_a)(a, b)


def _solve_triangular_kernel(a, b, lower, unit_diagonal, dtype):
    # LAPACK's general solver on the triangle alone: the same solution a triangular
    # substitution gives, without a Python loop over the rows.
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        np.fill_diagonal(t, 1)
    return np.linalg.solve(t, b).astype(dtype, copy=False)


class SolveTriangular(_SolveOp):
    """``x`` with ``t x = b``, ``t`` the lower (or upper) triangle of ``a`` (with ones on
    the diagonal when ``unit_diagonal``); the other entries of ``a`` are not read."""

    __props__ = ("lower", "unit_diagonal")
    _name = "solve_triangular"

    def __init__(self, lower: bool = False, unit_diagonal: bool = False) -> None:
        self.lower = as_bool(lower, "solve_triangular: lower")
        self.unit_diagonal = as_bool(unit_diagonal, "solve_triangular: unit_diagonal")

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(_solve_triangular_kernel, "solve_triangular")
        dtype = node.outputs[0].dtype
        return f"{kernel}({inputs[0]}, {inputs[1]}, {self.lower}, {self.unit_diagonal}, np.{dtype})"

    def jax(self, node, inputs, jx):
        dtype = node.outputs[0].type.numpy_dtype
        a, b = (v.astype(dtype) for v in inputs)  # XLA solves in one dtype
        columns = b if b.ndim == 2 else b[:, None]
        x = jx.lax.linalg.triangular_solve(
            a, columns, left_side=True, lower=self.lower, unit_diagonal=self.unit_diagonal
        )
        return x if b.ndim == 2 else x[:, 0]

    def grad(self, node, output_grads):
        transposed = SolveTriangular(not self.lower, self.unit_diagonal)
        part = functools.partial(_triangle, lower=self.lower, diagonal=not self.unit_diagonal)
        return self._gradients(node, output_grads[0], transposed, part)


def solve_triangular(a, b, lower: bool = False, unit_diagonal: bool = False) -> Variable:
    """The solution ``x`` of ``t x = b``, ``t`` the upper (or ``lower``) triangle of ``a``."""
    return SolveTriangular(lower, unit_diagonal)(a, b)


def _lstsq_kernel(a, b, rcond, dtype):
    x, residuals, rank, singular = np.linalg.lstsq(a, b, rcond=float(rcond))
    return (
        x.astype(dtype, copy=False),
        residuals.astype(dtype, copy=False),
        np.asarray(rank, dtype=np.int32),
        singular.astype(dtype, copy=False),
    )


class Lstsq(Op):
    """The least-squares solution of ``a x = b`` (``numpy.linalg.lstsq(a, b, rcond)``),
    with ``a`` a float matrix, ``b`` a vector or a matrix (one problem per column) and
    ``rcond`` a scalar (singular values below ``rcond`` times the largest count as zero;
    a negative one means the machine precision). Outputs as NumPy's: ``x``; the squared
    residual norms, one per column of ``b`` and none when ``a``'s rank is below its number
    of columns or it has no more rows than columns (so their length depends on the
    values); the rank of ``a`` (an int32 scalar); the singular values of ``a``.
    No gradient (Theano's op had none; ``dot(pinv(a), b)`` is the same ``x`` for a
    matrix of full rank, and has one)."""

    def make_node(self, a, b, rcond) -> Apply:
        a = _float_matrix(a, "lstsq")
        b = math.as_float(as_tensor(b))
        rcond = as_tensor(rcond)
        if b.ndim not in (1, 2):
            raise TypeError(f"lstsq: b must be a vector or a matrix, got {b} ({b.type.describe()})")
        rows, columns = a.type.shape
        if rows is not None and b.type.shape[0] is not None and rows != b.type.shape[0]:
            raise ValueError(
                f"lstsq: {a} ({a.type.describe()}) and {b} ({b.type.describe()}) do not have "
                "the same number of rows"
            )
        if rcond.ndim != 0 or rcond.type.numpy_dtype.kind not in "iuf":
            raise TypeError(f"lstsq: rcond must be a number, got {rcond} ({rcond.type.describe()})")
        dtype = np.result_type(a.dtype, b.dtype).name
        solution = (columns,) + b.type.shape[1:]
        k = None if rows is None or columns is None else min(rows, columns)
        outputs = [
            TensorType(dtype, solution),
            TensorType(dtype, (None,)),
            TensorType("int32", ()),
            TensorType(dtype, (k,)),
        ]
        return Apply(self, [a, b, rcond], outputs)

    def emit(self, node, inputs, ctx):
        kernel = ctx.bind(_lstsq_kernel, "lstsq")
        a, b, rcond = inputs
        return f"{kernel}({a}, {b}, {rcond}, np.{node.outputs[0].dtype})"

    def grad(self, node, output_grads):
        a, b, _ = node.inputs
        raise NotImplementedError(
            f"lstsq has no gradient; for {a} of full rank, dot(pinv({a}), {b}) is the same "
            "solution and has one"
        )


def lstsq(a, b, rcond=None) -> list[Variable]:
    """``[x, residuals, rank, s]`` of ``numpy.linalg.lstsq(a, b, rcond)`` (see ``Lstsq``);
    ``rcond=None`` is NumPy's default, the float64 machine precision times the larger
    side of ``a``."""
    if rcond is None:
        a = as_tensor(a)
        rcond = math.maximum(a.shape[0], a.shape[1]) * np.finfo(np.float64).eps
    return Lstsq()(a, b, rcond)


# --------------------------------------------------------------------------------------
# diagonals, trace, products, norms


def _diagonal_length(rows, cols, offset: int):
    """The length of the ``offset``-th diagonal of a ``rows x cols`` matrix (ints, or
    symbolic scalars)."""
    if isinstance(rows, int) and isinstance(cols, int):
        return max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))
    if offset >= 0:
        length = math.minimum(rows, cols - offset)
    else:
        length = math.minimum(rows + offset, cols)
    return math.maximum(length, constant(0, dtype="int64"))


class ExtractDiag(Op):
    """The ``offset``-th diagonal of the 2-d slices of ``x`` taken along ``axis1`` and
    ``axis2``, as a new last axis (``numpy.diagonal``, copied: NumPy's is a read-only
    view)."""

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> None:
        self.offset = as_int(offset, "extract_diag: offset")
        self.axis1 = as_int(axis1, "extract_diag: axis1")
        self.axis2 = as_int(axis2, "extract_diag: axis2")
        if self.axis1 < 0 or self.axis2 < 0 or self.axis1 == self.axis2:
            raise ValueError(
                f"extract_diag: axis1 and axis2 must be distinct non-negative axes, got "
                f"{self.axis1} and {self.axis2}"
            )

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        if max(self.axis1, self.axis2) >= x.ndim:
            raise ValueError(
                f"extract_diag: axes {self.axis1} and {self.axis2} out of range for {x} "
                f"({x.type.describe()})"
            )
        shape = x.type.shape
        rows, cols = shape[self.axis1], shape[self.axis2]
        length = None
        if rows is not None and cols is not None:
            length = _diagonal_length(rows, cols, self.offset)
        rest = tuple(s for i, s in enumerate(shape) if i not in (self.axis1, self.axis2))
        return Apply(self, [x], [TensorType(x.dtype, rest + (length,))])

    def emit(self, node, inputs, ctx):
        return f"np.diagonal({inputs[0]}, {self.offset}, {self.axis1}, {self.axis2}).copy()"

    def jax(self, node, inputs, jx):
        return jx.numpy.diagonal(inputs[0], self.offset, self.axis1, self.axis2)

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        rest = tuple(s for i, s in enumerate(shape) if i not in (self.axis1, self.axis2))
        return [rest + (_diagonal_length(shape[self.axis1], shape[self.axis2], self.offset),)]

    def grad(self, node, output_grads):
        # gz on the diagonal of zeros shaped like x: move the two axes last, set, move back
        (x,) = node.inputs
        (gz,) = output_grads
        if x.type.numpy_dtype.kind not in "fc":
            return [None]
        others = [i for i in range(x.ndim) if i not in (self.axis1, self.axis2)]
        order = others + [self.axis1, self.axis2]
        moved = dimshuffle(math.zeros_like(x), order)
        steps = arange(gz.shape[-1])
        rows, cols = steps + max(-self.offset, 0), steps + max(self.offset, 0)
        filled = set_subtensor(moved[(slice(None),) * len(others) + (rows, cols)], gz)
        return [dimshuffle(filled, [order.index(i) for i in range(x.ndim)])]


def extract_diag(x, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Variable:
    """The ``offset``-th diagonal of ``x`` along ``axis1`` and ``axis2`` (last axis)."""
    x = as_tensor(x)
    axis1 = normalize_axis(axis1, x, "extract_diag")
    axis2 = normalize_axis(axis2, x, "extract_diag")
    return ExtractDiag(offset, axis1, axis2)(x)


class AllocDiag(Op):
    """A square matrix with the vector ``v`` on its ``offset``-th diagonal and zeros
    elsewhere (``numpy.diag`` of a vector)."""

    __props__ = ("offset",)

    def __init__(self, offset: int = 0) -> None:
        self.offset = as_int(offset, "alloc_diag: offset")

    def make_node(self, v) -> Apply:
        v = as_tensor(v)
        if v.ndim != 1:
            raise TypeError(f"alloc_diag takes a vector, got {v} ({v.type.describe()})")
        (n,) = v.type.shape
        size = None if n is None else n + abs(self.offset)
        return Apply(self, [v], [TensorType(v.dtype, (size, size))])

    def emit(self, node, inputs, ctx):
        return f"np.diag({inputs[0]}, {self.offset})"

    def jax(self, node, inputs, jx):
        return jx.numpy.diag(inputs[0], self.offset)

    def infer_shape(self, node, input_shapes):
        size = input_shapes[0][0] + abs(self.offset)
        return [(size, size)]

    def grad(self, node, output_grads):
        (v,) = node.inputs
        if v.type.numpy_dtype.kind not in "fc":
            return [None]
        return [ExtractDiag(self.offset, 0, 1)(output_grads[0])]


def alloc_diag(v, offset: int = 0) -> Variable:
    """A square matrix with the vector ``v`` on its ``offset``-th diagonal."""
    return AllocDiag(offset)(v)


def diag(x, k: int = 0) -> Variable:
    """NumPy's ``diag``: the ``k``-th diagonal of a matrix, or a matrix with the vector
    ``x`` on its ``k``-th diagonal."""
    x = as_tensor(x)
    if x.ndim == 1:
        return alloc_diag(x, k)
    if x.ndim == 2:
        return extract_diag(x, k)
    raise TypeError(f"diag takes a vector or a matrix, got {x} ({x.type.describe()})")


def trace(x) -> Variable:
    """The sum of the diagonal of the matrix ``x``."""
    x = as_tensor(x)
    if x.ndim != 2:
        raise TypeError(f"trace takes a matrix, got {x} ({x.type.describe()})")
    return math.sum(extract_diag(x))


def matrix_dot(*args) -> Variable:
    """The product of the matrices (and vectors) ``args``, left to right."""
    if not args:
        raise TypeError("matrix_dot needs at least one argument")
    return functools.reduce(dot, args[1:], as_tensor(args[0]))


def linalg_norm(x, ord=None) -> Variable:  # noqa: A002 - NumPy's name
    """NumPy's ``linalg.norm`` of a vector or matrix for the orders built from sums and
    maxima: vectors take any number (and ``inf``, ``-inf``, 0); matrices ``None``/``'fro'``,
    ``1``, ``-1``, ``inf``, ``-inf`` (the orders needing singular values are refused)."""
    x = as_tensor(x)
    magnitude = math.abs(x)
    if x.ndim == 1:
        if ord is None or ord == 2:
            return math.sqrt(math.sum(math.sqr(x)))
        if ord == np.inf:
            return math.max(magnitude)
        if ord == -np.inf:
            return math.min(magnitude)
        if ord == 0:
            return math.sum(math.neq(x, 0)).astype(math.as_float(x).dtype)
        if isinstance(ord, (int, float, np.number)) and not isinstance(ord, bool):
            return math.pow(math.sum(math.pow(magnitude, ord)), 1.0 / ord)
    elif x.ndim == 2:
        if ord is None or (isinstance(ord, str) and ord == "fro"):
            return math.sqrt(math.sum(math.sqr(x)))
        by_order = {1: (math.max, 0), -1: (math.min, 0), np.inf: (math.max, 1)}
        by_order[-np.inf] = (math.min, 1)
        if not isinstance(ord, str) and ord in by_order:
            pick, axis = by_order[ord]
            return pick(math.sum(magnitude, axis=axis))
    else:
        raise TypeError(f"linalg_norm takes a vector or a matrix, got {x} ({x.type.describe()})")
    raise ValueError(f"linalg_norm: unsupported order {ord!r} for {x} ({x.type.describe()})")
