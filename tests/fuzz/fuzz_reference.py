"""A NumPy interpreter of fuzz graphs, independent of symgraph's kernels and rewrites.

``reference`` evaluates a graph in extended precision (``np.longdouble``: 64-bit mantissa
and a 15-bit exponent on x86-64) and, next to every value, a bound on the error that a
computation in the graph's own dtype may make. The bound is a midpoint-radius interval:
each op adds a rounding term relative to the magnitude of its operands (not of its
result, so ``a - b`` with ``a`` close to ``b`` gets a tolerance as large as ``a``'s
rounding, as any evaluation order would) and propagates its inputs' radii exactly
through monotone functions (``exp(a +- e)``), through Lipschitz bounds elsewhere, and
becomes infinite where a value is not determined by the data to that accuracy (a
comparison of values closer than their radii, ``log`` of a value whose radius reaches 0).
An infinite radius means "not checked here".

Two radii are kept: one for the naive formula the graph spells (what FAST_COMPILE runs)
and one for the stabilised forms symgraph's ``stabilize`` pass promises
(``log(1 + exp(x))`` as ``softplus(x)``...), found by ``stable_form``. ``evaluate`` runs
the same graph in a float dtype, naively or with the stabilised forms, to see where
either formula actually attains the reference (finite, within its radius).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from fuzz_graphs import REDUCE, Graph, Node

LD = np.longdouble
# Rounding allowance per operation, in units of the dtype's epsilon: NumPy's float64
# transcendental functions are within 1-2 ulp, its float32 SIMD kernels within about 4;
# a rewrite may add a rounding or two (x / c -> x * (1 / c)).
ULPS = {"float64": 4.0, "float32": 8.0}


def rounding(dtype: str) -> tuple[float, float]:
    """(relative, absolute) error allowed per operation in ``dtype``: a few ulps of the
    result, and a few smallest normal numbers for results that underflow."""
    info = np.finfo(dtype)
    return ULPS[dtype] * float(info.eps), ULPS[dtype] * float(info.smallest_normal)


# --------------------------------------------------------------------------------------
# kernels shared by the extended-precision and the float evaluations


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(np.zeros_like(x), x)


KERNELS = {
    "exp": np.exp,
    "log": np.log,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "sqrt": np.sqrt,
    "sqr": lambda x: x * x,
    "neg": np.negative,
    "abs": np.abs,
    "tanh": np.tanh,
    "sin": np.sin,
    "cos": np.cos,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "floor": np.floor,
    "sign": np.sign,
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.true_divide,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "pow": np.power,
    "gt": np.greater,
    "lt": np.less,
    "switch": np.where,
}

# Stabilised forms: what each recognised pattern computes, from the pattern's operands.
STABLE_KERNELS = {
    "softplus": _softplus,
    "logaddexp": np.logaddexp,
    "log_sigmoid": lambda x: -_softplus(-x),
    "log1m_sigmoid": lambda x: -_softplus(x),
    "log1p": np.log1p,
    "expm1": np.expm1,
}


def _view(node: Node, x):
    op, p = node.op, node.params
    if op == "dimshuffle":
        (order,) = p
        kept = [a for a in order if a != "x"]
        dropped = tuple(a for a in range(x.ndim) if a not in kept)
        y = np.squeeze(x, axis=dropped) if dropped else x
        remaining = [a for a in range(x.ndim) if a not in dropped]
        y = np.transpose(y, [remaining.index(a) for a in kept])
        return y.reshape(node.shape)
    if op == "slice":
        return x[tuple(slice(*s) for s in p[0])]
    if op in ("reshape", "flatten"):
        return x.reshape(node.shape)
    raise ValueError(op)


def _axes(node: Node, ndim: int) -> tuple[int, ...]:
    axis = node.params[0]
    return tuple(range(ndim)) if axis is None else axis


def _reduce(node: Node, x):
    axes = _axes(node, x.ndim)
    keepdims = node.params[1]
    if node.op == "mean":
        count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
        return np.sum(x, axis=axes, keepdims=keepdims) / x.dtype.type(count)
    fn = {"sum": np.sum, "max": np.max, "min": np.min, "prod": np.prod}[node.op]
    return fn(x, axis=axes, keepdims=keepdims)


def _is_const(graph: Graph, index: int, value: float) -> bool:
    node = graph.nodes[index]
    return node.op == "const" and float(node.params[0]) == value


def _is(graph: Graph, index: int, op: str) -> bool:
    return graph.nodes[index].op == op


def stable_form(graph: Graph, index: int) -> tuple[str, tuple[int, ...]] | None:
    """The stabilised form symgraph promises for record ``index``: (kind, operands)."""
    node = graph.nodes[index]
    if node.op == "log":
        (a,) = node.args
        inner = graph.nodes[a]
        if inner.op == "add":
            p, q = inner.args
            for one, other in ((p, q), (q, p)):
                if _is_const(graph, one, 1.0):
                    if _is(graph, other, "exp"):
                        return "softplus", graph.nodes[other].args
                    return "log1p", (other,)
            if _is(graph, p, "exp") and _is(graph, q, "exp"):
                return "logaddexp", graph.nodes[p].args + graph.nodes[q].args
        if inner.op == "sigmoid":
            return "log_sigmoid", inner.args
        if inner.op == "sub":
            p, q = inner.args
            if _is_const(graph, p, 1.0) and _is(graph, q, "sigmoid"):
                return "log1m_sigmoid", graph.nodes[q].args
    if node.op == "log1p" and _is(graph, node.args[0], "exp"):
        return "softplus", graph.nodes[node.args[0]].args
    if node.op == "sub":
        p, q = node.args
        if _is(graph, p, "exp") and _is_const(graph, q, 1.0):
            return "expm1", graph.nodes[p].args
    return None


# --------------------------------------------------------------------------------------
# evaluation


def _leaf(graph: Graph, index: int, leaves: dict, work_dtype):
    """A leaf's value in ``work_dtype``: constants and given values are rounded to the
    graph's dtype first, except extended-precision values (finite-difference steps)."""
    node = graph.nodes[index]
    if node.op == "const":
        value = np.asarray(node.params[0], dtype=graph.dtype)
    else:
        value = np.asarray(leaves[index])
        if value.dtype != LD:
            value = value.astype(graph.dtype)
    return value.astype(work_dtype)


