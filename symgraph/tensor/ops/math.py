"""Element-wise math, reductions and running sums.

The element-wise table below is the single place where each element-wise function is
declared: kernel, dtype rule and gradient, one row each. Casts and the ``Elemwise`` op
itself are in ``symgraph.tensor.ops.elemwise``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from symgraph.graph.basic import Apply, Op, Variable
from symgraph.graph.type import TensorType
from symgraph.tensor.ops.dimshuffle import dimshuffle
from symgraph.tensor.ops.elemwise import Elemwise, ScalarOp, cast_scalar_op, register_scalar_op
from symgraph.tensor.ops.shape import shape_i
from symgraph.tensor.params import (
    AxisError,
    as_choice,
    as_dtype_name,
    as_int,
    as_int_tuple,
    normalize_axes,
    normalize_axis,
)
from symgraph.tensor.variable import TensorConstant, as_tensor, constant

# --------------------------------------------------------------------------------------
# dtype rules


def _float_dtype(dtypes) -> np.dtype:
    """Floats keep their dtype; integers and bools become float (int8/16 -> float32)."""
    result = np.result_type(*dtypes)
    if result.kind in "biu":
        result = np.promote_types(result, np.float32) if result.itemsize <= 2 else np.float64
        if result == np.float16:
            result = np.dtype(np.float32)
    return np.dtype(result)


def _second_input_dtype(dtypes) -> np.dtype:
    return np.dtype(dtypes[1])


def _common_dtype(dtypes) -> np.dtype:
    return np.result_type(*dtypes)


def _switch_dtype(dtypes) -> np.dtype:
    return np.result_type(*dtypes[1:])


# --------------------------------------------------------------------------------------
# kernels NumPy lacks (same calling convention as a ufunc: out= and dtype=)


def _kernel_input(x, dtype):
    """``x`` as an array and the float dtype a kernel computes in (``dtype``, else x's own
    float dtype, else float64 for integers and bools)."""
    x = np.asarray(x)
    if dtype is None:
        dtype = x.dtype if x.dtype.kind in "fc" else np.dtype(np.float64)
    return x, np.dtype(dtype)


def _sigmoid(x, out=None, dtype=None):
    # 1 / (1 + exp(-x)) keeps full relative precision for every x, where the former
    # 0.5 * tanh(x / 2) + 0.5 cancels for x < 0 (sigmoid(-50) = 1.9e-22 came out 0, and
    # float32 lost 4 digits at -10; sigmoid is also softplus's gradient). exp(-x) overflows
    # only where sigmoid is below the smallest normal number, and 1 / inf gives 0 there.
    # Measured on 1e6 elements: float64 as fast as the tanh form, float32 1.5 times its time;
    # a masked two-branch form (where=) took 10 times as long.
    x, dtype = _kernel_input(x, dtype)
    out = np.negative(x, out=out, dtype=dtype)
    if not isinstance(out, np.ndarray):
        out = np.asarray(out)  # a 0-d input gives a NumPy scalar; the steps below need out=
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    np.divide(1, out, out=out)
    return out


def _softplus(x, out=None, dtype=None):
    # log(1 + exp(x)) without overflow for large x.
    return np.logaddexp(0, x, out=out, dtype=dtype)


def _log1mexp(x, out=None, dtype=None):
    # log(1 - exp(x)) for x <= 0: log(-expm1(x)) above -log(2), log1p(-exp(x)) below, each
    # exact where the other cancels (Maechler, "Accurately computing log(1 - exp(-|a|))").
    x, dtype = _kernel_input(x, dtype)
    near = x > -_LN2  # before ``out`` (possibly x's own buffer) is written
    t = np.where(near, np.expm1(x, dtype=dtype), np.exp(x, dtype=dtype))
    np.negative(t, out=t)
    if out is None:
        out = np.empty_like(t)
    np.log(t, out=out, where=near)
    np.log1p(t, out=out, where=~near)
    return out


def _second(a, b, out=None, dtype=None):
    """``b`` broadcast to the shape of ``a + b`` (Theano's ``fill``/``second``)."""
    shape = np.broadcast_shapes(np.shape(a), np.shape(b))
    if out is None:
        out = np.empty(shape, dtype=dtype or np.result_type(b))
    out[...] = b
    return out


def _clip(x, low, high, out=None, dtype=None):
    """Theano's clip: ``low`` where ``x < low``, else ``high`` where ``x > high``, else ``x``.

    NumPy's ``clip`` is ``minimum(maximum(x, low), high)``, which differs only where
    ``low > high`` (NumPy gives ``high``, Theano ``low`` when ``x < low``). Bounds are
    nearly always scalars in order, so that case costs one scalar comparison."""
    patch = None
    if not np.all(np.less_equal(low, high)):
        # Found before writing: ``out`` may be the buffer of x, low or high.
        where = np.less(x, low) & np.greater(low, high)
        if where.any():
            patch = where, np.broadcast_to(low, where.shape)[where]
    result = np.clip(x, low, high, out=out, dtype=dtype)
    if patch is not None:
        where, values = patch
        if not isinstance(result, np.ndarray):  # 0-d inputs give a NumPy scalar
            return values.astype(np.result_type(result))[0]
        result[where] = values
    return result


def _inv(x, out=None, dtype=None):
    """``1 / x`` computed in floating point (NumPy's ``reciprocal`` is integer division for
    integer arrays)."""
    return np.divide(1.0, x, out=out, dtype=dtype)


# --------------------------------------------------------------------------------------
# gradients (symbolic; built from the functions defined further down)


def _grad_mul(inputs, out, gz):
    x, y = inputs
    return [mul(gz, y), mul(gz, x)]


def _grad_pow(inputs, out, gz):
    x, y = inputs
    return [mul(gz, mul(y, pow(x, sub(y, 1)))), mul(gz, mul(log(x), out))]


def _grad_maximum(inputs, out, gz):
    x, y = inputs
    return [mul(gz, ge(x, y)), mul(gz, lt(x, y))]


def _grad_minimum(inputs, out, gz):
    x, y = inputs
    return [mul(gz, le(x, y)), mul(gz, gt(x, y))]


def _grad_clip(inputs, out, gz):
    # The gradient goes to the input the forward pass selected (see _clip): low where
    # x < low, high where x >= low and x > high, x otherwise (ties go to x). Theano gave
    # high (x > high) * gz even where x < low had selected low, which disagrees with finite
    # differences when low > high.
    x, low, high = inputs
    below = lt(x, low)
    above = and_(gt(x, high), logical_not(below))
    inside = logical_not(logical_or(below, above))
    return [mul(gz, inside), mul(gz, below), mul(gz, above)]


def _grad_switch(inputs, out, gz):
    condition, a, b = inputs
    zero = zeros_like(gz)
    return [None, switch(condition, gz, zero), switch(condition, zero, gz)]


def _grad_logaddexp(inputs, out, gz):
    # d/dx log(e^x + e^y) = e^x / (e^x + e^y) = sigmoid(x - y): finite for any x and y
    x, y = inputs
    return [mul(gz, sigmoid(sub(x, y))), mul(gz, sigmoid(sub(y, x)))]


def _grad_sigmoid(inputs, out, gz):
    # s * (1 - s) is s * sigmoid(-x), but 1 - s rounds to 0 for x > 37 (float64): the
    # gradient at 50 came out 0 instead of 1.9e-22. Both factors of s * sigmoid(-x) keep
    # their relative precision. The cast first: -x of an unsigned integer wraps, and
    # NumPy has no negative of a bool.
    (x,) = inputs
    return [mul(gz, mul(out, sigmoid(neg(cast(x, out.dtype)))))]


def _no_grad(inputs, out, gz):
    return [None] * len(inputs)


def _zero_grad(inputs, out, gz):
    return [zeros_like(x) for x in inputs]


# --------------------------------------------------------------------------------------
# the element-wise table: name, arity, kernel, gradient, dtype rule

_LN2, _LN10 = float(np.log(2.0)), float(np.log(10.0))

S = ScalarOp
_TABLE = [
    # arithmetic
    S("add", 2, np.add, lambda i, o, g: [g, g], code="np.add", commutative=True),
    S("sub", 2, np.subtract, lambda i, o, g: [g, neg(g)], code="np.subtract"),
    S("mul", 2, np.multiply, _grad_mul, code="np.multiply", commutative=True),
    S(
        "true_div",
        2,
        np.true_divide,
        lambda i, o, g: [true_div(g, i[1]), neg(true_div(mul(g, i[0]), sqr(i[1])))],
        code="np.true_divide",
    ),
    S("int_div", 2, np.floor_divide, _zero_grad, code="np.floor_divide"),
    S(
        "mod",
        2,
        np.mod,
        lambda i, o, g: [g, neg(mul(g, floor(true_div(i[0], i[1]))))],
        code="np.mod",
    ),
    S("pow", 2, np.power, _grad_pow, code="np.power"),
    S("neg", 1, np.negative, lambda i, o, g: [neg(g)], code="np.negative"),
    S("abs", 1, np.absolute, lambda i, o, g: [mul(g, sign(i[0]))], code="np.absolute"),
    S("sign", 1, np.sign, _zero_grad, code="np.sign"),
    # Theano's upcast for integers: int8/16 (and bool, uint8/16) -> float32, wider -> float64
    S("floor", 1, np.floor, _zero_grad, dtype_rule=_float_dtype, code="np.floor"),
    S("ceil", 1, np.ceil, _zero_grad, dtype_rule=_float_dtype, code="np.ceil"),
    S("round", 1, np.rint, _zero_grad, code="np.rint"),
    S("maximum", 2, np.maximum, _grad_maximum, code="np.maximum", commutative=True),
    S("minimum", 2, np.minimum, _grad_minimum, code="np.minimum", commutative=True),
    S(
        "clip",
        3,
        _clip,
        _grad_clip,
        dtype_rule=_common_dtype,
        jax=lambda jnp, x, low, high: jnp.where(x < low, low, jnp.where(x > high, high, x)),
    ),
    S(
        "inv",
        1,
        _inv,
        lambda i, o, g: [neg(mul(g, sqr(o)))],
        dtype_rule=_float_dtype,
        jax=lambda jnp, x: 1 / x,
    ),
    # transcendental
    S("exp", 1, np.exp, lambda i, o, g: [mul(g, o)], code="np.exp"),
    # Python floats (weak), not np.log's float64 scalars: float32 gradients stay float32
    S("exp2", 1, np.exp2, lambda i, o, g: [mul(g, mul(o, _LN2))], code="np.exp2"),
    S("log", 1, np.log, lambda i, o, g: [true_div(g, i[0])], code="np.log"),
    S("log2", 1, np.log2, lambda i, o, g: [true_div(g, mul(i[0], _LN2))], code="np.log2"),
    S("log10", 1, np.log10, lambda i, o, g: [true_div(g, mul(i[0], _LN10))], code="np.log10"),
    S("log1p", 1, np.log1p, lambda i, o, g: [true_div(g, add(i[0], 1))], code="np.log1p"),
    S("expm1", 1, np.expm1, lambda i, o, g: [mul(g, add(o, 1))], code="np.expm1"),
    S("sqrt", 1, np.sqrt, lambda i, o, g: [true_div(mul(g, 0.5), o)], code="np.sqrt"),
    S("sqr", 1, np.square, lambda i, o, g: [mul(g, mul(i[0], 2))], code="np.square"),
    S("tanh", 1, np.tanh, lambda i, o, g: [mul(g, sub(1, sqr(o)))], code="np.tanh"),
    S("sin", 1, np.sin, lambda i, o, g: [mul(g, cos(i[0]))], code="np.sin"),
    S("cos", 1, np.cos, lambda i, o, g: [neg(mul(g, sin(i[0])))], code="np.cos"),
    S(
        "sigmoid",
        1,
        _sigmoid,
        _grad_sigmoid,
        dtype_rule=_float_dtype,
        jax=lambda jnp, x: 1 / (1 + jnp.exp(-x)),
    ),
    S(
        "softplus",
        1,
        _softplus,
        lambda i, o, g: [mul(g, sigmoid(i[0]))],
        dtype_rule=_float_dtype,
        jax=lambda jnp, x: jnp.logaddexp(0, x),
    ),
    S("logaddexp", 2, np.logaddexp, _grad_logaddexp, code="np.logaddexp", commutative=True),
    # d/dx log(1 - e^x) = -e^x / (1 - e^x) = -1 / expm1(-x)
    S(
        "log1mexp",
        1,
        _log1mexp,
        lambda i, o, g: [neg(true_div(g, expm1(neg(i[0]))))],
        dtype_rule=_float_dtype,
        jax=lambda jnp, x: jnp.where(
            x > -_LN2, jnp.log(-jnp.expm1(x)), jnp.log1p(-jnp.exp(jnp.minimum(x, -_LN2)))
        ),
    ),
    # comparisons and logic (not differentiable)
    S("lt", 2, np.less, _no_grad, code="np.less"),
    S("gt", 2, np.greater, _no_grad, code="np.greater"),
    S("le", 2, np.less_equal, _no_grad, code="np.less_equal"),
    S("ge", 2, np.greater_equal, _no_grad, code="np.greater_equal"),
    S("eq", 2, np.equal, _no_grad, code="np.equal", commutative=True),
    S("neq", 2, np.not_equal, _no_grad, code="np.not_equal", commutative=True),
    S("and_", 2, np.bitwise_and, _no_grad, code="np.bitwise_and", commutative=True),
    S("or_", 2, np.bitwise_or, _no_grad, code="np.bitwise_or", commutative=True),
    S("xor", 2, np.bitwise_xor, _no_grad, code="np.bitwise_xor", commutative=True),
    S("invert", 1, np.invert, _no_grad, code="np.invert"),
    # NumPy's logical_* are not the bitwise ops above on integers (logical_and(2, 1) is True)
    S("logical_and", 2, np.logical_and, _no_grad, code="np.logical_and", commutative=True),
    S("logical_or", 2, np.logical_or, _no_grad, code="np.logical_or", commutative=True),
    S("logical_xor", 2, np.logical_xor, _no_grad, code="np.logical_xor", commutative=True),
    S("logical_not", 1, np.logical_not, _no_grad, code="np.logical_not"),
    S("isnan", 1, np.isnan, _no_grad, code="np.isnan"),
    S("isinf", 1, np.isinf, _no_grad, code="np.isinf"),
    # selection and broadcasting
    S(
        "switch",
        3,
        np.where,
        _grad_switch,
        dtype_rule=_switch_dtype,
        code="np.where",
        writes_out=False,
        jax=lambda jnp, c, a, b: jnp.where(c, a, b),
    ),
    S(
        "second",
        2,
        _second,
        lambda i, o, g: [None, g],
        dtype_rule=_second_input_dtype,
        jax=lambda jnp, a, b: jnp.broadcast_to(b, jnp.broadcast_shapes(jnp.shape(a), jnp.shape(b))),
    ),
]
del S
SCALAR_OPS: dict[str, ScalarOp] = {op.name: register_scalar_op(op) for op in _TABLE}
ELEMWISE: dict[str, Elemwise] = {name: Elemwise(op) for name, op in SCALAR_OPS.items()}


def _elemwise_function(name: str):
    op = ELEMWISE[name]

    def apply(*inputs):
        return op(*inputs)

    apply.__name__ = name
    apply.__qualname__ = name
    apply.__doc__ = f"Element-wise ``{name}`` with NumPy broadcasting."
    return apply


add = _elemwise_function("add")
sub = _elemwise_function("sub")
mul = _elemwise_function("mul")
true_div = _elemwise_function("true_div")
int_div = _elemwise_function("int_div")
mod = _elemwise_function("mod")
pow = _elemwise_function("pow")  # noqa: A001 - Theano's name
neg = _elemwise_function("neg")
abs = _elemwise_function("abs")  # noqa: A001
sign = _elemwise_function("sign")
floor = _elemwise_function("floor")
ceil = _elemwise_function("ceil")
inv = _elemwise_function("inv")
reciprocal = inv
round = _elemwise_function("round")  # noqa: A001
maximum = _elemwise_function("maximum")
minimum = _elemwise_function("minimum")
exp = _elemwise_function("exp")
exp2 = _elemwise_function("exp2")
log = _elemwise_function("log")
log2 = _elemwise_function("log2")
log10 = _elemwise_function("log10")
log1p = _elemwise_function("log1p")
expm1 = _elemwise_function("expm1")
sqrt = _elemwise_function("sqrt")
sqr = _elemwise_function("sqr")
tanh = _elemwise_function("tanh")
sin = _elemwise_function("sin")
cos = _elemwise_function("cos")
sigmoid = _elemwise_function("sigmoid")
softplus = _elemwise_function("softplus")
logaddexp = _elemwise_function("logaddexp")
log1mexp = _elemwise_function("log1mexp")
lt = _elemwise_function("lt")
gt = _elemwise_function("gt")
le = _elemwise_function("le")
ge = _elemwise_function("ge")
eq = _elemwise_function("eq")
neq = _elemwise_function("neq")
and_ = _elemwise_function("and_")
or_ = _elemwise_function("or_")
xor = _elemwise_function("xor")
invert = _elemwise_function("invert")
logical_and = _elemwise_function("logical_and")
logical_or = _elemwise_function("logical_or")
logical_xor = _elemwise_function("logical_xor")
logical_not = _elemwise_function("logical_not")
isnan = _elemwise_function("isnan")
isinf = _elemwise_function("isinf")
second = _elemwise_function("second")
fill = second
square = sqr
true_divide = true_div
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = and_, or_, xor, invert


def switch(condition, if_true, if_false) -> Variable:
    """Element-wise ``if_true if condition else if_false`` (NumPy's ``where``)."""
    return ELEMWISE["switch"](condition, if_true, if_false)


where = switch


def clip(x, low, high) -> Variable:
    """Element-wise clip of ``x`` into ``[low, high]``, with Theano's definition:
    ``low if x < low else (high if x > high else x)`` (so where ``low > high``, values
    below ``low`` give ``low``, not NumPy's ``high``). At a tie the gradient goes to ``x``."""
    return ELEMWISE["clip"](x, low, high)


def relu(x, alpha=0) -> Variable:
    """Rectifier ``max(x, 0)``; with ``alpha``, the leaky version ``max(x, alpha * x)``."""
    x = as_tensor(x)
    if isinstance(alpha, (int, float)) and alpha == 0:
        return maximum(x, 0)
    return switch(gt(x, 0), x, mul(alpha, x))


def cast(x, dtype: str) -> Variable:
    """``x`` converted to ``dtype`` (no node when it already has it)."""
    x = as_tensor(x)
    dtype = np.dtype(dtype).name
    if x.dtype == dtype:
        return x
    if isinstance(x, TensorConstant):
        return constant(x.data.astype(dtype))
    return Elemwise(cast_scalar_op(dtype))(x)


def zeros_like(x, dtype=None) -> Variable:
    """Zeros of ``x``'s shape (and dtype unless given)."""
    x = as_tensor(x)
    return second(x, constant(0, dtype=dtype or x.dtype))


def is_zeros_like(g: Variable, x: Variable) -> bool:
    """Whether ``g`` is ``zeros_like(x)`` as built above (what ``grad`` gives an output no
    gradient reaches)."""
    node = g.owner
    if node is None or getattr(getattr(node.op, "scalar_op", None), "name", None) != "second":
        return False
    fill = node.inputs[1]
    return node.inputs[0] is x and isinstance(fill, TensorConstant) and not np.any(fill.data)


def ones_like(x, dtype=None) -> Variable:
    """Ones of ``x``'s shape (and dtype unless given)."""
    x = as_tensor(x)
    return second(x, constant(1, dtype=dtype or x.dtype))


# --------------------------------------------------------------------------------------
# reductions


class Reduce(Op):
    """Reduce ``axis`` of the input with ``kind`` in sum, prod, max, min."""

    __props__ = ("kind", "axis", "dtype")
    _ufuncs = {"sum": "add", "prod": "multiply", "max": "maximum", "min": "minimum"}

    def __init__(self, kind: str, axis: tuple[int, ...], dtype: str | None = None) -> None:
        self.kind = as_choice(kind, self._ufuncs, "Reduce: kind")
        self.axis = as_int_tuple(axis, "Reduce: axis")
        self.dtype = None if dtype is None else as_dtype_name(dtype, "Reduce: dtype")

    def __str__(self) -> str:
        return f"{self.kind.capitalize()}{{axis={list(self.axis)}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        for a in self.axis:
            if not 0 <= a < x.ndim:
                raise AxisError(f"{self}: axis {a} out of range for {x.type.describe()}")
        shape = tuple(s for i, s in enumerate(x.type.shape) if i not in self.axis)
        dtype = self.dtype or x.dtype
        return Apply(self, [x], [TensorType(dtype, shape)])

    def emit(self, node, inputs, ctx):
        ufunc = self._ufuncs[self.kind]
        x_dtype, out_dtype = node.inputs[0].dtype, node.outputs[0].dtype
        # NumPy sums and multiplies bools and small integers in its default integer; the
        # result has the node's dtype (as Reduce("sum", axes) of int32 says int32) only if
        # asked to
        natural = getattr(np, ufunc).reduce(np.zeros(1, dtype=x_dtype)).dtype
        extra = ""
        if (self.dtype and self.dtype != x_dtype) or natural != out_dtype:
            extra = f", dtype=np.{out_dtype}"
        return f"np.{ufunc}.reduce({inputs[0]}, axis={self.axis}{extra})"

    def jax(self, node, inputs, jx):
        reduce = getattr(jx.numpy, self.kind)
        if self.kind in ("max", "min"):
            return reduce(inputs[0], axis=self.axis)
        return reduce(inputs[0], axis=self.axis, dtype=node.outputs[0].type.numpy_dtype)

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        return [tuple(s for i, s in enumerate(shape) if i not in self.axis)]

    def grad(self, node, output_grads):
        (x,) = node.inputs
        (out,) = node.outputs
        (gz,) = output_grads
        if x.type.numpy_dtype.kind not in "fc":
            return [None]
        pattern = []
        kept = iter(range(out.ndim))
        for axis in range(x.ndim):
            pattern.append("x" if axis in self.axis else next(kept))
        gz_b = dimshuffle(gz, pattern)
        if self.kind == "sum":
            grad = second(x, gz_b)
        elif self.kind == "prod":
            # d prod / d x_i is the product of the other entries, which is out / x_i only
            # when the group has no zero. With one zero, the zero's entry gets the product
            # of the nonzero ones and the others 0; with two or more zeros, all get 0.
            zero = eq(x, 0)
            x_safe = switch(zero, ones_like(x), x)
            nonzero_prod = dimshuffle(prod(x_safe, axis=self.axis), pattern)
            n_zeros = dimshuffle(sum(zero, axis=self.axis), pattern)
            others = switch(
                zero,
                mul(nonzero_prod, eq(n_zeros, 1)),
                mul(true_div(nonzero_prod, x_safe), eq(n_zeros, 0)),
            )
            grad = mul(gz_b, others)
        else:  # max / min: the gradient flows to every position equal to the extremum
            grad = mul(gz_b, eq(x, dimshuffle(out, pattern)))
        return [cast(grad, x.dtype)]


def _keepdims(result: Variable, axes: tuple[int, ...], ndim: int) -> Variable:
    pattern = []
    kept = iter(range(result.ndim))
    for axis in range(ndim):
        pattern.append("x" if axis in axes else next(kept))
    return dimshuffle(result, pattern)


def _reduce(kind: str, x, axis, keepdims: bool, dtype=None) -> Variable:
    x = as_tensor(x)
    axes = normalize_axes(axis, x, kind)
    if dtype is not None:
        dtype = np.dtype(dtype).name
    elif kind in ("sum", "prod") and x.dtype in ("bool", "int8", "int16", "int32"):
        dtype = "int64"  # NumPy's (and Theano's) accumulator for small integers
    elif kind in ("sum", "prod") and x.dtype in ("uint8", "uint16", "uint32"):
        dtype = "uint64"
    result = Reduce(kind, axes, dtype if dtype != x.dtype else None)(x) if axes or dtype else x
    return _keepdims(result, axes, x.ndim) if keepdims else result


def sum(x, axis=None, keepdims: bool = False, dtype=None) -> Variable:  # noqa: A001
    """Sum over ``axis`` (all axes when None)."""
    return _reduce("sum", x, axis, keepdims, dtype)


def prod(x, axis=None, keepdims: bool = False, dtype=None) -> Variable:
    """Product over ``axis`` (all axes when None)."""
    if isinstance(x, (list, tuple)):
        result = as_tensor(1)
        for item in x:
            result = mul(result, item)
        return result
    return _reduce("prod", x, axis, keepdims, dtype)


def max(x, axis=None, keepdims: bool = False) -> Variable:  # noqa: A001
    """Maximum over ``axis``; its gradient goes to every position holding the maximum."""
    return _reduce("max", x, axis, keepdims)


def min(x, axis=None, keepdims: bool = False) -> Variable:  # noqa: A001
    """Minimum over ``axis``."""
    return _reduce("min", x, axis, keepdims)


def _logsumexp_kernel(x, axis):
    # initial=-inf: an empty axis has no maximum, and its sum of exponentials is 0
    # (an array even for a 0-d input reduced over no axis, where np.max gives a scalar)
    shift = np.asarray(np.max(x, axis=axis, keepdims=True, initial=-np.inf))
    # No shift where the maximum is not finite: inf - inf is nan, where the unshifted
    # log(sum(exp(x))) is inf (an element is inf) or -inf (all are -inf, or none)
    shift[~np.isfinite(shift)] = 0
    total = np.exp(x - shift).sum(axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        out = np.log(total)
    out += shift
    return np.asarray(np.squeeze(out, axis=axis))


class LogSumExp(Op):
    """``log(sum(exp(x)))`` over ``axis``, computed as ``m + log(sum(exp(x - m)))`` with
    ``m`` the maximum, so that ``exp`` neither overflows (800 gave inf) nor underflows
    every term to 0 (-800 gave -inf). Its gradient is the softmax over ``axis``.

    An op rather than that formula built from ``max``, ``exp`` and ``sum`` nodes: the
    stabilize pass rewrites every ``log(sum(exp(x)))`` into it, so it must compute what
    that graph computes wherever that is defined, and the formula does not: ``max`` of an
    empty axis raises where the sum of no exponentials is 0 (log: -inf), and an infinite
    maximum must not be subtracted (``inf - inf`` is nan where the result is inf or -inf).
    The kernel handles both at the cost of one comparison per result.
    """

    __props__ = ("axis",)

    def __init__(self, axis: tuple[int, ...]) -> None:
        self.axis = as_int_tuple(axis, "LogSumExp: axis")

    def __str__(self) -> str:
        return f"LogSumExp{{axis={list(self.axis)}}}"

    def make_node(self, x) -> Apply:
        x = as_float(x)
        for a in self.axis:
            if not 0 <= a < x.ndim:
                raise AxisError(f"{self}: axis {a} out of range for {x.type.describe()}")
        shape = tuple(s for i, s in enumerate(x.type.shape) if i not in self.axis)
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def emit(self, node, inputs, ctx):
        return f"{ctx.bind(_logsumexp_kernel, 'logsumexp')}({inputs[0]}, {self.axis})"

    def jax(self, node, inputs, jx):
        jnp = jx.numpy
        (x,) = inputs
        # the NumPy kernel's shift: the maximum where it is finite, else 0
        shift = jnp.max(x, axis=self.axis, keepdims=True, initial=-jnp.inf)
        shift = jnp.where(jnp.isfinite(shift), shift, 0)
        out = jnp.log(jnp.exp(x - shift).sum(axis=self.axis, keepdims=True)) + shift
        return jnp.squeeze(out, axis=self.axis)

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        return [tuple(s for i, s in enumerate(shape) if i not in self.axis)]

    def grad(self, node, output_grads):
        (x,) = node.inputs
        (gz,) = output_grads
        return [mul(_keepdims(gz, self.axis, x.ndim), self.softmax(x, node.outputs[0]))]

    def softmax(self, x: Variable, lse: Variable) -> Variable:
        """``exp(x) / sum(exp(x))`` over ``axis``, given ``lse``, this op's result for ``x``.

        Normalized again rather than ``exp(x - lse)``: ``lse`` is rounded to its own size
        (float32 at 1e4: 5e-4), which ``exp`` turns into that relative error in every
        element; dividing by the sum cancels the common factor and leaves softmax's own
        rounding. ``lse`` is at least the maximum, so ``exp`` cannot overflow, and the sum
        is at least 1 / n."""
        shift = _keepdims(lse, self.axis, x.ndim)
        shift = switch(isinf(shift), 0.0, shift)  # as in the kernel
        e = exp(sub(x, shift))
        return true_div(e, sum(e, axis=self.axis, keepdims=True))


def logsumexp(x, axis=None, keepdims: bool = False) -> Variable:
    """``log(sum(exp(x), axis))`` without overflow or underflow (all axes when None)."""
    x = as_float(x)
    axes = normalize_axes(axis, x, "logsumexp")
    result = LogSumExp(axes)(x)
    return _keepdims(result, axes, x.ndim) if keepdims else result


def _axis_size(x: Variable, axes: Sequence[int]) -> Variable:
    """Number of elements in ``axes`` of ``x``: a constant when the shape is static."""
    static = [x.type.shape[a] for a in axes]
    if all(s is not None for s in static):
        return constant(int(np.prod(static, dtype=np.int64)), dtype="int64")
    count = constant(1, dtype="int64")
    for a in axes:
        count = mul(count, shape_i(x, a))
    return count


def mean(x, axis=None, keepdims: bool = False, dtype=None) -> Variable:
    """Arithmetic mean over ``axis``; integer inputs give float64. A float16 mean is summed
    and divided in float32, then cast back (as in Theano): a float16 sum overflows past
    65504, and the count itself may not fit in float16."""
    x = as_tensor(x)
    axes = normalize_axes(axis, x, "mean")
    if dtype is not None:
        out_dtype = acc_dtype = as_dtype_name(dtype, "mean: dtype")
    elif x.type.numpy_dtype.kind in "biu":
        # NumPy's mean of integers and bools, whatever their size
        out_dtype = acc_dtype = "float64"
    else:
        out_dtype = x.dtype
        acc_dtype = "float32" if x.dtype == "float16" else x.dtype
    total = sum(x, axis=axes, dtype=acc_dtype if x.dtype != acc_dtype else None)
    result = true_div(total, cast(_axis_size(x, axes), acc_dtype))
    result = cast(result, out_dtype)
    return _keepdims(result, axes, x.ndim) if keepdims else result


def var(x, axis=None, keepdims: bool = False, ddof: int = 0) -> Variable:
    """Variance over ``axis`` (``ddof`` as in NumPy)."""
    x = as_tensor(x)
    axes = normalize_axes(axis, x, "var")
    centered = sub(x, mean(x, axis=axes, keepdims=True))
    result = mean(sqr(centered), axis=axes, keepdims=keepdims)
    if ddof:
        n = cast(_axis_size(x, axes), result.dtype)
        result = mul(result, true_div(n, sub(n, ddof)))
    return result


def std(x, axis=None, keepdims: bool = False, ddof: int = 0) -> Variable:
    """Standard deviation over ``axis``."""
    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))


