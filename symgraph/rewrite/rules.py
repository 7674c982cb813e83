"""The rewrite rules of each stage, one line of algebra each.

Stages run in the pipeline's order (``symgraph.rewrite.pipeline``): canonicalize puts
graphs in a normal form, stabilize replaces numerically fragile forms, specialize picks
cheaper kernels.

The numerical contract: a rule may change how a result is rounded, never whether it is
finite, and never by more than rounding. Where the algebra holds only for real numbers
(folding constants together, turning a division into a multiply), the rule computes its
new constant in the dtype the graph computes in and declines when that constant
overflowed, underflowed to zero or to a subnormal, or is not a number; each such guard
says why next to its code. Rules that need no guard: ``x * 1``, ``x - 0``, ``x / 1``,
``--x`` and ``x ** 1`` are exact for every value (inf and nan too); ``x ** 2``,
``x ** -1`` and ``x ** 0.5`` become what NumPy's power itself computes for those
exponents, bit for bit, except ``x ** 0.5`` in float16 (see the rule); integer (and bool)
constants fold exactly, since wrapping arithmetic is associative; the stabilize rules
only remove overflow and cancellation. One known, accepted deviation: ``x + 0 -> x``
keeps the sign of a zero (``-0.0 + 0.0`` is ``+0.0``). This engine has no
``x * 0 -> 0``, ``x - x -> 0``, ``x / x -> 1`` or ``log(exp(x)) -> x``: each is wrong
where x is inf or nan (or, for the last, where exp(x) overflows), so adding one needs a
guard that proves x finite.
"""

from __future__ import annotations

import numpy as np

from symgraph.grad import GradientOverride
from symgraph.graph.basic import Constant
from symgraph.graph.type import TensorType
from symgraph.rewrite.pattern import Const, E, P, Rule, RuleSet, Var
from symgraph.tensor.ops import math
from symgraph.tensor.ops.blas import dot
from symgraph.tensor.ops.dimshuffle import DimShuffle, dimshuffle
from symgraph.tensor.ops.math import Reduce
from symgraph.tensor.ops.nnet import LogSoftmax, Softmax, SoftmaxGrad
from symgraph.tensor.ops.shape import Alloc, MakeVector, Reshape, ShapeI, shape_i
from symgraph.tensor.ops.subtensor import IncSubtensor, Subtensor
from symgraph.tensor.variable import TensorConstant, constant

x, y, g = Var("x"), Var("y"), Var("g")


def _same_type_as(reference):
    """Replacement builders must keep the node's dtype; cast when a constant made it wider."""

    def fix(value):
        return value if value.dtype == reference.dtype else math.cast(value, reference.dtype)

    return fix


# --- canonicalize ---------------------------------------------------------------------


def _compose_dimshuffles(node):
    inner = node.inputs[0]
    if inner.owner is None or not isinstance(inner.owner.op, DimShuffle):
        return None
    first, second = inner.owner.op, node.op
    order = [a if a == "x" else first.new_order[a] for a in second.new_order]
    # axes that the first kept but the second dropped are 'x' axes of the first: fine to drop
    source = inner.owner.inputs[0]
    return dimshuffle(source, order)


def _identity_dimshuffle(node):
    op = node.op
    return node.inputs[0] if op.new_order == tuple(range(op.input_ndim)) else None


def _reshape_of_reshape(node):
    inner = node.inputs[0]
    if inner.owner is None or not isinstance(inner.owner.op, Reshape):
        return None
    return Reshape(node.op.ndim)(inner.owner.inputs[0], node.inputs[1])


def _shape_of_computed(node):
    """The length of an axis of a computed tensor, from its inputs' shapes (``infer_shape``)."""
    (variable,) = node.inputs
    static = variable.type.shape[node.op.i]
    if static is not None:
        return constant(static, dtype="int64")
    owner = variable.owner
    if owner is None:
        return None
    input_shapes = [tuple(shape_i(v, axis) for axis in range(v.ndim)) for v in owner.inputs]
    shapes = owner.op.infer_shape(owner, input_shapes)
    if shapes is None:
        return None
    result = shapes[variable.index][node.op.i]
    if result is None:  # a length the op cannot tell without running
        return None
    result = result if not isinstance(result, (int, np.integer)) else constant(result, "int64")
    return None if result is variable else math.cast(result, "int64")