def _apply(graph: Graph, index: int, values: list, stable: bool):
    node = graph.nodes[index]
    form = stable_form(graph, index) if stable else None
    if form is not None:
        kind, operands = form
        result = STABLE_KERNELS[kind](*(values[a] for a in operands))
        return np.broadcast_to(result, node.shape).copy()
    args = [values[a] for a in node.args]
    if node.op in KERNELS:
        return np.asarray(KERNELS[node.op](*args))
    if node.op in ("dimshuffle", "slice", "reshape", "flatten"):
        return _view(node, args[0])
    if node.op in REDUCE:
        return np.asarray(_reduce(node, args[0]))
    if node.op == "dot":
        return np.asarray(np.dot(args[0], args[1]))
    raise ValueError(f"unknown record op {node.op!r}")


def evaluate(graph: Graph, leaves: dict, stable: bool = False) -> list[np.ndarray]:
    """Every record's value computed in the graph's dtype, with NumPy's kernels: the
    naive formulas as spelled, or (``stable``) the stabilised forms where recognised."""
    work = np.dtype(graph.dtype)
    values: list = []
    with np.errstate(all="ignore"):
        for index, node in enumerate(graph.nodes):
            if node.is_leaf:
                values.append(_leaf(graph, index, leaves, work))
            else:
                value = _apply(graph, index, values, stable)
                if value.dtype.kind == "f" and value.dtype != work:
                    raise AssertionError(f"interpreter widened {node.op} to {value.dtype}")
                values.append(value)
    return values


@dataclass
class Reference:
    """Extended-precision values and, for each record, the error radii of the naive and
    the stabilised formulas in the graph's dtype."""

    values: list[np.ndarray]
    tol_naive: list[np.ndarray]
    tol_stable: list[np.ndarray]


def reference(graph: Graph, leaves: dict, tolerances: bool = True) -> Reference:
    """Values in extended precision (stabilised forms, so that the reference itself does
    not cancel) and, unless ``tolerances`` is False, their error radii."""
    u, tiny = rounding(graph.dtype)
    values: list = []
    naive: list = []
    stab: list = []
    with np.errstate(all="ignore"):
        for index, node in enumerate(graph.nodes):
            if node.is_leaf:
                values.append(_leaf(graph, index, leaves, LD))
                if tolerances:
                    zero = np.zeros(node.shape)
                    naive.append(zero)
                    stab.append(zero)
                continue
            values.append(_apply(graph, index, values, stable=True))
            if not tolerances:
                continue
            naive.append(_radius(graph, index, node.args, values, naive, u, tiny))
            form = stable_form(graph, index)
            if form is None:
                stab.append(_radius(graph, index, node.args, values, stab, u, tiny))
            else:
                stab.append(_stable_radius(graph, index, form, values, stab, u, tiny))
    return Reference(values, naive, stab)