class Argmax(Op):
    """Index of the maximum (``kind='max'``) or minimum along one axis, or of the flattened
    input when ``axis`` is None. Output int64."""

    __props__ = ("kind", "axis")

    def __init__(self, kind: str, axis: int | None) -> None:
        self.kind = as_choice(kind, ("max", "min"), "Argmax: kind")
        self.axis = None if axis is None else as_int(axis, "Argmax: axis")

    def __str__(self) -> str:
        return f"Arg{self.kind}{{axis={self.axis}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        if self.axis is None:
            shape = ()
        else:
            if not 0 <= self.axis < x.ndim:
                raise AxisError(f"{self}: axis out of range for {x} ({x.type.describe()})")
            shape = tuple(s for i, s in enumerate(x.type.shape) if i != self.axis)
        return Apply(self, [x], [TensorType("int64", shape)])

    def emit(self, node, inputs, ctx):
        return f"np.arg{self.kind}({inputs[0]}, axis={self.axis})"

    def jax(self, node, inputs, jx):
        return getattr(jx.numpy, f"arg{self.kind}")(inputs[0], axis=self.axis)

    def grad(self, node, output_grads):
        return [None]


class CumSum(Op):
    """Running sum along ``axis``, or along the flattened input when ``axis`` is None
    (then the output is a vector). Bools and integers narrower than 64 bits accumulate in
    64 bits, as ``sum`` and NumPy do."""

    __props__ = ("axis",)

    def __init__(self, axis: int | None) -> None:
        self.axis = None if axis is None else as_int(axis, "CumSum: axis")

    def __str__(self) -> str:
        return f"CumSum{{axis={self.axis}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        if self.axis is None:
            size = None if None in x.type.shape else int(np.prod(x.type.shape, dtype=np.int64))
            shape = (size,)
        else:
            if not 0 <= self.axis < x.ndim:
                raise AxisError(f"{self}: axis out of range for {x} ({x.type.describe()})")
            shape = x.type.shape
        dtype = np.cumsum(np.zeros(1, dtype=x.dtype)).dtype.name
        return Apply(self, [x], [TensorType(dtype, shape)])

    def emit(self, node, inputs, ctx):
        return f"np.cumsum({inputs[0]}, axis={self.axis})"

    def jax(self, node, inputs, jx):
        dtype = node.outputs[0].type.numpy_dtype
        return jx.numpy.cumsum(inputs[0], axis=self.axis, dtype=dtype)

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        if self.axis is not None:
            return [shape]
        size = constant(1, dtype="int64")
        for length in shape:
            size = mul(size, length)
        return [(size,)]

    def grad(self, node, output_grads):
        # Input i reaches outputs i, i+1, ...: its gradient is the running sum of the
        # output gradient taken from the end.
        (x,) = node.inputs
        (gz,) = output_grads
        if x.type.numpy_dtype.kind not in "fc":
            return [None]
        return [self._sum_from_the_end(gz, x).astype(x.dtype)]

    def _sum_from_the_end(self, g: Variable, x: Variable) -> Variable:
        """The running sum of ``g`` (shaped like the output) from the end of the axis,
        shaped like the input ``x``."""
        axis = 0 if self.axis is None else self.axis
        backwards = (slice(None),) * axis + (slice(None, None, -1),)
        total = CumSum(axis)(g[backwards])[backwards]
        return total if self.axis is not None else total.reshape(x.shape, ndim=x.ndim)