def _useless_fill(node):
    """``second(a, b)`` only broadcasts ``b`` to ``a``'s shape: drop it when ``b`` already
    has the output's type (the ``ones_like(cost)`` that seeds every gradient)."""
    filled = node.inputs[1]
    return filled if filled.type == node.outputs[0].type else None


def _is_zero_fill(variable) -> bool:
    """Whether ``variable`` is all zeros by construction: ``second(x, 0)`` (``zeros_like``),
    ``alloc(0, ...)`` or a constant of zeros."""
    if isinstance(variable, TensorConstant):
        return not np.any(variable.data)
    node = variable.owner
    if node is None:
        return False
    if isinstance(node.op, Alloc) or _scalar_name(variable) == "second":
        fill = node.inputs[0] if isinstance(node.op, Alloc) else node.inputs[1]
        return isinstance(fill, TensorConstant) and not np.any(fill.data)
    return False


def _same_zeros(a, b) -> bool:
    """Whether ``a`` and ``b`` are zeros of one shape: the same zero fill, or zero fills
    of the same variable or the same shape inputs (built twice, not merged yet)."""
    if a is b:
        return True
    if not (_is_zero_fill(a) and _is_zero_fill(b)) or a.type != b.type:
        return False
    if a.owner is None or b.owner is None or a.owner.op != b.owner.op:
        return False
    shaped_by = slice(1, None) if isinstance(a.owner.op, Alloc) else slice(0, 1)
    sources, others = a.owner.inputs[shaped_by], b.owner.inputs[shaped_by]
    return len(sources) == len(others) and all(u is v for u, v in zip(sources, others))


def _increment_base(variable):
    """What a chain of increments (``inc(inc(b, ...), ...)``) starts from: a value of its
    shape; ``variable`` itself when it is no increment."""
    while variable.owner is not None and isinstance(variable.owner.op, IncSubtensor):
        if variable.owner.op.set_instead_of_inc:
            break
        variable = variable.owner.inputs[0]
    return variable


def _increments_into_one_buffer(node):
    """Two terms of a sum incrementing parts of the same zeros (the gradients of slices
    of one variable, e.g. an LSTM's four gates) become one increment of the other: one
    zero buffer and in-place increments instead of a zeroed copy per term and a sum."""
    terms = list(node.inputs)
    for k, term in enumerate(terms):
        inc = term.owner
        if inc is None or not isinstance(inc.op, IncSubtensor) or inc.op.set_instead_of_inc:
            continue
        zeros = inc.inputs[0]
        if term.type != node.outputs[0].type or not _is_zero_fill(zeros):
            continue
        for m, other in enumerate(terms):
            if m != k and other.type == term.type and _same_zeros(_increment_base(other), zeros):
                merged = IncSubtensor(inc.op.idx_list, False)(other, *inc.inputs[1:])
                rest = [t for i, t in enumerate(terms) if i not in (k, m)]
                return math.add(merged, *rest) if rest else merged
    return None


def _drop_gradient_override(node):
    return node.inputs[0]


def _make_vector_index(node):
    vector = node.inputs[0]
    entry = node.op.idx_list
    if (
        vector.owner is not None
        and isinstance(vector.owner.op, MakeVector)
        and len(entry) == 1
        and entry[0][0] == "int"
        and isinstance(entry[0][1], int)
    ):
        return vector.owner.inputs[entry[0][1]]
    return None


def _finite_and_normal(values: np.ndarray, exact_zero) -> bool:
    """Every element is finite and at least the dtype's smallest normal number in size, or
    an exact zero where ``exact_zero`` allows one."""
    tiny = np.finfo(values.dtype).tiny
    normal = np.abs(values) >= tiny
    return bool(np.all(np.isfinite(values) & (normal | ((values == 0) & exact_zero))))


def _folded_chain_is_safe(scalar_name, folded, c1, c2) -> bool:
    """Whether ``x op (c1 op c2)`` computes ``(x op c1) op c2`` up to rounding.

    Sum: c1 + c2 must be finite; when it overflows (1e308 + 1e308), x + inf is inf where
    (x + 1e308) + 1e308 was finite for x = -1e308. Product: c1 * c2 must be finite, and a
    normal number unless a factor is exactly 0; x * inf is inf where (x * 1e200) * 1e200 is
    1e100 at x = 1e-300, x * 0 is nan at x = inf where (x * 1e-200) * 1e-200 is inf and 0
    at x = 1e200 where it was 1e-200, and a subnormal keeps only some of its digits.
    """
    if folded.dtype.kind not in "fc":
        return True  # wrapping integers (and bools: or, and) associate exactly
    if scalar_name == "add":
        return bool(np.all(np.isfinite(folded)))
    return _finite_and_normal(folded, (c1 == 0) | (c2 == 0))