def _clean(radius) -> np.ndarray:
    radius = np.asarray(radius, dtype=np.float64)
    return np.where(np.isnan(radius), np.inf, radius)


def _round(out, u: float, tiny: float) -> np.ndarray:
    return u * np.abs(out).astype(np.float64) + tiny


def _monotone(f, a, ea) -> np.ndarray:
    """Largest change of the monotone ``f`` over ``[a - ea, a + ea]``."""
    ea = np.asarray(ea).astype(LD)
    fa = f(a)
    return _clean(np.maximum(np.abs(f(a + ea) - fa), np.abs(f(a - ea) - fa)))


MONOTONE = ("exp", "log", "log1p", "expm1", "sqrt", "tanh", "sigmoid", "softplus")


def _radius(graph, index, args, values, radii, u, tiny) -> np.ndarray:
    """Error radius of record ``index`` computed by its own (naive) formula."""
    node = graph.nodes[index]
    op = node.op
    out = values[index]
    a = [values[i] for i in args]
    e = [radii[i] for i in args]
    rnd = _round(out, u, tiny)
    absa = [np.abs(x) for x in a]
    if op in MONOTONE:
        radius = _monotone(KERNELS[op], a[0], e[0]) + rnd
        if op == "sigmoid":
            # symgraph computes 0.5 * tanh(x / 2) + 0.5: accurate to a few ulps of 1, not
            # of the result, so sigmoid(-40) is 0. That is checked by its own test
            # (test_fuzz_findings); here it is the contract, so that the fuzzer reports
            # what the rewrites and the in-place pass do.
            radius = radius + u
    elif op in ("neg", "abs"):
        radius = e[0]
    elif op == "sqr":
        radius = 2 * absa[0] * e[0] + e[0] * e[0] + rnd
    elif op in ("sin", "cos"):
        radius = np.minimum(e[0], 2.0) + rnd
    elif op == "sign":
        radius = np.where((e[0] == 0) | (absa[0] > e[0]), 0.0, np.inf)
    elif op == "floor":
        low, high = a[0] - e[0].astype(LD), a[0] + e[0].astype(LD)
        radius = np.where(np.floor(low) == np.floor(high), 0.0, np.inf)
    elif op in ("add", "sub"):
        radius = e[0] + e[1] + u * (absa[0] + absa[1]) + tiny
    elif op == "mul":
        radius = absa[0] * e[1] + absa[1] * e[0] + e[0] * e[1] + rnd
    elif op == "div":
        radius = _div_radius(absa[0], e[0], absa[1], e[1]) + rnd
    elif op in ("maximum", "minimum"):
        radius = np.maximum(e[0], e[1])
    elif op == "pow":
        radius = _pow_radius(graph, args, a[0], absa[0], e[0]) + rnd
    elif op in ("gt", "lt"):
        certain = ((e[0] + e[1]) == 0) | (np.abs(a[0] - a[1]) > e[0] + e[1])
        radius = np.where(certain, 0.0, np.inf)
    elif op == "switch":
        radius = np.where(e[0] == 0, np.where(a[0], e[1], e[2]), np.inf)
    elif op in ("dimshuffle", "slice", "reshape", "flatten"):
        radius = _view(node, e[0])
    elif op in REDUCE:
        radius = _reduce_radius(node, a[0], absa[0], e[0], out, u, tiny)
    elif op == "dot":
        k = a[0].shape[-1]
        with np.errstate(all="ignore"):
            abs0, abs1 = absa[0].astype(np.float64), absa[1].astype(np.float64)
            radius = (
                np.dot(abs0, e[1])
                + np.dot(e[0], abs1)
                + np.dot(e[0], e[1])
                + u * k * np.dot(abs0, abs1)
                + k * tiny
            )
    else:
        raise ValueError(f"no error rule for {op!r}")
    return np.broadcast_to(_clean(radius), node.shape)


def _div_radius(absa, ea, absb, eb) -> np.ndarray:
    # |a/b - (a+da)/(b+db)| = |a db - b da| / |b (b + db)|
    with np.errstate(all="ignore"):
        bound = (absa * eb + absb * ea) / (absb * (absb - eb))
    return np.where(eb < absb, _clean(bound), np.inf)