def cumsum(x, axis=None) -> Variable:
    """Running sum along ``axis`` (of the flattened input when None), as ``np.cumsum``."""
    x = as_tensor(x)
    if axis is not None:
        axis = normalize_axis(axis, x, "cumsum")
    return CumSum(axis)(x)


class CumProd(CumSum):
    """Running product along ``axis``, or along the flattened input when ``axis`` is None;
    the same output types as ``CumSum`` (NumPy widens the same dtypes for both)."""

    def __str__(self) -> str:
        return f"CumProd{{axis={self.axis}}}"

    def emit(self, node, inputs, ctx):
        return f"np.cumprod({inputs[0]}, axis={self.axis})"

    def jax(self, node, inputs, jx):
        dtype = node.outputs[0].type.numpy_dtype
        return jx.numpy.cumprod(inputs[0], axis=self.axis, dtype=dtype)

    def grad(self, node, output_grads):
        # Output j is the product of inputs 0..j: input i's gradient is
        # sum_{j >= i} gz_j * out_j / x_i, a running sum from the end. Like Theano's, it
        # divides by x, so a zero input gives a non-finite gradient.
        (x,) = node.inputs
        (out,) = node.outputs
        (gz,) = output_grads
        if x.type.numpy_dtype.kind not in "fc":
            return [None]
        return [(self._sum_from_the_end(gz * out, x) / x).astype(x.dtype)]