def _fold_constant_chain(scalar_name):
    """(x op c1) op c2 -> x op (c1 op c2) for associative ``op``, when the folded constant
    is safe (``_folded_chain_is_safe``)."""
    fn = {"add": np.add, "mul": np.multiply}[scalar_name]

    def rewrite(node):
        a, b = node.inputs
        if not isinstance(b, Constant):
            a, b = b, a
        if not isinstance(b, Constant) or a.owner is None:
            return None
        inner = a.owner
        if getattr(inner.op, "scalar_op", None) is None or inner.op.scalar_op.name != scalar_name:
            return None
        c, d = inner.inputs
        if not isinstance(d, Constant):
            c, d = d, c
        if not isinstance(d, Constant) or isinstance(c, Constant):
            return None
        dtype = node.outputs[0].type.numpy_dtype
        # The inner result must be computed in the same dtype: (x * c1) rounded to float32
        # or wrapped to int8, then widened, is not what one multiply in float64 or int16
        # computes.
        if a.type.numpy_dtype != dtype:
            return None
        # Fold in the graph's dtype, not the constants' own: int8 100 * 100 wraps to 16,
        # which is not x * 10000 in int16; float32 1e30 * 1e30 is inf, not 1e60 in float64.
        c1, c2 = d.data.astype(dtype), b.data.astype(dtype)
        with np.errstate(all="ignore"):
            folded = np.asarray(fn(c1, c2), dtype=dtype)
        if not _folded_chain_is_safe(scalar_name, folded, c1, c2):
            return None
        return getattr(math, scalar_name)(
            c, TensorConstant(TensorType(folded.dtype, folded.shape), folded)
        )

    return rewrite


CANONICALIZE = RuleSet(
    [
        Rule("mul_by_one", E.mul(x, Const(1)), x, "x * 1 -> x"),
        Rule("add_zero", E.add(x, Const(0)), x, "x + 0 -> x"),
        Rule("sub_zero", E.sub(x, Const(0)), x, "x - 0 -> x"),
        Rule("div_by_one", E.true_div(x, Const(1)), x, "x / 1 -> x"),
        Rule("neg_neg", E.neg(E.neg(x)), x, "--x -> x"),
        Rule("pow_one", E.pow(x, Const(1)), x, "x ** 1 -> x"),
        Rule.custom(
            "add_constants",
            [("elemwise", "add")],
            _fold_constant_chain("add"),
            "(x + c1) + c2 -> x + (c1 + c2)",
        ),
        Rule.custom(
            "mul_constants",
            [("elemwise", "mul")],
            _fold_constant_chain("mul"),
            "(x * c1) * c2 -> x * (c1 * c2)",
        ),
        Rule.custom(
            "fill_useless",
            [("elemwise", "second")],
            _useless_fill,
            "second(a, b) -> b when b already has the result's shape and dtype",
        ),
        Rule.custom(
            "gradient_override",
            [GradientOverride],
            _drop_gradient_override,
            "zero_grad(x), grad_clip(x, ...)... -> x (they only matter to grad)",
        ),
        Rule.custom(
            "dimshuffle_dimshuffle",
            [DimShuffle],
            _compose_dimshuffles,
            "dimshuffle(dimshuffle(x)) -> one dimshuffle",
        ),
        Rule.custom(
            "dimshuffle_identity",
            [DimShuffle],
            _identity_dimshuffle,
            "dimshuffle(x, 0, 1, ...) -> x",
        ),
        Rule.custom(
            "reshape_reshape",
            [Reshape],
            _reshape_of_reshape,
            "reshape(reshape(x, s1), s2) -> reshape(x, s2)",
        ),
        Rule.custom(
            "shape_of_expression",
            [ShapeI],
            _shape_of_computed,
            "x.shape[i] of a computed x -> from its inputs' shapes",
        ),
        Rule.custom(
            "make_vector_index",
            [Subtensor],
            _make_vector_index,
            "make_vector(a, b, ...)[i] -> the i-th scalar",
        ),
    ]
)

# --- stabilize ------------------------------------------------------------------------


def _log_softmax(x, softmax):
    return LogSoftmax(softmax.op.axis)(x)


