"""Element-wise ops, driven by one table: symbolic builder, NumPy reference, input domains,
dtypes accepted, differentiable or not.

Every row is checked forward (hypothesis picks broadcasting shapes, dtypes and values;
both compile modes; dtype and static shape of the symbolic output against NumPy's) and,
when differentiable, with ``verify_grad`` in float64 and float32. Constructors, constants,
dtype promotion, casts and error messages are tested after the table.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from helpers import (
    FLOAT_DTYPES,
    INT_DTYPES,
    MODES,
    SETTINGS,
    assert_close,
    assert_no_float64,
    broadcast_shapes,
    compile_and_run,
    numpy_result_dtype,
)
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symgraph
import symgraph.tensor as T

# --------------------------------------------------------------------------------------
# input domains: (low, high, exclude (-gap, gap)) for floats; ints use the rounded range

DOMAINS = {
    "real": (-3.0, 3.0, 0.0),
    "pos": (0.2, 3.0, 0.0),
    "nonzero": (-3.0, 3.0, 0.25),
    "gt_m1": (-0.9, 3.0, 0.0),
    "unit": (-1.0, 1.0, 0.0),
    "low": (-2.0, -0.5, 0.0),
    "high": (0.5, 2.0, 0.0),
    "int_exp": (0.0, 3.0, 0.0),
    "frac": (0.1, 0.9, 0.0),  # with "big": x / y stays away from the integers
    "big": (1.5, 3.0, 0.0),
    "low_frac": (0.05, 0.4, 0.0),  # exponents for integer pow (no negative powers of ints)
    "special": None,  # anything, with nan and inf
    "bool": None,
}


def _elements(domain: str, dtype: np.dtype):
    if domain == "bool" or dtype.kind == "b":
        return st.booleans()
    if domain == "special":
        width = 32 if dtype == np.float32 else 64
        return st.floats(allow_nan=True, allow_infinity=True, width=width)
    low, high, gap = DOMAINS[domain]
    if dtype.kind in "iu":
        low, high = int(np.ceil(low)), int(np.floor(high))
        values = st.integers(low, high)
        return values.filter(lambda v: abs(v) >= gap) if gap else values
    width = 32 if dtype == np.float32 else 64
    if width == 32:  # bounds hypothesis can represent in float32
        low, high, gap = (float(np.float32(v)) for v in (low, high, gap))
    if gap:
        return st.one_of(st.floats(low, -gap, width=width), st.floats(gap, high, width=width))
    return st.floats(low, high, width=width)


def _uniform(rng, domain: str, shape, dtype) -> np.ndarray:
    low, high, gap = DOMAINS[domain]
    values = rng.uniform(low, high, size=shape)
    if gap:
        values = np.where(np.abs(values) < gap, np.sign(values + 1e-12) * (gap + 0.1), values)
    return values.astype(dtype)


# --------------------------------------------------------------------------------------
# the table


@dataclass(frozen=True)
class Row:
    name: str
    build: Callable  # symbolic tensors -> symbolic result
    ref: Callable  # NumPy arrays -> NumPy result (written here, independently of symgraph)
    domains: tuple[str, ...]
    grad: bool = True
    dtypes: tuple[str, ...] = FLOAT_DTYPES  # dtypes drawn for the non-bool inputs
    grad_domains: tuple[str, ...] | None = None
    exact_ref: bool = False  # compare with NumPy in the inputs' own dtypes (discontinuous)
    grad_fun: Callable | None = None  # what verify_grad differentiates, when not ``build``

    def __str__(self) -> str:
        return self.name


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


NUM = FLOAT_DTYPES + INT_DTYPES
LOGIC = ("bool", "int8", "int32")

ROWS = [
    # arithmetic, by function and by operator
    Row("add", T.add, np.add, ("real", "real"), dtypes=NUM),
    Row("sub", T.sub, np.subtract, ("real", "real"), dtypes=NUM),
    Row("mul", T.mul, np.multiply, ("real", "real"), dtypes=NUM),
    Row("true_div", T.true_div, np.true_divide, ("real", "nonzero"), dtypes=NUM),
    Row(
        "int_div",
        T.int_div,
        np.floor_divide,
        ("real", "nonzero"),
        dtypes=NUM,
        exact_ref=True,
        grad_domains=("frac", "big"),
    ),
    Row(
        "mod",
        T.mod,
        np.mod,
        ("real", "nonzero"),
        dtypes=NUM,
        exact_ref=True,
        grad_domains=("frac", "big"),
    ),
    Row("pow", T.pow, np.power, ("pos", "real"), grad_domains=("pos", "unit")),
    Row("pow_int", T.pow, np.power, ("real", "int_exp"), grad=False, dtypes=INT_DTYPES),
    Row("neg", T.neg, np.negative, ("real",), dtypes=NUM),
    Row("abs", T.abs, np.abs, ("real",), dtypes=NUM, grad_domains=("nonzero",)),
    Row("sign", T.sign, np.sign, ("real",), dtypes=NUM, grad_domains=("nonzero",)),
    Row("floor", T.floor, np.floor, ("real",), exact_ref=True, grad_domains=("frac",)),
    Row("ceil", T.ceil, np.ceil, ("real",), exact_ref=True, grad_domains=("frac",)),
    Row("round", T.round, np.rint, ("real",), exact_ref=True, grad_domains=("low_frac",)),
    Row("maximum", T.maximum, np.maximum, ("real", "real"), dtypes=NUM),
    Row("minimum", T.minimum, np.minimum, ("real", "real"), dtypes=NUM),
    Row("clip", T.clip, np.clip, ("real", "low", "high"), dtypes=NUM),
    Row("relu", T.relu, lambda x: np.maximum(x, 0), ("real",), dtypes=NUM),
    Row(
        "leaky_relu",
        lambda x: T.relu(x, 0.1),
        lambda x: np.where(x > 0, x, 0.1 * x),
        ("real",),
        grad_domains=("nonzero",),
    ),
    Row("op_add", lambda a, b: a + b, lambda a, b: a + b, ("real", "real"), dtypes=NUM),
    Row("op_sub", lambda a, b: a - b, lambda a, b: a - b, ("real", "real"), dtypes=NUM),
    Row("op_mul", lambda a, b: a * b, lambda a, b: a * b, ("real", "real"), dtypes=NUM),
    Row("op_truediv", lambda a, b: a / b, lambda a, b: a / b, ("real", "nonzero"), dtypes=NUM),
    Row(
        "op_floordiv",
        lambda a, b: a // b,
        lambda a, b: a // b,
        ("real", "nonzero"),
        dtypes=NUM,
        exact_ref=True,
        grad_domains=("frac", "big"),
    ),
    Row(
        "op_mod",
        lambda a, b: a % b,
        lambda a, b: a % b,
        ("real", "nonzero"),
        dtypes=NUM,
        exact_ref=True,
        grad_domains=("frac", "big"),
    ),
    Row(
        "op_pow",
        lambda a, b: a**b,
        lambda a, b: a**b,
        ("pos", "real"),
        grad_domains=("pos", "unit"),
    ),
    Row("op_neg", lambda a: -a, lambda a: -a, ("real",), dtypes=NUM),
    Row(
        "op_abs",
        lambda a: abs(a),
        lambda a: abs(a),
        ("real",),
        dtypes=NUM,
        grad_domains=("nonzero",),
    ),
    Row("op_rsub_const", lambda a: 2.5 - a, lambda a: 2.5 - a, ("real",), dtypes=NUM),
    Row("op_rdiv_const", lambda a: 3 / a, lambda a: 3 / a, ("nonzero",), dtypes=NUM),
    Row("op_rpow_const", lambda a: 2.0**a, lambda a: 2.0**a, ("real",)),
    Row("op_mul_const", lambda a: a * 2.0 + 1, lambda a: a * 2.0 + 1, ("real",), dtypes=NUM),
    # transcendental
    Row("exp", T.exp, np.exp, ("real",), dtypes=NUM),
    Row("exp2", T.exp2, np.exp2, ("real",)),
    Row("log", T.log, np.log, ("pos",), dtypes=NUM, grad_domains=("pos",)),
    Row("log2", T.log2, np.log2, ("pos",)),
    Row("log10", T.log10, np.log10, ("pos",)),
    Row("log1p", T.log1p, np.log1p, ("gt_m1",), grad_domains=("gt_m1",)),
    Row("expm1", T.expm1, np.expm1, ("real",)),
    Row("sqrt", T.sqrt, np.sqrt, ("pos",), dtypes=NUM),
    Row("sqr", T.sqr, np.square, ("real",), dtypes=NUM),
    Row("tanh", T.tanh, np.tanh, ("real",), dtypes=NUM),
    Row("sin", T.sin, np.sin, ("real",)),
    Row("cos", T.cos, np.cos, ("real",)),
    Row("sigmoid", T.sigmoid, _np_sigmoid, ("real",), dtypes=NUM),
    Row("softplus", T.softplus, _np_softplus, ("real",), dtypes=NUM),
    Row("logaddexp", T.logaddexp, lambda a, b: np.log(np.exp(a) + np.exp(b)), ("real", "real")),
    Row("log1mexp", T.log1mexp, lambda a: np.log(1 - np.exp(a)), ("low",)),
    # comparisons and logic
    Row("lt", T.lt, np.less, ("real", "real"), grad=False, dtypes=NUM),
    Row("gt", T.gt, np.greater, ("real", "real"), grad=False, dtypes=NUM),
    Row("le", T.le, np.less_equal, ("real", "real"), grad=False, dtypes=NUM),
    Row("ge", T.ge, np.greater_equal, ("real", "real"), grad=False, dtypes=NUM),
    Row("eq", T.eq, np.equal, ("real", "real"), grad=False, dtypes=NUM),
    Row("neq", T.neq, np.not_equal, ("real", "real"), grad=False, dtypes=NUM),
    Row("op_lt", lambda a, b: a < b, lambda a, b: a < b, ("real", "real"), grad=False),
    Row("op_ge", lambda a, b: a >= b, lambda a, b: a >= b, ("real", "real"), grad=False),
    Row("and_", T.and_, np.bitwise_and, ("real", "real"), grad=False, dtypes=LOGIC),
    Row("or_", T.or_, np.bitwise_or, ("real", "real"), grad=False, dtypes=LOGIC),
    Row("xor", T.xor, np.bitwise_xor, ("real", "real"), grad=False, dtypes=LOGIC),
    Row("invert", T.invert, np.invert, ("real",), grad=False, dtypes=LOGIC),
    Row("op_and", lambda a, b: a & b, lambda a, b: a & b, ("bool", "bool"), grad=False),
    Row("op_or", lambda a, b: a | b, lambda a, b: a | b, ("bool", "bool"), grad=False),
    Row("op_xor", lambda a, b: a ^ b, lambda a, b: a ^ b, ("bool", "bool"), grad=False),
    Row("op_invert", lambda a: ~a, lambda a: ~a, ("bool",), grad=False),
    Row(
        "logical_and",
        T.logical_and,
        np.logical_and,
        ("real", "real"),
        grad=False,
        dtypes=NUM + ("bool",),
    ),
    Row(
        "logical_or",
        T.logical_or,
        np.logical_or,
        ("real", "real"),
        grad=False,
        dtypes=NUM + ("bool",),
    ),
    Row(
        "logical_xor",
        T.logical_xor,
        np.logical_xor,
        ("real", "real"),
        grad=False,
        dtypes=NUM + ("bool",),
    ),
    Row(
        "logical_not", T.logical_not, np.logical_not, ("real",), grad=False, dtypes=NUM + ("bool",)
    ),
    Row("isnan", T.isnan, np.isnan, ("special",), grad=False),
    Row("isinf", T.isinf, np.isinf, ("special",), grad=False),
    # selection
    Row(
        "switch",
        T.switch,
        np.where,
        ("bool", "real", "real"),
        dtypes=NUM,
        grad_fun=lambda a, b: T.switch(T.gt(a, b), a, b),
    ),
    Row("where", T.where, np.where, ("bool", "real", "real"), grad=False, dtypes=NUM),
    Row(
        "switch_const",
        lambda c, a: T.switch(c, a, 0),
        lambda c, a: np.where(c, a, 0),
        ("bool", "real"),
        grad=False,
        dtypes=NUM,
    ),
    Row(
        "switch_bools",
        lambda c: T.switch(c, True, False),
        lambda c: np.where(c, True, False),
        ("bool",),
        grad=False,
    ),
]
ROW_IDS = [row.name for row in ROWS]
GRAD_ROWS = [row for row in ROWS if row.grad]


def _expected_static(statics: list[tuple], ndim: int) -> tuple:
    """The static shape NumPy's broadcasting rule lets one know before running."""
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in statics]
    result = []
    for sizes in zip(*padded):
        known = {s for s in sizes if s is not None and s != 1}
        if known:
            result.append(known.pop())
        elif all(s == 1 for s in sizes):
            result.append(1)
        else:
            result.append(None)
    return tuple(result)