def _pow_radius(graph, args, a, absa, ea) -> np.ndarray:
    exponent = float(graph.nodes[args[1]].params[0])
    if exponent == 1:
        return ea
    if exponent == 2:
        return 2 * absa * ea + ea * ea
    if exponent == 3:
        return ea * (3 * absa * absa + 3 * absa * ea + ea * ea)
    if exponent == 0.5:
        return _monotone(np.sqrt, a, ea)
    if exponent == -1:
        return _div_radius(np.ones_like(absa), np.zeros_like(ea), absa, ea)
    return np.full(np.shape(a), np.inf)


def _reduce_radius(node, a, absa, ea, out, u, tiny) -> np.ndarray:
    axes = _axes(node, a.ndim)
    keepdims = node.params[1]
    n = int(np.prod([a.shape[x] for x in axes], dtype=np.int64))
    if node.op in ("max", "min"):
        return np.max(ea, axis=axes, keepdims=keepdims) if n else np.zeros(node.shape)
    if node.op == "prod":
        grown = np.prod(absa + ea.astype(LD), axis=axes, keepdims=keepdims)
        exact = np.prod(absa, axis=axes, keepdims=keepdims)
        return _clean(grown - exact) + u * n * _clean(exact) + n * tiny
    total = (
        np.sum(ea, axis=axes, keepdims=keepdims)
        + u * n * _clean(np.sum(absa, axis=axes, keepdims=keepdims))
        + n * tiny
    )
    if node.op == "mean":
        return total / max(n, 1) + _round(out, u, tiny)
    return total


def _stable_radius(graph, index, form, values, radii, u, tiny) -> np.ndarray:
    kind, operands = form
    node = graph.nodes[index]
    out = values[index]
    rnd = _round(out, u, tiny)
    if kind == "logaddexp":
        # each partial derivative is in [0, 1] and they sum to 1
        radius = np.maximum(radii[operands[0]], radii[operands[1]]) + rnd
    else:
        (x,) = operands
        radius = _monotone(STABLE_KERNELS[kind], values[x], radii[x]) + rnd
    return np.broadcast_to(_clean(radius), node.shape)


# --------------------------------------------------------------------------------------
# gradients


def _unbroadcast(x, shape) -> np.ndarray:
    """Sum ``x`` over the axes that broadcasting added to an operand of ``shape``."""
    x = np.asarray(x)
    if x.ndim > len(shape):
        x = np.sum(x, axis=tuple(range(x.ndim - len(shape))))
    axes = tuple(i for i, (s, t) in enumerate(zip(shape, x.shape)) if s == 1 and t != 1)
    return np.sum(x, axis=axes, keepdims=True) if axes else x


def _inverse_view(node: Node, g, arg_shape) -> np.ndarray:
    """The transpose of the view ``node`` applied to ``g`` (which has the view's shape)."""
    if node.op == "dimshuffle":
        (order,) = node.params
        kept = [a for a in order if a != "x"]
        g = g.reshape([s for s, a in zip(node.shape, order) if a != "x"])
        return np.transpose(g, np.argsort(kept)).reshape(arg_shape)
    if node.op == "slice":
        out = np.zeros(arg_shape, dtype=g.dtype)
        out[tuple(slice(*s) for s in node.params[0])] = g
        return out
    return g.reshape(arg_shape)


def _keep(node: Node, g, ndim: int):
    """A reduction's output-shaped array with the reduced axes put back (size 1)."""
    axes = _axes(node, ndim)
    return g if node.params[1] else np.expand_dims(g, axes)


def _others_product(a, axes):
    """For each element, the product of the other elements of its reduced group."""
    moved = np.moveaxis(a, axes, tuple(range(a.ndim - len(axes), a.ndim)))
    front = moved.shape[: a.ndim - len(axes)]
    flat = moved.reshape(front + (-1,))
    ones = np.ones(front + (1,), dtype=a.dtype)
    left = np.concatenate([ones, np.cumprod(flat, axis=-1)[..., :-1]], axis=-1)
    right = np.concatenate(
        [np.cumprod(flat[..., ::-1], axis=-1)[..., :-1][..., ::-1], ones], axis=-1
    )
    others = (left * right).reshape(moved.shape)
    return np.moveaxis(others, tuple(range(a.ndim - len(axes), a.ndim)), axes)