def _log_softmax_grad(g, softmax, grad):
    # softmax_grad(g / softmax(x)) is the gradient of log(softmax(x)): g - sm * sum(g)
    sm = softmax.outputs[0]
    total = math.sum(g, axis=grad.op.axis, keepdims=True)
    return _same_type_as(grad.outputs[0])(math.sub(g, math.mul(sm, total)))


def _log_softmax_indexed_grad(g, zeros, softmax, grad, increment):
    # softmax_grad(inc_subtensor(zeros[rows, labels], g / softmax(x)[rows, labels])) is the
    # gradient of log(softmax(x)[rows, labels]): G - sm * sum(G) with G the scattered g.
    scattered = increment.op.make_node(zeros, g, *increment.inputs[2:]).outputs[0]
    return _log_softmax_grad(scattered, softmax, grad)


def _log_sigmoid(x):
    return math.neg(math.softplus(math.neg(x)))


def _log_one_minus_sigmoid(x):
    return math.neg(math.softplus(x))


def _scalar_name(variable):
    owner = variable.owner
    scalar = getattr(owner.op, "scalar_op", None) if owner is not None else None
    return scalar.name if scalar is not None else None


def _is_one_minus(variable, s):
    return (
        _scalar_name(variable) == "sub"
        and variable.owner.inputs[1] is s
        and isinstance(variable.owner.inputs[0], Constant)
        and np.all(variable.owner.inputs[0].data == 1)
    )


def _is_sigmoid_of_minus(variable, x):
    """Whether ``variable`` is ``sigmoid(-x)``."""
    if _scalar_name(variable) != "sigmoid":
        return False
    minus = variable.owner.inputs[0]
    return _scalar_name(minus) == "neg" and minus.owner.inputs[0] is x


def _sigmoid_and_its_mirror(derivative):
    """``(sigmoid(x), sigmoid(-x))`` when ``derivative`` is their product (sigmoid's
    derivative, as its gradient builds it), else None."""
    if _scalar_name(derivative) != "mul":
        return None
    for s, mirror in (derivative.owner.inputs, derivative.owner.inputs[::-1]):
        if _scalar_name(s) == "sigmoid" and _is_sigmoid_of_minus(mirror, s.owner.inputs[0]):
            return s, mirror
    return None


def _sigmoid_grad_of_logs(node):
    """``(sum of terms) * (s * sigmoid(-x))`` with ``s = sigmoid(x)``, where terms divide by
    ``s`` or ``1 - s`` (gradients of ``log(s)``/``log(1 - s)``): cancel the division, so
    ``g / s * s * sigmoid(-x) -> g * sigmoid(-x)`` and ``g / (1 - s) * ... -> g * s``."""
    total, derivative = node.inputs
    pair = _sigmoid_and_its_mirror(derivative)
    if pair is None:
        total, derivative = derivative, total
        pair = _sigmoid_and_its_mirror(derivative)
    if pair is None:
        return None
    s, mirror = pair
    terms, cancelled = [], False
    stack = [(total, False)]
    while stack:
        term, negated = stack.pop()
        name = _scalar_name(term)
        if name == "add":
            stack.extend((t, negated) for t in term.owner.inputs)
            continue
        if name == "neg":
            stack.append((term.owner.inputs[0], not negated))
            continue
        if name == "true_div" and term.owner.inputs[1] is s:
            value = math.mul(term.owner.inputs[0], mirror)
            cancelled = True
        elif name == "true_div" and _is_one_minus(term.owner.inputs[1], s):
            value = math.mul(term.owner.inputs[0], s)
            cancelled = True
        else:
            value = math.mul(term, derivative)
        terms.append(math.neg(value) if negated else value)
    if not cancelled:
        return None
    result = terms[0]
    for term in terms[1:]:
        result = math.add(result, term)
    return _same_type_as(node.outputs[0])(result)


def _indexed_log_softmax(x, softmax, index_node):
    return Subtensor(index_node.op.idx_list)(LogSoftmax(softmax.op.axis)(x), *index_node.inputs[1:])


def _cast_like(node, value):
    return _same_type_as(node.outputs[0])(value)


def _softplus_grad(g, x, node):
    # g / (1 + e^x) * e^x is inf / inf = nan once e^x overflows (x > 709): g * sigmoid(x)
    return _cast_like(node, math.mul(g, math.sigmoid(x)))


def _logaddexp_grad(g, x, y, node):
    # g / (e^x + e^y) * e^x: nan once e^x overflows; it is g * sigmoid(x - y)
    return _cast_like(node, math.mul(g, math.sigmoid(math.sub(x, y))))