def _reference(row: Row, arrays: list[np.ndarray]):
    """NumPy's result in its own dtype, and the value to compare with (float64 when the
    result is float, unless the row is compared exactly)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        natural = np.asarray(row.ref(*arrays))
        if row.exact_ref or natural.dtype.kind not in "f":
            return natural, natural
        upcast = [a.astype(np.float64) if a.dtype.kind != "b" else a for a in arrays]
        return natural, np.asarray(row.ref(*upcast))


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
@SETTINGS
@given(data=st.data())
def test_forward_matches_numpy(row, data):
    dtype = np.dtype(data.draw(st.sampled_from(row.dtypes), label="dtype"))
    full, per_input = data.draw(broadcast_shapes(len(row.domains)), label="shapes")
    variables, arrays = [], []
    for i, (domain, (shape, static)) in enumerate(zip(row.domains, per_input)):
        input_dtype = np.dtype(bool) if domain == "bool" else dtype
        array = data.draw(
            hnp.arrays(input_dtype, shape, elements=_elements(domain, input_dtype)), label=f"x{i}"
        )
        variables.append(T.tensor(input_dtype.name, shape=static, name=f"x{i}"))
        arrays.append(array)
    out = row.build(*variables)
    natural, expected = _reference(row, arrays)
    assert out.dtype == numpy_result_dtype(natural.dtype).name
    statics = [s for _, s in per_input]
    assert out.type.shape == _expected_static(statics, max(len(s) for s in statics))
    result = compile_and_run(variables, out, arrays)
    assert_close(result, expected, out.dtype)


def _grad_point(row: Row, dtype: str, rng) -> tuple[list[np.ndarray], Callable]:
    """Inputs for verify_grad: the first is a (3, 4) matrix; a second is a vector broadcast
    along rows, a third a vector broadcast along columns (via dimshuffle)."""
    domains = row.grad_domains or row.domains
    fun = row.grad_fun or row.build
    if row.grad_fun is not None:
        domains = ("real",) * (fun.__code__.co_argcount)
    shapes = [(3, 4), (4,), (3,)][: len(domains)]
    point = [_uniform(rng, d, s, dtype) for d, s in zip(domains, shapes)]
    patterns = [None, ("x", 0), (0, "x")]

    def wrapped(*inputs):
        shaped = [x if p is None else x.dimshuffle(*p) for x, p in zip(inputs, patterns)]
        return fun(*shaped)

    return point, wrapped


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("row", GRAD_ROWS, ids=[r.name for r in GRAD_ROWS])
def test_verify_grad_float64(row, mode):
    rng = np.random.default_rng(42)
    point, fun = _grad_point(row, "float64", rng)
    symgraph.verify_grad(fun, point, rng=rng, mode=mode)


@pytest.mark.parametrize("row", GRAD_ROWS, ids=[r.name for r in GRAD_ROWS])
def test_verify_grad_float32(row):
    rng = np.random.default_rng(7)
    point, fun = _grad_point(row, "float32", rng)
    point = [
        p * np.float32(0.5) if row.name in ("exp", "exp2", "expm1", "op_rpow_const") else p
        for p in point
    ]
    # the gradient graph of a float32 function stays float32, intermediates included
    inputs = [T.tensor("float32", shape=(None,) * p.ndim) for p in point]
    cost = T.sum(fun(*inputs))
    grads = symgraph.grad(cost, inputs)
    for g in grads:
        assert g.dtype == "float32"
    assert_no_float64(grads)
    symgraph.verify_grad(fun, point, rng=rng)


# --------------------------------------------------------------------------------------
# dtype promotion (NumPy 2 / NEP 50: Python scalars are weak)


@SETTINGS
@given(
    a=st.sampled_from(NUM + ("bool",)),
    b=st.sampled_from(NUM + ("bool",)),
    op=st.sampled_from(["add", "mul", "sub", "true_div", "maximum", "lt", "eq"]),
)
def test_mixed_dtype_promotion_matches_numpy(a, b, op):
    if op == "sub" and a == b == "bool":
        return  # NumPy refuses boolean subtraction; covered by test_bool_subtraction_error
    ref = {
        "add": np.add,
        "mul": np.multiply,
        "sub": np.subtract,
        "true_div": np.true_divide,
        "maximum": np.maximum,
        "lt": np.less,
        "eq": np.equal,
    }[op]
    x, y = T.vector("x", dtype=a), T.vector("y", dtype=b)
    xv = np.array([1, 2, 0], dtype=a)
    yv = np.array([2, 1, 1], dtype=b)
    out = getattr(T, op)(x, y)
    natural = ref(xv, yv)
    assert out.dtype == numpy_result_dtype(natural.dtype).name, (a, b, op)
    result = compile_and_run([x, y], out, [xv, yv])
    assert_close(result, natural.astype(out.dtype))


def _bool_vector(name):
    return T.vector(name, dtype="bool")


@pytest.mark.parametrize(
    "make, scalar, op",
    [
        (T.fvector, 2.0, "mul"),
        (T.fvector, 2, "add"),
        (T.fvector, 0.5, "true_div"),
        (T.ivector, 2, "mul"),
        (T.ivector, 2.5, "mul"),
        (T.ivector, 2, "true_div"),
        (T.bvector, 3, "add"),
        (T.dvector, 2.0, "sub"),
        (T.fvector, 1.5, "maximum"),
        (T.bvector, 2, "pow"),
        (_bool_vector, True, "and_"),
        (_bool_vector, False, "or_"),
        (_bool_vector, True, "maximum"),
        (_bool_vector, 1, "add"),
        (_bool_vector, 2.5, "mul"),
    ],
)
def test_python_scalars_are_weak(make, scalar, op):
    x = make("x")
    xv = np.array([1, 2, 3], dtype=x.dtype)
    ref = {
        "mul": np.multiply,
        "add": np.add,
        "true_div": np.true_divide,
        "sub": np.subtract,
        "maximum": np.maximum,
        "pow": np.power,
        "and_": np.bitwise_and,
        "or_": np.bitwise_or,
    }[op]
    natural = np.asarray(ref(xv, scalar))
    for out in (getattr(T, op)(x, scalar), getattr(T, op)(scalar, x)):
        assert out.dtype == numpy_result_dtype(natural.dtype).name
    out = getattr(T, op)(x, scalar)
    assert_close(compile_and_run([x], out, [xv]), natural)


def test_dtype_rules_from_the_issue():
    assert (T.fvector("v") * 2.0).dtype == "float32"
    assert (2.0 * T.fmatrix("m") + 1).dtype == "float32"
    assert (T.ivector("a") / T.ivector("b")).dtype == "float64"
    assert (T.lscalar("a") / T.lscalar("b")).dtype == "float64"
    assert (T.bvector("a") / T.bvector("b")).dtype == "float64"
    assert (T.ivector("a") // T.ivector("b")).dtype == "int32"
    for cmp in (T.lt, T.gt, T.le, T.ge, T.eq, T.neq):
        assert cmp(T.fvector("a"), 1.0).dtype == "bool"
        assert cmp(T.ivector("a"), T.dvector("b")).dtype == "bool"
    assert (T.fvector("a") + T.ivector("b")).dtype == "float64"  # as in NumPy
    assert (T.fvector("a") + T.wvector("b")).dtype == "float32"
    assert T.exp(T.ivector("a")).dtype == "float64"
    assert T.exp(T.bvector("a")).dtype == "float32"  # NumPy's float16, Theano's float32
    assert T.sigmoid(T.wvector("a")).dtype == "float32"
    assert T.sqrt(T.fscalar("a")).dtype == "float32"


def test_int8_result_of_unary_float_op_is_float32_at_run_time():
    x = T.bvector("x")
    xv = np.array([-2, 0, 3], dtype=np.int8)
    for op, ref in (
        (T.exp, np.exp),
        (T.sigmoid, _np_sigmoid),
        (T.softplus, _np_softplus),
        (T.sqrt, lambda v: np.sqrt(np.abs(v))),
    ):
        out = op(T.abs(x)) if op is T.sqrt else op(x)
        assert out.dtype == "float32"
        result = compile_and_run([x], out, [xv])
        assert_close(result, ref(xv.astype(np.float64)), "float32")


def test_python_int_too_large_for_int8_is_an_error():
    with pytest.raises(OverflowError, match="300"):
        T.bvector("x") + 300


def test_bool_subtraction_error():
    # NumPy refuses ``bool - bool``; so does the op, at build time, naming the inputs
    with pytest.raises(TypeError, match="'a'"):
        T.sub(T.vector("a", dtype="bool"), T.vector("b", dtype="bool"))


# --------------------------------------------------------------------------------------
# casts


@SETTINGS
@given(src=st.sampled_from(NUM + ("bool",)), dst=st.sampled_from(NUM + ("bool",)), data=st.data())
def test_cast_matches_numpy_astype(src, dst, data):
    values = data.draw(hnp.arrays(src, (5,), elements=_elements("real", np.dtype(src))))
    x = T.vector("x", dtype=src)
    for out in (T.cast(x, dst), x.astype(dst)):
        assert out.dtype == dst
        assert out.type.shape == (None,)
        if src == dst:
            assert out is x
    result = compile_and_run([x], T.cast(x, dst), [values])
    np.testing.assert_array_equal(result, values.astype(dst))


def test_cast_of_constant_and_grad():
    c = T.cast(T.constant(np.array([1.7, -2.2])), "int32")
    np.testing.assert_array_equal(c.eval(), [1, -2])
    assert c.dtype == "int32"
    for mode in MODES:
        symgraph.verify_grad(
            lambda x: T.cast(x, "float32"), [np.array([0.5, -1.0, 2.0])], mode=mode
        )
        symgraph.verify_grad(
            lambda x: T.cast(x, "float64") ** 2,
            [np.array([0.5, -1.0, 2.0], dtype=np.float32)],
            mode=mode,
        )
    x = T.fvector("x")
    g = symgraph.grad(T.cast(x, "float64").sum(), x)
    assert g.dtype == "float32"
    # an integer cast cuts the gradient
    with pytest.raises(symgraph.DisconnectedInputError, match="'x'"):
        symgraph.grad(T.cast(T.cast(x, "int32"), "float64").sum(), x)


# --------------------------------------------------------------------------------------
# broadcasting through row / col / dimshuffle


def test_row_plus_col_broadcasts_and_grad_sums_over_broadcast_axes():
    r, c = T.row("r"), T.col("c")
    out = r * c + 1.0
    assert out.type.shape == (None, None)
    assert out.broadcastable == (False, False)
    rv = np.array([[1.0, 2.0, 3.0]])
    cv = np.array([[10.0], [20.0]])
    assert_close(compile_and_run([r, c], out, [rv, cv]), rv * cv + 1.0)
    gr, gc = symgraph.grad(out.sum(), [r, c])
    assert gr.type.shape == (1, None) and gc.type.shape == (None, 1)
    grv, gcv = compile_and_run([r, c], [gr, gc], [rv, cv])
    assert_close(grv, np.full((1, 3), cv.sum()))
    assert_close(gcv, np.full((2, 1), rv.sum()))


def test_vector_broadcasts_against_matrix_rows_like_numpy():
    m, v = T.matrix("m"), T.vector("v")
    out = m - v
    assert out.type.shape == (None, None)
    mv = np.arange(6.0).reshape(2, 3)
    vv = np.array([1.0, 2.0, 3.0])
    assert_close(compile_and_run([m, v], out, [mv, vv]), mv - vv)
    gv = symgraph.grad((out**2).sum(), v)
    assert_close(compile_and_run([m, v], gv, [mv, vv]), -2 * (mv - vv).sum(axis=0))


def test_dimshuffle_x_broadcasts_a_bias():
    x, b = T.matrix("x"), T.vector("b")
    out = T.tanh(x + b.dimshuffle("x", 0))
    xv = np.random.default_rng(0).normal(size=(4, 3))
    bv = np.array([0.1, -0.2, 0.3])
    assert_close(compile_and_run([x, b], out, [xv, bv]), np.tanh(xv + bv))
    for mode in MODES:
        symgraph.verify_grad(lambda x, b: T.tanh(x + b.dimshuffle("x", 0)), [xv, bv], mode=mode)


def test_runtime_broadcast_of_an_undeclared_axis_behaves_the_same_in_both_modes():
    x, y = T.vector("x"), T.vector("y")
    xv, yv = np.zeros(1), np.arange(3.0)
    outputs = [T.exp(x) * 2 + y, (x * y).sum(), symgraph.grad((T.exp(x) * y).sum(), x)]
    for out in outputs:
        for mode in MODES:
            f = symgraph.function([x, y], out, mode=mode)
            with pytest.raises(ValueError, match="broadcast"):
                f(xv, yv)


def test_static_shapes_propagate():
    a = T.tensor("float64", shape=(2, None, 1), name="a")
    b = T.tensor("float64", shape=(None, 3, 5), name="b")
    assert (a + b).type.shape == (2, 3, 5)
    assert (a * T.row("r")).type.shape == (2, None, None)
    assert T.exp(a).type.shape == (2, None, 1)
    assert (a + 1).type.shape == (2, None, 1)


def test_incompatible_static_shapes_error_names_the_variables():
    a = T.tensor("float64", shape=(2, 3), name="weights")
    b = T.tensor("float64", shape=(4, 3), name="inputs")
    with pytest.raises(ValueError) as info:
        a + b
    message = str(info.value)
    assert "weights" in message and "inputs" in message
    assert "(2, 3)" in message and "(4, 3)" in message


def test_unsupported_dtype_error_names_the_variable():
    with pytest.raises(TypeError) as info:
        T.invert(T.matrix("activations"))
    assert "activations" in str(info.value) and "float64" in str(info.value)


def test_wrong_number_of_inputs():
    with pytest.raises(TypeError, match="2 inputs"):
        T.add(T.vector("x"))


# --------------------------------------------------------------------------------------
# constructors, constants, variable methods


CONSTRUCTOR_SHAPES = {
    "scalar": (),
    "vector": (None,),
    "matrix": (None, None),
    "row": (1, None),
    "col": (None, 1),
    "tensor3": (None,) * 3,
    "tensor4": (None,) * 4,
}
PREFIXES = {"b": "int8", "w": "int16", "i": "int32", "l": "int64", "f": "float32", "d": "float64"}


@pytest.mark.parametrize("rank", list(CONSTRUCTOR_SHAPES))
def test_constructors(rank):
    shape = CONSTRUCTOR_SHAPES[rank]
    x = getattr(T, rank)("x")
    assert x.name == "x" and x.type.shape == shape and x.ndim == len(shape)
    assert x.dtype == symgraph.config.floatX
    assert x.broadcastable == tuple(s == 1 for s in shape)
    for prefix, dtype in PREFIXES.items():
        y = getattr(T, prefix + rank)("y")
        assert (y.dtype, y.type.shape, y.name) == (dtype, shape, "y")
    with symgraph.config.change_flags(floatX="float32"):
        assert getattr(T, rank)().dtype == "float32"
        assert getattr(T, "d" + rank)().dtype == "float64"
    assert getattr(T, rank)(dtype="int16").dtype == "int16"
    with pytest.raises(TypeError):
        getattr(T, "i" + rank)(dtype="float32")
    plural = rank.replace("matrix", "matrices") if rank == "matrix" else rank + "s"
    for prefix, dtype in [("", symgraph.config.floatX)] + list(PREFIXES.items()):
        a, b = getattr(T, prefix + plural)("a", "b")  # Theano's spelling: one name each
        assert (a.name, b.name, a.dtype, b.type.shape) == ("a", "b", dtype, shape)
        assert [v.name for v in getattr(T, prefix + plural)("p q, r")] == ["p", "q", "r"]
        unnamed = getattr(T, prefix + plural)(3)
        assert len(unnamed) == 3 and unnamed[0].name is None and unnamed[0].dtype == dtype


def test_tensor_constructor_and_type():
    x = T.tensor("int16", shape=(2, None), name="x")
    assert (x.dtype, x.type.shape, x.name) == ("int16", (2, None), "x")
    assert T.tensor(shape=(None,)).dtype == symgraph.config.floatX
    assert T.tensor("float32", broadcastable=(True, False)).type.shape == (1, None)
    assert T.TensorType("float64", (None, 3))("y").type.shape == (None, 3)
    with pytest.raises(TypeError, match="shape"):
        T.tensor("float64")
    a, b = T.scalars("a b")
    assert a.name == "a" and b.name == "b" and a.ndim == 0
    assert [v.ndim for v in T.vectors("p, q")] == [1, 1]
    assert [v.ndim for v in T.matrices("p q r")] == [2, 2, 2]


def test_constants_and_as_tensor():
    c = T.constant(np.array([[1, 2], [3, 4], [5, 6]], dtype=np.int16), name="c")
    assert (c.dtype, c.type.shape, c.name) == ("int16", (3, 2), "c")
    np.testing.assert_array_equal(c.eval(), [[1, 2], [3, 4], [5, 6]])
    assert T.as_tensor(np.float32(2.5)).dtype == "float32"
    assert T.as_tensor([1.0, 2.0]).type.shape == (2,)
    assert T.as_tensor(3).dtype == "int64"
    assert T.constant(2.0, dtype="float32").dtype == "float32"
    x = T.matrix("x")
    assert T.as_tensor(x) is x
    s1, s2 = T.scalar("s1"), T.scalar("s2")
    stacked = T.as_tensor([s1, s2, 3.0])
    assert stacked.type.shape == (3,)
    result = stacked.eval({s1: np.array(1.0), s2: np.array(2.0)})
    np.testing.assert_array_equal(result, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError):
        T.as_tensor(T.vector(), ndim=2)
    with pytest.raises(TypeError):
        T.as_tensor(object())


def test_small_matrix_constant_compiles():
    c = T.constant(np.array([[1, 2], [3, 4]], dtype=np.int16))
    np.testing.assert_array_equal(c.eval(), [[1, 2], [3, 4]])
    x = T.matrix("x")
    assert_close((x + np.eye(2)).eval({x: np.ones((2, 2))}), np.ones((2, 2)) + np.eye(2))


def test_constant_data_is_read_only_and_not_aliased():
    data = np.array([1.0, 2.0])
    c = T.constant(data)
    data[0] = 100.0
    x = T.vector("x")
    out = x + c
    assert_close(compile_and_run([x], out, [np.zeros(2)]), [1.0, 2.0])
    f = symgraph.function([], T.constant(np.array([5.0, 6.0])) * 1)
    first = f()
    first[0] = -1
    np.testing.assert_array_equal(f(), [5.0, 6.0])


def test_variable_methods_and_eval():
    x = T.matrix("x")
    xv = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
    cases = [
        (x.sum(), xv.sum()),
        (x.sum(axis=0), xv.sum(axis=0)),
        (x.mean(axis=1, keepdims=True), xv.mean(axis=1, keepdims=True)),
        (x.max(), xv.max()),
        (x.min(axis=0), xv.min(axis=0)),
        (x.argmax(axis=1), xv.argmax(axis=1)),
        (x.argmin(), xv.argmin()),
        (x.prod(axis=1), xv.prod(axis=1)),
        (x.var(), xv.var()),
        (x.std(axis=0), xv.std(axis=0)),
        (x.dimshuffle(1, 0), xv.T),
        (x.dimshuffle((1, "x", 0)), xv.T[:, None, :]),
        (x.T, xv.T),
        (x.reshape((3, 2)), xv.reshape(3, 2)),
        (x.reshape(6), xv.reshape(6)),
        (x.reshape(3, 2), xv.reshape(3, 2)),
        (x.flatten(), xv.flatten()),
        (x.flatten(2), xv),
        (x.astype("int32"), xv.astype(np.int32)),
        (x.clip(-1, 2), np.clip(xv, -1, 2)),
        (x.dot(x.T), xv @ xv.T),
        (x @ x.T, xv @ xv.T),
        (abs(x), np.abs(xv)),
        (+x, xv),
    ]
    for out, expected in cases:
        result = out.eval({x: xv})
        assert_close(result, np.asarray(expected), out.dtype)
        assert result.dtype == out.dtype == np.asarray(expected).dtype, out
    # eval caches its function and rejects wrong inputs clearly
    assert_close((x * 2).eval({x: xv}), xv * 2)
    with pytest.raises(TypeError, match="'x'"):
        (x * 2).eval({x: np.ones(3)})


def test_comparisons_have_no_truth_value_and_tensors_no_len():
    x = T.vector("x")
    for comparison in (x > 0, x <= 1, T.eq(x, 2), (x > 0) & (x < 1), ~(x > 0)):
        with pytest.raises(TypeError, match="truth value"):
            bool(comparison)
    # Any other variable is "set", as in Theano: ``if not W:`` tests for None.
    assert x and (x * 2) and symgraph.shared(np.zeros(2)) and (x > 0).sum()
    x.tag.test_value = np.ones(3)  # Theano's tag attributes
    assert x.tag["test_value"].shape == (3,) and x.tag.test_value is x.tag["test_value"]
    with pytest.raises(AttributeError, match="no entry"):
        _ = x.tag.missing
    with pytest.raises(TypeError):
        len(x)
    fixed = T.tensor("float64", shape=(3,), name="f")
    parts = list(fixed)
    assert len(parts) == 3 and all(p.ndim == 0 for p in parts)
    with pytest.raises(TypeError, match="unknown length"):
        list(x)