def _interval_reciprocal(absx, ex) -> np.ndarray:
    """Largest change of 1/x over [x - ex, x + ex] (inf if the interval holds 0)."""
    with np.errstate(all="ignore"):
        bound = ex / (absx * (absx - ex))
    return np.where(ex < absx, _clean(bound), np.inf)


def _local_derivatives(graph: Graph, index: int, ref: Reference, radii: list):
    """For each operand of record ``index``: (operand, derivative, radius of the
    derivative given its inputs' radii), arrays broadcast to the record's shape."""
    node = graph.nodes[index]
    op = node.op
    values = ref.values
    o = values[index]
    eo = radii[index].astype(LD)
    a = [values[i] for i in node.args]
    e = [radii[i].astype(LD) for i in node.args]
    one = LD(1)
    zero = np.zeros(np.shape(o), dtype=LD)
    if op == "exp":
        return [(0, o, eo)]
    if op == "log":
        return [(0, one / a[0], _interval_reciprocal(np.abs(a[0]), e[0]))]
    if op == "log1p":
        return [(0, one / (1 + a[0]), _interval_reciprocal(np.abs(1 + a[0]), e[0]))]
    if op == "expm1":
        return [(0, o + 1, eo)]
    if op == "sqrt":
        return [(0, one / (2 * o), _interval_reciprocal(np.abs(2 * o), 2 * eo))]
    if op == "sqr":
        return [(0, 2 * a[0], 2 * e[0])]
    if op == "neg":
        return [(0, -np.ones_like(o), zero)]
    if op == "abs":
        return [(0, np.sign(a[0]), zero)]
    if op == "tanh":
        return [(0, 1 - o * o, 2 * np.abs(o) * eo + eo * eo)]
    if op == "sin":
        return [(0, np.cos(a[0]), np.minimum(e[0], 2))]
    if op == "cos":
        return [(0, -np.sin(a[0]), np.minimum(e[0], 2))]
    if op == "sigmoid":
        return [(0, o * (1 - o), eo * (1 + 2 * np.abs(o)) + eo * eo)]
    if op == "softplus":
        return [(0, _sigmoid(a[0]), e[0] / 4)]
    if op in ("floor", "sign"):
        return [(0, np.zeros_like(o), zero)]
    if op == "add":
        return [(0, np.ones_like(o), zero), (1, np.ones_like(o), zero)]
    if op == "sub":
        return [(0, np.ones_like(o), zero), (1, -np.ones_like(o), zero)]
    if op == "mul":
        return [(0, a[1], e[1]), (1, a[0], e[0])]
    if op == "div":
        absa, absb = np.abs(a[0]), np.abs(a[1])
        with np.errstate(all="ignore"):
            db = (absa + e[0]) / (absb - e[1]) ** 2 - absa / absb**2
        db = np.where(e[1] < absb, _clean(db), np.inf)
        return [(0, one / a[1], _interval_reciprocal(absb, e[1])), (1, -a[0] / a[1] ** 2, db)]
    if op in ("maximum", "minimum"):
        first = a[0] >= a[1] if op == "maximum" else a[0] <= a[1]
        return [(0, first.astype(LD), zero), (1, (~first).astype(LD), zero)]
    if op == "pow":
        c = float(graph.nodes[node.args[1]].params[0])
        absa = np.abs(a[0])
        with np.errstate(all="ignore"):
            derivative = c * np.power(a[0], LD(c - 1))
            low = np.maximum(absa - e[0], 0)
            spread = np.maximum(
                np.abs(np.power(absa + e[0], LD(c - 1)) - np.power(absa, LD(c - 1))),
                np.abs(np.power(low, LD(c - 1)) - np.power(absa, LD(c - 1))),
            )
        radius = np.where((c >= 1) | (e[0] < absa), _clean(abs(c) * spread), np.inf)
        return [(0, derivative, radius)]
    if op == "switch":
        cond = np.broadcast_to(a[0], o.shape)
        return [(1, cond.astype(LD), zero), (2, (~cond).astype(LD), zero)]
    return []  # comparisons: no gradient