def _log1mexp_grad(g, x, node):
    # -g / (1 - e^x) * e^x = -g / expm1(-x): 1 - e^x rounds to 0 for -5e-17 < x < 0 (inf,
    # where the gradient is about 1 / x) and has lost digits anywhere near 0
    return _cast_like(node, math.neg(math.true_div(g, math.expm1(math.neg(x)))))


def _negative(v, dtype):
    """``-v`` in the float ``dtype`` of the result (a negated integer would wrap), and ``z``
    itself when ``v`` is ``-z``."""
    if _scalar_name(v) == "neg" and v.dtype == dtype:
        return v.owner.inputs[0]
    return math.neg(math.cast(v, dtype))


def _has_exp_factor(h, y):
    """Whether ``h`` is ``exp(y)`` or a product with that factor."""
    factors = h.owner.inputs if _scalar_name(h) == "mul" else [h]
    return any(_scalar_name(f) == "exp" and f.owner.inputs[0] is y for f in factors)


def _sigmoid_of_reciprocal_grad(h, y, node):
    # -(h / (1 + e^y)^2) * e^y: inf / inf = nan once e^y overflows, and (1 + e^y)^2
    # overflows first (float32 at y = 45, where the gradient is 2.9e-20, gave 0). It is
    # -h * sigmoid(y) * sigmoid(-y).
    if _has_exp_factor(h, y):
        # h = g * e^y: the part of exp(y) / (1 + exp(y))'s gradient that sigmoid_of_exp_grad
        # rewrites together with the other part (h * s * s(-y) would be inf * 0)
        return None
    dtype = node.outputs[0].dtype
    s = math.sigmoid(math.cast(y, dtype))
    mirror = math.sigmoid(_negative(y, dtype))
    return _cast_like(node, math.neg(math.mul(math.mul(h, s), mirror)))


def _sigmoid_of_exp_grad_patterns():
    """The derivative of exp(x) / (1 + exp(x)) by the quotient rule, as grad builds it: the
    numerator's term g / (1 + e) * e and the denominator's -(g * e / (1 + e)^2) * e, with
    e = exp(x). Each is nan once e overflows, and their sum g * s * (1 - s) cancels (0 at
    50). With two exp(x) nodes (T.exp(x) / (1 + T.exp(x))) the terms are added, and
    softplus_grad has already made the first g * sigmoid(x); with one (e / (1 + e)) the
    parts are added before the multiply by e. Where g is the constant 1 (a 0-d cost of a
    0-d x), canonicalize has dropped the product g * e."""
    e, one_plus_e = E.exp(x), E.add(Const(1), E.exp(x))
    patterns = []
    for weight, weighted_e in ((g, E.mul(g, e)), (Const(1, name="g"), e)):
        numerator_part = E.true_div(weight, one_plus_e)
        denominator_part = E.neg(E.true_div(weighted_e, E.sqr(one_plus_e)))
        patterns += [
            E.add(E.mul(e, denominator_part), E.mul(weight, E.sigmoid(x))),
            E.add(E.mul(e, denominator_part), E.mul(e, numerator_part)),
            E.mul(e, E.add(numerator_part, denominator_part)),
        ]
    return patterns


_SIGMOID_OF_EXP_GRADS = _sigmoid_of_exp_grad_patterns()


def _sigmoid_of_exp_grad(node):
    for pattern in _SIGMOID_OF_EXP_GRADS:
        bindings = pattern.match(node.outputs[0], {})
        if bindings is not None:
            x, dtype = bindings["x"], node.outputs[0].dtype
            s, mirror = math.sigmoid(x), math.sigmoid(_negative(x, dtype))
            return _cast_like(node, math.mul(math.mul(bindings["g"], s), mirror))
    return None


def _peel_dimshuffles(variable):
    """``(v, ops)`` with ``variable = ops[-1](...ops[0](v))``, each op a DimShuffle."""
    ops = []
    while variable.owner is not None and isinstance(variable.owner.op, DimShuffle):
        ops.append(variable.owner.op)
        variable = variable.owner.inputs[0]
    return variable, ops[::-1]


def _sum_of_exp(variable):
    """``(x, axes)`` when ``variable`` is ``sum(exp(x), axes)`` (accumulated in its own dtype)."""
    owner = variable.owner
    if owner is None or not isinstance(owner.op, math.Reduce):
        return None
    if owner.op.kind != "sum" or owner.op.dtype is not None:
        return None
    (terms,) = owner.inputs
    if _scalar_name(terms) != "exp":
        return None
    return terms.owner.inputs[0], owner.op.axis