def cumprod(x, axis=None) -> Variable:
    """Running product along ``axis`` (of the flattened input when None), as
    ``np.cumprod``."""
    x = as_tensor(x)
    if axis is not None:
        axis = normalize_axis(axis, x, "cumprod")
    return CumProd(axis)(x)


def _argreduce(kind: str, x, axis, keepdims: bool) -> Variable:
    x = as_tensor(x)
    if isinstance(axis, (list, tuple)) and not axis:
        axis = None  # as Theano: no axis listed means all of them
    if isinstance(axis, (list, tuple)) and len(axis) != 1:
        axes = normalize_axes(axis, x, f"arg{kind}")
        result = _argreduce_axes(kind, x, axes)
    else:
        if isinstance(axis, (list, tuple)):
            (axis,) = axis
        if axis is not None:
            axis = normalize_axis(axis, x, f"arg{kind}")
        axes = tuple(range(x.ndim)) if axis is None else (axis,)
        result = Argmax(kind, axis)(x)
    return _keepdims(result, axes, x.ndim) if keepdims else result


def _argreduce_axes(kind: str, x: Variable, axes: tuple[int, ...]) -> Variable:
    """The index of the extreme over several axes, as Theano gave it: an index into those
    axes flattened in increasing order (the kept axes moved first, the rest collapsed)."""
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = dimshuffle(x, (*kept, *axes))
    collapsed = moved.reshape((*(moved.shape[i] for i in range(len(kept))), -1))
    return Argmax(kind, len(kept))(collapsed)


def argmax(x, axis=None, keepdims: bool = False) -> Variable:
    """Index of the maximum along ``axis`` (of the flattened tensor when None)."""
    return _argreduce("max", x, axis, keepdims)


def argmin(x, axis=None, keepdims: bool = False) -> Variable:
    """Index of the minimum along ``axis`` (of the flattened tensor when None)."""
    return _argreduce("min", x, axis, keepdims)


def as_float(x) -> Variable:
    x = as_tensor(x)
    return x if x.type.numpy_dtype.kind == "f" else cast(x, _float_dtype([x.dtype]).name)


__all__ = [
    name
    for name, value in list(globals().items())
    if not name.startswith("_") and getattr(value, "__module__", None) == __name__
]