def gradients(graph: Graph, ref: Reference, weights: dict[int, np.ndarray]):
    """Reverse-mode gradient of ``sum_k sum(weights[k] * record_k)`` in extended
    precision, for every record, with an error bound for a computation in the graph's
    dtype: ``(grads, bounds)``.

    The bound adds the rounding of every backward step (a few ulps, per step, of the
    absolute values of the terms summed) to the effect of the forward values' own errors
    on each local derivative (``1 / a`` when ``a`` is only known to within its radius):
    the reverse pass run on absolute values, once with exact local derivatives (``A``)
    and once with each derivative widened by its radius (``B``), gives
    ``rtol * B + (B - A)``.
    """
    count = len(graph.nodes)
    radii = [np.maximum(n, s) for n, s in zip(ref.tol_naive, ref.tol_stable)]
    G: list = [None] * count
    A: list = [None] * count
    B: list = [None] * count

    def add(index, g, a, b):
        if graph.nodes[index].op == "const":
            return
        shape = graph.nodes[index].shape
        g, a, b = (np.broadcast_to(x, shape) for x in (g, a, b))
        if G[index] is None:
            G[index], A[index], B[index] = g.astype(LD), a.astype(LD), b.astype(LD)
        else:
            G[index], A[index], B[index] = G[index] + g, A[index] + a, B[index] + b

    for index, w in weights.items():
        w = np.asarray(w).astype(LD)
        add(index, w, np.abs(w), np.abs(w))
    with np.errstate(all="ignore"):
        for index in reversed(range(count)):
            node = graph.nodes[index]
            if G[index] is None or node.is_leaf or node.dtype == "bool":
                continue
            g, a, b = G[index], A[index], B[index]
            values = ref.values
            if node.op in ("dimshuffle", "slice", "reshape", "flatten"):
                (arg,) = node.args
                shape = graph.nodes[arg].shape
                add(arg, *(_inverse_view(node, x, shape) for x in (g, a, b)))
            elif node.op in REDUCE:
                (arg,) = node.args
                x = values[arg]
                axes = _axes(node, x.ndim)
                gk, ak, bk = (_keep(node, y, x.ndim) for y in (g, a, b))
                if node.op in ("sum", "mean"):
                    n = LD(int(np.prod([x.shape[q] for q in axes], dtype=np.int64)))
                    scale = LD(1) if node.op == "sum" else 1 / n
                    add(arg, gk * scale, ak * scale, bk * scale)
                elif node.op in ("max", "min"):
                    fn = np.max if node.op == "max" else np.min
                    mask = (x == fn(x, axis=axes, keepdims=True)).astype(LD)
                    add(arg, gk * mask, ak * mask, bk * mask)
                else:  # prod
                    e = radii[arg].astype(LD)
                    others = _others_product(x, axes)
                    exact = _others_product(np.abs(x), axes)
                    widened = _others_product(np.abs(x) + e, axes)
                    add(arg, gk * others, ak * exact, bk * widened)
            elif node.op == "dot":
                p, q = node.args
                x, y = values[p], values[q]
                ex, ey = radii[p].astype(LD), radii[q].astype(LD)
                pairs = [(g, x, y), (a, np.abs(x), np.abs(y)), (b, np.abs(x) + ex, np.abs(y) + ey)]
                grads_p, grads_q = [], []
                for upstream, left, right in pairs:
                    if x.ndim == 2 and y.ndim == 2:
                        grads_p.append(np.dot(upstream, right.T))
                        grads_q.append(np.dot(left.T, upstream))
                    elif x.ndim == 2:
                        grads_p.append(np.outer(upstream, right))
                        grads_q.append(np.dot(left.T, upstream))
                    elif y.ndim == 2:
                        grads_p.append(np.dot(right, upstream))
                        grads_q.append(np.outer(left, upstream))
                    else:
                        grads_p.append(upstream * right)
                        grads_q.append(upstream * left)
                add(p, *grads_p)
                add(q, *grads_q)
            else:
                for position, d, radius in _local_derivatives(graph, index, ref, radii):
                    arg = node.args[position]
                    shape = graph.nodes[arg].shape
                    d = np.broadcast_to(d, node.shape)
                    widened = np.abs(d) + np.broadcast_to(np.asarray(radius, dtype=LD), node.shape)
                    add(
                        arg,
                        _unbroadcast(g * d, shape),
                        _unbroadcast(a * np.abs(d), shape),
                        _unbroadcast(b * widened, shape),
                    )
    u, _ = rounding(graph.dtype)
    largest = max((max(n.shape, default=1) for n in graph.nodes), default=1)
    rtol = 4 * u * (count + largest)
    bounds = [
        None if G[i] is None else _clean((rtol * B[i] + (B[i] - A[i])).astype(np.float64))
        for i in range(count)
    ]
    return G, bounds