def _logsumexp(node):
    # log commutes with the dimshuffles of keepdims=True
    total, dimshuffles = _peel_dimshuffles(node.inputs[0])
    found = _sum_of_exp(total)
    if found is None:
        return None
    x, axes = found
    result = math.LogSumExp(axes)(x)
    for op in dimshuffles:
        result = op(result)
    return result


def _layout(axes_of_source, dimshuffles):
    """Which axis of a source each axis of ``dimshuffles`` applied to it comes from
    ('x': broadcast), given the source's own ``axes_of_source``."""
    layout = list(axes_of_source)
    for op in dimshuffles:
        layout = ["x" if a == "x" else layout[a] for a in op.new_order]
    return layout


def _logsumexp_grad(node):
    """``(g / sum(exp(x)))[broadcast back] * exp(x) -> g[broadcast back] * softmax(x)``,
    the gradient ``grad`` builds for ``log(sum(exp(x)))``: g / inf * inf = nan once an
    exp(x) overflows, and g / 0 * 0 = nan where all of them underflow (x = -800, where
    softmax is 0.5)."""
    for e, weight in (node.inputs, node.inputs[::-1]):
        if _scalar_name(e) != "exp":
            continue
        x = e.owner.inputs[0]
        if _scalar_name(weight) == "second":  # the fill of sum's gradient: shape only
            shape_of, weight = weight.owner.inputs
            if _scalar_name(shape_of) != "exp" or shape_of.owner.inputs[0] is not x:
                continue
        quotient, outer = _peel_dimshuffles(weight)
        if _scalar_name(quotient) != "true_div":
            continue
        g, denominator = quotient.owner.inputs
        total, inner = _peel_dimshuffles(denominator)
        found = _sum_of_exp(total)
        if found is None or found[0] is not x:
            continue
        axes = found[1]
        # The sum must come back to x's layout: its axes in order, the summed ones
        # broadcast ((g / s).T * exp(x) of a square x pairs the sums with the wrong rows).
        kept = iter(range(total.ndim))
        expected = ["x" if a in axes else next(kept) for a in range(x.ndim)]
        if _layout(range(total.ndim), inner + outer) != expected:
            continue
        # The inner dimshuffles map the sum onto g's axes, which the outer ones then move
        # as they moved g / sum.
        for op in outer:
            g = op(g)
        lse = math.LogSumExp(axes)(x)
        return _cast_like(node, math.mul(g, lse.owner.op.softmax(x, lse)))
    return None


