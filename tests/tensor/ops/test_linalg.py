"""Linear algebra: results checked by their defining properties (``a x = b``,
``L L^T = a``, ``a v = v w``...) and plain-loop references, in both modes; every gradient
against finite differences and, for a few, against the formula written here."""

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symgraph
import symgraph.tensor as T

MODES = ["FAST_RUN", "FAST_COMPILE"]


def well_conditioned(n, seed, dtype="float64"):
    """A random ``n x n`` matrix far from singular (a dominant diagonal)."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, n)) + 2 * n * np.eye(n)).astype(dtype)


def compiled(build, *values, mode="FAST_RUN"):
    inputs = [
        T.tensor(dtype=v.dtype.name, shape=(None,) * v.ndim, name=f"x{i}")
        for i, v in enumerate(values)
    ]
    outputs = build(*inputs)
    return symgraph.function(inputs, outputs, mode=mode)(*values)


sizes = st.integers(1, 5)
seeds = st.integers(0, 2**16)
dtypes = st.sampled_from(["float64", "float32"])
TOL = {"float64": dict(rtol=1e-8, atol=1e-8), "float32": dict(rtol=2e-3, atol=2e-3)}


# --------------------------------------------------------------------------------------
# values


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=25, deadline=None)
@given(n=sizes, seed=seeds, dtype=dtypes)
def test_inverse_and_determinant(mode, n, seed, dtype):
    a = well_conditioned(n, seed, dtype)
    inverse, determinant = compiled(lambda x: [T.matrix_inverse(x), T.det(x)], a, mode=mode)
    assert inverse.dtype == determinant.dtype == a.dtype
    np.testing.assert_allclose(a.astype(float) @ inverse, np.eye(n), **TOL[dtype])

    # the determinant by cofactor expansion along the first row
    def cofactor(m):
        if len(m) == 1:
            return m[0, 0]
        return sum(
            (-1) ** j * m[0, j] * cofactor(np.delete(m[1:], j, axis=1)) for j in range(len(m))
        )

    np.testing.assert_allclose(determinant, cofactor(a.astype(float)), rtol=TOL[dtype]["rtol"])


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=25, deadline=None)
@given(
    value=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=5),
        elements=st.integers(-3, 3).map(float),
    )
)
def test_pseudo_inverse_satisfies_the_penrose_conditions(mode, value):
    p = compiled(T.pinv, value, mode=mode)
    a = value
    assert p.shape == a.shape[::-1]
    np.testing.assert_allclose(a @ p @ a, a, atol=1e-6)
    np.testing.assert_allclose(p @ a @ p, p, atol=1e-6)
    np.testing.assert_allclose((a @ p).T, a @ p, atol=1e-6)
    np.testing.assert_allclose((p @ a).T, p @ a, atol=1e-6)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("uplo", ["L", "U"])
@settings(max_examples=20, deadline=None)
@given(n=sizes, seed=seeds)
def test_eigh_reads_one_triangle(mode, uplo, n, seed):
    a = np.random.default_rng(seed).normal(size=(n, n))
    sym = np.tril(a) + np.tril(a, -1).T if uplo == "L" else np.triu(a) + np.triu(a, 1).T
    w, v = compiled(lambda x: T.eigh(x, uplo), a, mode=mode)
    assert np.all(np.diff(w) >= -1e-12)
    np.testing.assert_allclose(sym @ v, v * w, atol=1e-8)
    np.testing.assert_allclose(v.T @ v, np.eye(n), atol=1e-8)
    np.testing.assert_allclose(compiled(lambda x: T.eigvalsh(x, uplo), a, mode=mode), w)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=20, deadline=None)
@given(n=st.integers(0, 5), seed=seeds, dtype=dtypes)
def test_eig_satisfies_its_definition(mode, n, seed, dtype):
    a = np.random.default_rng(seed).normal(size=(n, n)).astype(dtype)
    w, v = compiled(T.eig, a, mode=mode)
    complex_dtype = "complex64" if dtype == "float32" else "complex128"
    assert w.dtype == v.dtype == complex_dtype and w.shape == (n,) and v.shape == (n, n)
    wide = a.astype(np.float64)
    np.testing.assert_allclose(wide @ v, v * w, **TOL[dtype])
    np.testing.assert_allclose(np.linalg.norm(v, axis=0), np.ones(n), **TOL[dtype])
    # the eigenvalues are the roots of the characteristic polynomial: their sum is the
    # trace, their product the determinant
    np.testing.assert_allclose(w.sum(), np.trace(wide), **TOL[dtype])
    np.testing.assert_allclose(np.prod(w), np.linalg.det(wide), **TOL[dtype])


@pytest.mark.parametrize("mode", MODES)
def test_eig_of_a_rotation_is_complex_and_of_a_triangle_is_its_diagonal(mode):
    w, v = compiled(T.eig, np.array([[0.0, -1.0], [1.0, 0.0]]), mode=mode)
    np.testing.assert_allclose(sorted(w, key=lambda z: z.imag), [-1j, 1j], atol=1e-12)
    triangle = np.triu(np.arange(1.0, 10.0).reshape(3, 3))
    w, v = compiled(T.eig, triangle, mode=mode)
    np.testing.assert_allclose(sorted(w.real), [1.0, 5.0, 9.0])
    np.testing.assert_array_equal(w.imag, 0)


def _least_squares_by_svd(a, b, rcond):
    """x = V diag(1/s) U^T b over the singular values above the cut-off; the rank; the
    squared residual norms (NumPy gives them only for full column rank and more rows
    than columns)."""
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    cutoff = (np.finfo(np.float64).eps if rcond < 0 else rcond) * s.max(initial=0)
    kept = s > cutoff
    x = vt[kept].T @ ((u[:, kept].T @ b) / (s[kept] if b.ndim == 1 else s[kept, None]))
    rank = int(kept.sum())
    full = rank == a.shape[1] and a.shape[0] > a.shape[1]
    residuals = ((b - a @ x) ** 2).sum(axis=0) if full else np.zeros(0)
    return x, np.atleast_1d(residuals), rank, s


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=30, deadline=None)
@given(
    rows=sizes,
    cols=sizes,
    seed=seeds,
    columns=st.sampled_from([None, 1, 3]),
    rcond=st.sampled_from([-1.0, 1e-8, 0.6]),
    deficient=st.booleans(),
)
def test_lstsq_against_the_svd(mode, rows, cols, seed, columns, rcond, deficient):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(rows, cols))
    if deficient and cols > 1:
        a[:, -1] = a[:, 0] * 2  # one column a multiple of another: rank below cols
    b = rng.normal(size=(rows,) if columns is None else (rows, columns))
    x, residuals, rank, s = compiled(lambda p, q: T.lstsq(p, q, rcond), a, b, mode=mode)
    ex, eresiduals, erank, es = _least_squares_by_svd(a, b, rcond)
    assert rank.dtype == np.int32 and rank == erank
    np.testing.assert_allclose(s, es, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x, ex, rtol=1e-8, atol=1e-8)
    assert residuals.shape == eresiduals.shape
    np.testing.assert_allclose(residuals, eresiduals, rtol=1e-8, atol=1e-10)


def test_lstsq_default_rcond_is_numpys_and_dtypes_follow_numpy():
    rng = np.random.default_rng(0)
    # singular values 1 and 1e-17 * 3: below NumPy's default cut-off (eps * 3) only
    u, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    a = u @ np.diag([1.0, 1.0, 3e-17])
    b = rng.normal(size=3)
    x, residuals, rank, s = compiled(T.lstsq, a, b)
    ex, eresiduals, erank, es = np.linalg.lstsq(a, b, rcond=None)
    assert rank == erank == 2
    np.testing.assert_allclose(x, ex, rtol=1e-10)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    outputs = compiled(lambda p, q: T.lstsq(p, q, -1), a32, b32)
    assert [o.dtype for o in outputs] == ["float32", "float32", "int32", "float32"]
    mixed = T.lstsq(T.fmatrix(), T.dvector())
    assert [o.dtype for o in mixed] == ["float64", "float64", "int32", "float64"]


def test_no_gradient_through_eig_or_lstsq():
    x, b = T.dmatrix("x"), T.dvector("b")
    with pytest.raises(NotImplementedError, match="eig has no gradient.*eigh"):
        symgraph.grad(abs(T.eig(x)[0]).sum(), x)
    with pytest.raises(NotImplementedError, match="lstsq has no gradient.*pinv"):
        symgraph.grad(T.lstsq(x, b)[0].sum(), b)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("full", [True, False])
@settings(max_examples=20, deadline=None)
@given(rows=sizes, cols=sizes, seed=seeds)
def test_svd_and_qr_rebuild_the_matrix(mode, full, rows, cols, seed):
    a = np.random.default_rng(seed).normal(size=(rows, cols))
    k = min(rows, cols)
    u, s, vt = compiled(lambda x: T.svd(x, full), a, mode=mode)
    assert u.shape == ((rows, rows) if full else (rows, k))
    np.testing.assert_allclose(u[:, :k] * s @ vt[:k], a, atol=1e-10)
    np.testing.assert_allclose(compiled(lambda x: T.svd(x, compute_uv=False), a, mode=mode), s)
    q, r = compiled(lambda x: T.qr(x, "complete" if full else "reduced"), a, mode=mode)
    np.testing.assert_allclose(q @ r, a, atol=1e-10)
    np.testing.assert_allclose(q.T @ q, np.eye(q.shape[1]), atol=1e-10)
    np.testing.assert_array_equal(np.tril(r, -1), 0)
    np.testing.assert_allclose(compiled(lambda x: T.qr(x, "r"), a, mode=mode), r[:k])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lower", [True, False])
@settings(max_examples=20, deadline=None)
@given(n=sizes, seed=seeds, dtype=dtypes)
def test_cholesky_factor(mode, lower, n, seed, dtype):
    b = np.random.default_rng(seed).normal(size=(n, n))
    spd = b @ b.T + n * np.eye(n)
    junk = np.triu(np.full((n, n), 9.0), 1)  # in the triangle the kernel must not read
    given = (spd + junk if lower else spd + junk.T).astype(dtype)
    factor = compiled(lambda x: T.cholesky(x, lower), given, mode=mode)
    assert factor.dtype == given.dtype
    if lower:
        np.testing.assert_array_equal(np.triu(factor, 1), 0)
        np.testing.assert_allclose(factor.astype(float) @ factor.T, spd, **TOL[dtype])
    else:
        np.testing.assert_array_equal(np.tril(factor, -1), 0)
        np.testing.assert_allclose(factor.T.astype(float) @ factor, spd, **TOL[dtype])


def test_cholesky_of_a_matrix_that_is_not_positive_definite_raises():
    x = T.dmatrix("x")
    with pytest.raises(np.linalg.LinAlgError):
        symgraph.function([x], T.cholesky(x))(-np.eye(2))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("assume_a", ["gen", "sym", "pos"])
@settings(max_examples=15, deadline=None)
@given(n=sizes, seed=seeds, columns=st.sampled_from([None, 1, 3]))
def test_solve(mode, assume_a, n, seed, columns):
    a = well_conditioned(n, seed)
    if assume_a != "gen":
        a = a + a.T
    shape = (n,) if columns is None else (n, columns)
    b = np.random.default_rng(seed + 1).normal(size=shape)
    x = compiled(lambda p, q: T.solve(p, q, assume_a), a, b, mode=mode)
    assert x.shape == b.shape
    np.testing.assert_allclose(a @ x, b, atol=1e-8)


def substitution(t, b, lower, unit):
    """Forward (or back) substitution, one row at a time."""
    n = len(t)
    x = np.zeros(b.shape)
    for i in range(n) if lower else range(n - 1, -1, -1):
        known = range(i) if lower else range(i + 1, n)
        total = b[i] - sum((t[i, j] * x[j] for j in known), np.zeros(b.shape[1:]))
        x[i] = total if unit else total / t[i, i]
    return x


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("unit", [True, False])
@settings(max_examples=15, deadline=None)
@given(n=sizes, seed=seeds, columns=st.sampled_from([None, 2]))
def test_solve_triangular_reads_one_triangle(mode, lower, unit, n, seed, columns):
    a = well_conditioned(n, seed)
    b = np.random.default_rng(seed + 1).normal(size=(n,) if columns is None else (n, columns))
    x = compiled(
        lambda p, q: T.solve_triangular(p, q, lower=lower, unit_diagonal=unit), a, b, mode=mode
    )
    np.testing.assert_allclose(x, substitution(a, b, lower, unit), atol=1e-8)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=30, deadline=None)
@given(
    value=hnp.arrays(
        np.int32, hnp.array_shapes(min_dims=2, max_dims=2, max_side=4), elements=st.integers(-5, 5)
    ),
    k=st.integers(-4, 4),
)
def test_diagonals_and_trace(mode, value, k):
    rows, cols = value.shape
    expected = [value[i, i + k] for i in range(rows) if 0 <= i + k < cols]
    diagonal, total, square = compiled(
        lambda x: [T.diag(x, k), T.trace(x), T.diag(T.diag(x, k), k)], value, mode=mode
    )
    np.testing.assert_array_equal(diagonal, np.array(expected, dtype=np.int32))
    assert total == sum(value[i, i] for i in range(min(rows, cols)))
    assert square.shape == (len(expected) + abs(k),) * 2
    for i, entry in enumerate(expected):
        assert square[i + max(-k, 0), i + max(k, 0)] == entry
    assert np.count_nonzero(square) == np.count_nonzero(expected)


def test_extract_diag_of_a_tensor_and_its_static_shape():
    x = T.tensor(dtype="float64", shape=(2, 3, 4), name="x")
    out = T.extract_diag(x, 1, axis1=2, axis2=0)
    assert out.type.shape == (3, 1)
    value = np.arange(24.0).reshape(2, 3, 4)
    result = symgraph.function([x], out)(value)
    # entry i of a diagonal of axes (2, 0) at offset 1: value[i + 1, j, i]
    expected = np.array([[value[i + 1, j, i] for i in range(1)] for j in range(3)])
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=20, deadline=None)
@given(n=st.integers(0, 4), seed=seeds, scale=st.sampled_from([0.1, 1.0, 4.0]))
def test_expm_of_a_symmetric_matrix_from_its_eigenvalues(mode, n, seed, scale):
    a = np.random.default_rng(seed).normal(size=(n, n)) * scale
    sym = a + a.T
    w, v = np.linalg.eigh(sym)
    expected = (v * np.exp(w)) @ v.T
    result = compiled(T.expm, sym, mode=mode)
    np.testing.assert_allclose(
        result, expected, rtol=1e-10, atol=1e-10 * np.exp(np.abs(w).max(initial=0))
    )


def test_expm_of_a_nilpotent_matrix_is_its_finite_series():
    # N^3 = 0 for a strictly upper triangular 3 x 3: expm(N) = I + N + N^2 / 2
    n = np.triu(np.random.default_rng(0).normal(size=(3, 3)), 1) * 5
    np.testing.assert_allclose(compiled(T.expm, n), np.eye(3) + n + n @ n / 2, atol=1e-12)


def test_matrix_dot_and_norms():
    a, b, c = (
        np.random.default_rng(i).normal(size=s) for i, s in enumerate([(2, 3), (3, 4), (4,)])
    )
    x, y, z = T.dmatrix(), T.dmatrix(), T.dvector()
    np.testing.assert_allclose(T.matrix_dot(x, y, z).eval({x: a, y: b, z: c}), a @ b @ c)
    for ord_, expected in [
        (None, np.sqrt((a**2).sum())),
        ("fro", np.sqrt((a**2).sum())),
        (1, np.abs(a).sum(axis=0).max()),
        (-1, np.abs(a).sum(axis=0).min()),
        (np.inf, np.abs(a).sum(axis=1).max()),
        (-np.inf, np.abs(a).sum(axis=1).min()),
    ]:
        np.testing.assert_allclose(T.linalg_norm(x, ord_).eval({x: a}), expected)
    for ord_, expected in [
        (None, np.sqrt((c**2).sum())),
        (1, np.abs(c).sum()),
        (3, (np.abs(c) ** 3).sum() ** (1 / 3)),
        (np.inf, np.abs(c).max()),
        (-np.inf, np.abs(c).min()),
        (0, np.count_nonzero(c)),
    ]:
        np.testing.assert_allclose(T.linalg_norm(z, ord_).eval({z: c}), expected)
    with pytest.raises(ValueError, match="'nuc'"):
        T.linalg_norm(x, "nuc")


# --------------------------------------------------------------------------------------
# gradients


def spd(a):
    """A symbolic positive-definite matrix from any square one."""
    return T.dot(a, a.T) + 4 * T.eye(a.shape[0])


GRADIENTS = {
    "inverse": (T.matrix_inverse, [(4, 4)]),
    "det": (T.det, [(4, 4)]),
    "pinv_tall": (T.pinv, [(4, 3)]),
    "pinv_wide": (T.pinv, [(2, 3)]),
    "eigh_values": (lambda a: T.eigh(a + a.T)[0], [(4, 4)]),
    "eigh_vectors": (lambda a: T.eigh(a + a.T)[1] ** 2, [(4, 4)]),
    "eigh_lower_triangle": (lambda a: T.eigh(a)[1] ** 2, [(3, 3)]),
    "eigh_upper_triangle": (lambda a: T.eigh(a, "U")[1] ** 2 + T.eigh(a, "U")[0][0], [(3, 3)]),
    "singular_values": (lambda a: T.svd(a, compute_uv=False), [(4, 3)]),
    "cholesky": (lambda a: T.cholesky(spd(a)), [(4, 4)]),
    "cholesky_upper": (lambda a: T.cholesky(spd(a), lower=False), [(4, 4)]),
    "solve_vector": (T.solve, [(4, 4), (4,)]),
    "solve_matrix": (lambda a, b: T.solve(a + a.T, b, "sym"), [(3, 3), (3, 2)]),
    "solve_lower": (
        lambda a, b: T.solve_triangular(a + 3 * T.eye(3), b, lower=True),
        [(3, 3), (3, 2)],
    ),
    "solve_upper_unit": (lambda a, b: T.solve_triangular(a, b, unit_diagonal=True), [(3, 3), (3,)]),
    "extract_diag": (lambda a: T.extract_diag(a, -1, 2, 0), [(3, 4, 2)]),
    "alloc_diag": (lambda v: T.alloc_diag(v, 2), [(3,)]),
    "trace": (T.trace, [(3, 4)]),
    "matrix_dot": (lambda a, b: T.matrix_dot(a, b, a.T), [(2, 3), (3, 3)]),
    "expm": (lambda a: T.expm(a * 0.7), [(3, 3)]),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_gradients_match_finite_differences(name, mode):
    build, shapes = GRADIENTS[name]
    rng = np.random.default_rng(sorted(GRADIENTS).index(name))
    point = [
        rng.normal(size=s) + (2 * np.eye(s[0]) if len(s) == 2 and s[0] == s[1] else 0)
        for s in shapes
    ]
    symgraph.verify_grad(build, point, rng=rng, mode=mode)


def test_cholesky_gradient_reads_the_lower_triangle():
    # A positive-definite point plus junk above the diagonal: the kernel ignores it, so
    # its gradient there is 0 and finite differences see the same.
    rng = np.random.default_rng(3)
    b = rng.normal(size=(3, 3))
    point = b @ b.T + 3 * np.eye(3) + np.triu(rng.normal(size=(3, 3)), 1)
    symgraph.verify_grad(T.cholesky, [point], rng=rng)
    x = T.dmatrix("x")
    g = symgraph.grad(T.cholesky(x).sum(), x).eval({x: point})
    np.testing.assert_array_equal(np.triu(g, 1), 0)


def test_inverse_and_det_gradients_match_the_formulas():
    a = well_conditioned(3, 5)
    w = np.random.default_rng(1).normal(size=(3, 3))
    x = T.dmatrix("x")
    inv = np.linalg.inv(a)
    g_inv = symgraph.grad((T.matrix_inverse(x) * w).sum(), x).eval({x: a})
    np.testing.assert_allclose(g_inv, -inv.T @ w @ inv.T)
    g_det = symgraph.grad(T.det(x), x).eval({x: a})
    np.testing.assert_allclose(g_det, np.linalg.det(a) * inv.T)


def test_no_gradient_through_qr_or_the_singular_vectors():
    x = T.dmatrix("x")
    with pytest.raises(NotImplementedError, match="qr"):
        symgraph.grad(T.qr(x)[0].sum(), x)
    with pytest.raises(NotImplementedError, match="svd"):
        symgraph.grad(T.svd(x)[0].sum(), x)


# --------------------------------------------------------------------------------------
# errors and names


def test_errors_name_the_variable():
    v = T.dvector("weights")
    with pytest.raises(TypeError, match="weights"):
        T.matrix_inverse(v)
    rect = T.tensor(dtype="float64", shape=(2, 3), name="rect")
    with pytest.raises(ValueError, match="square matrix, got rect"):
        T.det(rect)
    with pytest.raises(ValueError, match="rect"):
        T.solve(rect, T.dvector())
    with pytest.raises(ValueError, match="assume_a"):
        T.solve(T.dmatrix(), T.dvector(), "triangular")
    with pytest.raises(ValueError, match="square matrix, got rect"):
        T.eig(rect)
    tall = T.tensor(dtype="float64", shape=(4, 2), name="tall")
    with pytest.raises(ValueError, match="tall .* and rhs .* do not have the same number of rows"):
        T.lstsq(tall, T.tensor(dtype="float64", shape=(3,), name="rhs"))
    with pytest.raises(TypeError, match="b must be a vector or a matrix, got cube"):
        T.lstsq(tall, T.dtensor3("cube"))
    with pytest.raises(TypeError, match="rcond must be a number, got cut"):
        T.lstsq(tall, T.dvector(), T.dvector("cut"))


def test_integer_matrices_are_cast_to_floats():
    x = T.imatrix("x")
    assert T.matrix_inverse(x).dtype == "float64"


def test_theano_names():
    nlinalg = importlib.import_module("symgraph.compat.theano.tensor.nlinalg")
    slinalg = importlib.import_module("symgraph.compat.theano.tensor.slinalg")
    x, b = T.dmatrix("x"), T.dvector("b")
    a = well_conditioned(3, 0)
    bv = np.arange(3.0)
    assert nlinalg.matrix_inverse is T.matrix_inverse and nlinalg.trace is T.trace
    np.testing.assert_allclose(nlinalg.norm(x, "fro").eval({x: a}), np.linalg.norm(a))
    np.testing.assert_allclose(
        nlinalg.matrix_power(x, 5).eval({x: a}), np.linalg.matrix_power(a, 5)
    )
    np.testing.assert_allclose(nlinalg.matrix_power(x, 0).eval({x: a}), np.eye(3))
    q, r = nlinalg.qr(x)
    np.testing.assert_allclose(T.dot(q, r).eval({x: a}), a)
    assert len(nlinalg.svd(x, 0, 1)) == 3
    w, v = nlinalg.eig(x)
    wv, vv = symgraph.function([x], [w, v])(a)
    np.testing.assert_allclose(a @ vv, vv * wv, atol=1e-12)
    # Theano's lstsq is a class: lstsq()(a, b, rcond)
    outputs = nlinalg.lstsq()(x, b, -1)
    values = symgraph.function([x, b], outputs)(a[:, :2], bv)
    for value, expected in zip(values, np.linalg.lstsq(a[:, :2], bv, rcond=-1)):
        np.testing.assert_allclose(value, expected)
    np.testing.assert_allclose(slinalg.solve(x, b).eval({x: a, b: bv}), np.linalg.solve(a, bv))
    lower = slinalg.solve_lower_triangular(x, b).eval({x: a, b: bv})
    np.testing.assert_allclose(np.tril(a) @ lower, bv, atol=1e-12)
    upper = slinalg.Solve(A_structure="upper_triangular")(x, b).eval({x: a, b: bv})
    np.testing.assert_allclose(np.triu(a) @ upper, bv, atol=1e-12)
    spd_value = a @ a.T
    factor = slinalg.cholesky(x).eval({x: spd_value})
    np.testing.assert_allclose(factor @ factor.T, spd_value)
    np.testing.assert_allclose(
        slinalg.eigvalsh(x).eval({x: spd_value}), np.linalg.eigvalsh(spd_value)
    )
    np.testing.assert_allclose(slinalg.expm(x).eval({x: np.zeros((2, 2))}), np.eye(2))
    with pytest.raises(NotImplementedError, match="SciPy"):
        slinalg.eigvalsh(x, x)
    with pytest.raises(ValueError, match="A_structure"):
        slinalg.Solve(A_structure="diagonal")