sm = P(Softmax, x, name="softmax")
sigmoid_x = E.sigmoid(x, name="sig")
STABILIZE = RuleSet(
    [
        Rule("log_softmax", E.log(sm), _log_softmax, "log(softmax(x)) -> log_softmax(x)"),
        Rule(
            "log_softmax_indexed",
            E.log(P(Subtensor, sm, Var("i"), Var("j"), name="index_node")),
            lambda x, softmax, index_node, i, j: _indexed_log_softmax(x, softmax, index_node),
            "log(softmax(x)[rows, labels]) -> log_softmax(x)[rows, labels] (cross-entropy)",
        ),
        Rule(
            "log_softmax_grad",
            P(SoftmaxGrad, E.true_div(g, sm), sm, name="grad"),
            lambda g, x, softmax, grad: _log_softmax_grad(g, softmax, grad),
            "softmax_grad(g / softmax(x), softmax(x)) -> g - softmax(x) * sum(g)",
        ),
        Rule(
            "log_softmax_indexed_grad",
            P(
                SoftmaxGrad,
                P(
                    IncSubtensor,
                    Var("zeros"),
                    E.true_div(g, P(Subtensor, sm, Var("i"), Var("j"))),
                    Var("i"),
                    Var("j"),
                    name="increment",
                ),
                sm,
                name="grad",
            ),
            lambda g, zeros, x, softmax, grad, increment, i, j: _log_softmax_indexed_grad(
                g, zeros, softmax, grad, increment
            ),
            "softmax_grad(inc(zeros[r, l], g / softmax(x)[r, l])) -> log_softmax's gradient",
        ),
        Rule(
            "log_sigmoid",
            E.log(sigmoid_x),
            lambda x, sig: _log_sigmoid(x),
            "log(sigmoid(x)) -> -softplus(-x)",
        ),
        Rule(
            "log_one_minus_sigmoid",
            E.log(E.sub(Const(1), sigmoid_x)),
            lambda x, sig: _log_one_minus_sigmoid(x),
            "log(1 - sigmoid(x)) -> -softplus(x)",
        ),
        Rule.custom(
            "log_sigmoid_grad",
            [("elemwise", "mul")],
            _sigmoid_grad_of_logs,
            "(g1 / sigmoid(x) + g2 / (1 - sigmoid(x))) * sigmoid'(x) -> "
            "g1 * sigmoid(-x) + g2 * sigmoid(x)",
        ),
        Rule("log1p", E.log(E.add(Const(1), x)), lambda x: math.log1p(x), "log(1 + x) -> log1p(x)"),
        Rule("expm1", E.sub(E.exp(x), Const(1)), lambda x: math.expm1(x), "exp(x) - 1 -> expm1(x)"),
        # log(1 + exp(x)) reaches this rule through log1p above
        Rule(
            "softplus",
            E.log1p(E.exp(x)),
            lambda x: math.softplus(x),
            "log1p(exp(x)) -> softplus(x)",
        ),
        Rule(
            "sigmoid_of_exp",
            E.true_div(E.exp(x), E.add(Const(1), E.exp(x)), name="node"),
            lambda x, node: _cast_like(node, math.sigmoid(x)),
            "exp(x) / (1 + exp(x)) -> sigmoid(x)",
        ),
        # In the gradient patterns, exp(x) comes first: the matcher binds x there and then
        # finds the same exp(x) in either order of the commutative add.
        Rule(
            "softplus_grad",
            E.mul(E.exp(x), E.true_div(g, E.add(Const(1), E.exp(x))), name="node"),
            _softplus_grad,
            "g / (1 + exp(x)) * exp(x) -> g * sigmoid(x) (the gradient of softplus)",
        ),
        Rule(
            "sigmoid_of_reciprocal_grad",
            E.mul(
                E.exp(y), E.neg(E.true_div(Var("h"), E.sqr(E.add(Const(1), E.exp(y))))), name="node"
            ),
            _sigmoid_of_reciprocal_grad,
            "-(h / (1 + exp(y))^2) * exp(y) -> -(h * sigmoid(y) * sigmoid(-y))",
        ),
        Rule.custom(
            "sigmoid_of_exp_grad",
            [("elemwise", "add"), ("elemwise", "mul")],
            _sigmoid_of_exp_grad,
            "the gradient of exp(x) / (1 + exp(x)) -> g * sigmoid(x) * sigmoid(-x)",
        ),
        Rule.custom(
            "logsumexp",
            [("elemwise", "log")],
            _logsumexp,
            "log(sum(exp(x), axis)) -> logsumexp(x, axis) (also through keepdims)",
        ),
        Rule.custom(
            "logsumexp_grad",
            [("elemwise", "mul")],
            _logsumexp_grad,
            "(g / sum(exp(x)))[broadcast] * exp(x) -> g[broadcast] * softmax(x)",
        ),
        Rule(
            "logaddexp",
            E.log(E.add(E.exp(x), E.exp(y))),
            lambda x, y: math.logaddexp(x, y),
            "log(exp(x) + exp(y)) -> logaddexp(x, y)",
        ),
        Rule(
            "logaddexp_grad",
            E.mul(E.exp(x), E.true_div(g, E.add(E.exp(x), E.exp(y))), name="node"),
            _logaddexp_grad,
            "g / (exp(x) + exp(y)) * exp(x) -> g * sigmoid(x - y) (logaddexp's gradient)",
        ),
        Rule(
            "log1mexp",
            E.log(E.sub(Const(1), E.exp(x))),
            lambda x: math.log1mexp(x),
            "log(1 - exp(x)) -> log1mexp(x)",
        ),
        Rule(
            "log1p_neg_exp",
            E.log1p(E.neg(E.exp(x))),
            lambda x: math.log1mexp(x),
            "log1p(-exp(x)) -> log1mexp(x)",
        ),
        Rule(
            "log1mexp_grad",
            E.mul(E.exp(x), E.neg(E.true_div(g, E.sub(Const(1), E.exp(x)))), name="node"),
            _log1mexp_grad,
            "-(g / (1 - exp(x))) * exp(x) -> -(g / expm1(-x)) (log1mexp's gradient)",
        ),
        Rule(
            "log1p_neg_exp_grad",
            E.mul(E.exp(x), E.neg(E.true_div(g, E.add(Const(1), E.neg(E.exp(x))))), name="node"),
            _log1mexp_grad,
            "-(g / (1 + -exp(x))) * exp(x) -> -(g / expm1(-x)) (log1p(-exp(x))'s gradient)",
        ),
    ]
)

# --- specialize -----------------------------------------------------------------------


def _sum_of_product_to_dot(node):
    (product,) = node.inputs
    if node.op.kind != "sum" or node.op.dtype is not None:
        return None
    if product.ndim != 1 or node.op.axis != (0,) or product.owner is None:
        return None
    if getattr(product.owner.op, "scalar_op", None) is None:
        return None
    if product.owner.op.scalar_op.name != "mul":
        return None
    a, b = product.owner.inputs
    if a.type.shape[0] == 1 or b.type.shape[0] == 1 or a.dtype != b.dtype:
        return None
    if a.type.numpy_dtype.kind not in "fc":
        return None
    return dot(a, b)


def _div_by_constant(x, c, div):
    dtype = div.outputs[0].type.numpy_dtype
    if dtype.kind != "f":
        return None
    # 1 / c in the dtype the division computes in (a float32 c divides a float64 x in
    # float64: its float32 reciprocal was off by 1e-8). It must be finite and normal:
    # 1 / 1e-310 is inf (x / 1e-310 is finite for x = 1e-300), float32 1 / 1e-39 is inf,
    # 1 / 0 is inf, and float32 1 / 3.3999e38 is a subnormal of 21 bits, not 24 (x * (1 / c)
    # was 2.2 ulp off). Then x * (1 / c) differs from x / c by rounding only.
    with np.errstate(all="ignore"):
        reciprocal = np.asarray(np.reciprocal(c.data.astype(dtype)), dtype=dtype)
    if not _finite_and_normal(reciprocal, False):
        return None
    return math.mul(x, TensorConstant(TensorType(dtype, reciprocal.shape), reciprocal))


def _sigmoid_of_reciprocal(y, node):
    # 1 / (1 + e^y) is sigmoid(-y); hand-written sigmoids are 1 / (1 + exp(-x))
    return _cast_like(node, math.sigmoid(_negative(y, node.outputs[0].dtype)))


def _reduce_class():
    return Reduce


SPECIALIZE = RuleSet(
    [
        Rule("pow_two", E.pow(x, Const(2)), lambda x: math.sqr(x), "x ** 2 -> sqr(x)"),
        Rule.custom(
            "increments_into_one_buffer",
            [("elemwise", "add")],
            _increments_into_one_buffer,
            "inc(zeros, a, i) + inc(zeros, b, j) -> inc(inc(zeros, b, j), a, i)",
        ),
        # NumPy computes float32 and float64 x ** 0.5 as sqrt(x), bit for bit; float16 follows
        # C's pow, which is inf at -inf and +0 at -0 where sqrt gives nan and -0
        Rule(
            "pow_half",
            E.pow(Var("x", where=lambda v: v.dtype != "float16"), Const(0.5)),
            lambda x: math.sqrt(x),
            "x ** 0.5 -> sqrt(x) (not in float16)",
        ),
        Rule(
            "pow_minus_one", E.pow(x, Const(-1)), lambda x: math.true_div(1, x), "x ** -1 -> 1 / x"
        ),
        Rule(
            "div_by_constant",
            E.true_div(x, Const(name="c"), name="div"),
            _div_by_constant,
            "x / c -> x * (1 / c) when 1 / c is a finite normal float (a multiply is cheaper)",
        ),
        # Not a stabilize rule: 1 / (1 + exp(-x)) is finite and as exact as sigmoid (whose
        # kernel is that arithmetic), and there it would take the 1 / (1 + exp(x)) * exp(x)
        # of softplus's gradient for a 0-d cost (g = 1) from softplus_grad, leaving
        # sigmoid(-x) * exp(x), nan at 800
        Rule(
            "sigmoid_of_reciprocal",
            E.true_div(Const(1), E.add(Const(1), E.exp(y)), name="node"),
            _sigmoid_of_reciprocal,
            "1 / (1 + exp(-x)) -> sigmoid(x) (and 1 / (1 + exp(y)) -> sigmoid(-y)): one kernel",
        ),
        Rule.custom(
            "sum_of_product_to_dot",
            [_reduce_class()],
            _sum_of_product_to_dot,
            "sum(a * b) of two vectors -> dot(a, b) (one BLAS call, no temporary)",
        ),
    ]
)
