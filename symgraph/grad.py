"""Reverse-mode differentiation of symbolic graphs, and finite-difference checks."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from symgraph.graph.basic import Apply, Constant, Op, Variable, user_stacklevel
from symgraph.graph.collector import collector_paused
from symgraph.graph.traversal import clone_replace, toposort
from symgraph.tensor.ops import math
from symgraph.tensor.variable import as_tensor


class DisconnectedInputError(ValueError):
    """``grad`` was asked for a variable the cost does not depend on."""


class GradientError(AssertionError):
    """``verify_grad`` found a symbolic gradient that disagrees with finite differences."""

    def __init__(self, message: str, abs_err: float, rel_err: float) -> None:
        super().__init__(message)
        self.abs_err = abs_err
        self.rel_err = rel_err


def _label(variable: Variable) -> str:
    return f"'{variable.name}'" if variable.name else f"{variable} ({variable.type})"


@collector_paused()  # building a big gradient graph is an allocation burst, like compiling
def grad(
    cost: Variable | None,
    wrt: Variable | Sequence[Variable],
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
    known_grads: Mapping[Variable, Variable] | None = None,
    return_disconnected: str = "zero",
):
    """Symbolic gradient of the scalar ``cost`` with respect to ``wrt``.

    ``wrt`` may be one variable (one gradient is returned) or a list (a list is returned).
    ``consider_constant`` variables are treated as constants (no gradient flows through
    them). ``known_grads`` maps variables to their gradients, as Theano's: a variable in it
    has exactly that gradient (what would flow back into it from the cost is not added),
    and it is propagated to the variables it depends on; ``cost`` may then be None. A
    ``wrt`` the cost does not depend on raises unless ``disconnected_inputs`` is 'warn' or
    'ignore'; its gradient is then zeros (``return_disconnected='zero'``) or None.
    """
    seeds: dict[Variable, Variable] = {}
    if cost is not None:
        cost = _scalar_cost(cost)
        seeds[cost] = math.ones_like(cost)
    for variable, g in (known_grads or {}).items():
        seeds[variable] = _seed(variable, g, "known_grads")  # replaces the cost's own seed
    if not seeds:
        raise ValueError("grad needs a cost or known_grads")
    # Every seeded variable keeps its seed as its whole gradient (Theano's known_grads).
    return _backpropagate(
        seeds,
        set(seeds),
        wrt,
        consider_constant,
        disconnected_inputs,
        return_disconnected,
    )


def _scalar_cost(cost) -> Variable:
    """``cost`` as a tensor, checked to be a float scalar."""
    cost = as_tensor(cost)
    if cost.ndim != 0:
        raise TypeError(
            f"grad: the cost must be a scalar, got {cost.type.describe()}; sum or average "
            "it first, or pass known_grads"
        )
    if cost.type.numpy_dtype.kind not in "fc":
        raise TypeError(f"grad: the cost must be a float scalar, got {cost.type.describe()}")
    return cost


def _seed(variable, g, what: str) -> Variable:
    """``g`` checked and cast as the gradient flowing into ``variable``."""
    if not isinstance(variable, Variable):
        raise TypeError(f"{what}: keys must be symbolic variables, got {variable!r}")
    g = as_tensor(g)
    if g.ndim != variable.ndim:
        raise TypeError(
            f"{what}: the gradient of {_label(variable)} has rank {g.ndim}, but the variable "
            f"has rank {variable.ndim}"
        )
    if g.type.numpy_dtype.kind not in "biufc":
        raise TypeError(f"{what}: the gradient of {_label(variable)} is not numeric ({g.type})")
    if variable.type.numpy_dtype.kind in "fc":
        return g if g.dtype == variable.dtype else math.cast(g, variable.dtype)
    return math.as_float(g)  # an integer variable's gradient is still a float (as in Theano)


def _backpropagate(
    seeds: dict[Variable, Variable],
    fixed: set[Variable],
    wrt,
    consider_constant,
    disconnected_inputs: str,
    return_disconnected: str,
):
    """Reverse sweep from ``seeds`` (variable -> gradient flowing into it) to ``wrt``.
    Variables in ``fixed`` keep their seed as their whole gradient; the others add up
    everything flowing back into them."""
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError("disconnected_inputs must be 'raise', 'warn' or 'ignore'")
    if return_disconnected not in ("zero", "None"):
        raise ValueError("return_disconnected must be 'zero' or 'None'")
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    for variable in wrt_list:
        if not isinstance(variable, Variable):
            raise TypeError(f"grad: wrt must be symbolic variables, got {variable!r}")
    blockers = set(consider_constant or ())
    # Not blocked at wrt: one wrt may lie upstream of another (grad(c, [h, x]), h = f(x)).
    nodes = toposort(list(seeds), blockers=blockers)
    depends = _depending_on(wrt_list, nodes, blockers)
    contributions: dict[Variable, list[Variable]] = {v: [g] for v, g in seeds.items()}
    for node in reversed(nodes):
        if not any(o in contributions for o in node.outputs):
            continue
        if not any(v in depends and v not in blockers for v in node.inputs):
            continue
        for variable, g in zip(node.inputs, _input_grads(node, contributions)):
            if g is None or variable in blockers or variable not in depends or variable in fixed:
                continue
            g = as_tensor(g)
            if g.ndim != variable.ndim:
                raise ValueError(
                    f"{node.op}.grad returned a {g.ndim}-d gradient for a {variable.ndim}-d input"
                )
            contributions.setdefault(variable, []).append(g)
    zeros_dtype = _zeros_dtype(seeds)
    results = []
    for variable in wrt_list:
        parts = contributions.get(variable)
        results.append(
            _wrt_grad(variable, parts, zeros_dtype, disconnected_inputs, return_disconnected)
        )
    return results[0] if single else results


def _depending_on(wrt_list: list[Variable], nodes: list[Apply], blockers: set) -> set[Variable]:
    """The variables that depend on some ``wrt`` (gradients only flow along them), found by
    a forward sweep of ``nodes`` in topological order."""
    depends = set(wrt_list)
    for node in nodes:
        if any(v in depends and v not in blockers for v in node.inputs):
            depends.update(node.outputs)
    return depends


def _input_grads(node: Apply, contributions: dict[Variable, list[Variable]]) -> list:
    """The gradients ``node``'s op gives its inputs, from those flowing into its outputs."""
    output_grads = [
        None if contributions.get(o) is None else _sum(contributions[o]) for o in node.outputs
    ]
    if len(node.outputs) > 1:
        # An op with several outputs gets zeros for the float ones nothing flowed into.
        output_grads = [
            g if g is not None or o.type.numpy_dtype.kind not in "fc" else math.zeros_like(o)
            for g, o in zip(output_grads, node.outputs)
        ]
    input_grads = node.op.grad(node, output_grads)
    if len(input_grads) != len(node.inputs):
        raise ValueError(
            f"{node.op}.grad returned {len(input_grads)} gradients for {len(node.inputs)} inputs"
        )
    return input_grads


def _zeros_dtype(seeds: dict[Variable, Variable]) -> str:
    """The dtype of zero gradients of integer variables: the seeds' (float64 if none is a
    float), so the result depends on the graph alone, never on config.floatX."""
    dtype = np.result_type(*[g.dtype for g in seeds.values()])
    return dtype.name if dtype.kind in "fc" else "float64"


def _wrt_grad(
    variable: Variable,
    parts: list[Variable] | None,
    zeros_dtype: str,
    disconnected_inputs: str,
    return_disconnected: str,
):
    """The gradient of ``variable`` from the ``parts`` flowing into it (None: none did)."""
    if parts is None:
        message = (
            f"grad: the cost does not depend on {_label(variable)} (it is not part of "
            "the cost's graph, or only through non-differentiable operations); pass "
            "disconnected_inputs='ignore' or 'warn' to get zeros"
        )
        if disconnected_inputs == "raise":
            raise DisconnectedInputError(message)
        if disconnected_inputs == "warn":
            warnings.warn(message, stacklevel=user_stacklevel())
        return _zeros_for(variable, zeros_dtype) if return_disconnected == "zero" else None
    if variable.type.numpy_dtype.kind not in "fc":
        return _zeros_for(variable, zeros_dtype)
    g = _sum(parts)
    return g if g.dtype == variable.dtype else math.cast(g, variable.dtype)


class GradientOverride(Op):
    """Identity in the forward pass; changes only the gradient flowing back through it.

    ``kind`` is ``'zero'`` (gradient replaced by zeros), ``'disconnected'`` (no gradient
    at all: as if the input were a constant), ``'clip'`` (clipped to ``[lower, upper]``)
    or ``'scale'`` (multiplied by ``lower``).  The ``gradient_override`` rewrite removes
    these nodes before code generation, so they cost nothing at run time.
    """

    __props__ = ("kind", "lower", "upper")
    view_map = {0: [0]}

    def __init__(self, kind: str, lower: float = 0.0, upper: float = 0.0) -> None:
        if kind not in ("zero", "disconnected", "clip", "scale"):
            raise ValueError(f"unknown gradient override {kind!r}")
        if kind == "clip" and not lower <= upper:
            raise ValueError(f"grad_clip: lower bound {lower} is above upper bound {upper}")
        self.kind, self.lower, self.upper = kind, float(lower), float(upper)

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [inputs[0]]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def jax(self, node, inputs, jx):
        return inputs[0]  # the identity; only its gradient differs

    def grad(self, node, output_grads):
        (g,) = output_grads
        if self.kind == "disconnected" or g is None:
            return [None]
        if self.kind == "zero":
            return [math.zeros_like(node.inputs[0])]
        if self.kind == "clip":
            return [math.clip(g, self.lower, self.upper)]
        return [math.mul(g, self.lower)]


def zero_grad(x) -> Variable:
    """``x`` in the forward pass; its gradient is zero (``x`` still counts as connected)."""
    return GradientOverride("zero")(x)


def disconnected_grad(x) -> Variable:
    """``x`` in the forward pass; no gradient flows through it (``x`` acts as a constant)."""
    return GradientOverride("disconnected")(x)


def grad_clip(x, lower_bound: float, upper_bound: float) -> Variable:
    """``x`` in the forward pass; the gradient flowing back is clipped to the bounds."""
    return GradientOverride("clip", lower_bound, upper_bound)(x)


def grad_scale(x, multiplier: float) -> Variable:
    """``x`` in the forward pass; the gradient flowing back is multiplied by ``multiplier``."""
    return GradientOverride("scale", multiplier)(x)


def _zeros_for(variable: Variable, float_dtype: str) -> Variable:
    """Zeros shaped like ``variable``: of its dtype when it is a float, else of
    ``float_dtype`` (taken from the graph being differentiated, never from a setting)."""
    dtype = variable.dtype if variable.type.numpy_dtype.kind in "fc" else float_dtype
    return math.zeros_like(variable, dtype=dtype)


def _sum(parts: list[Variable]) -> Variable:
    total = parts[0]
    for part in parts[1:]:
        total = math.add(total, part)
    return total


def Lop(f, wrt, eval_points, consider_constant=None, disconnected_inputs: str = "raise"):
    """Vector-Jacobian product: the gradient of ``sum(f * eval_points)`` with respect to
    ``wrt``.  ``f`` and ``eval_points`` are one variable each or matching lists; the
    result is one variable or a list, like ``wrt``."""
    fs = [f] if isinstance(f, Variable) else list(f)
    points = [eval_points] if isinstance(f, Variable) else list(eval_points)
    if len(points) != len(fs):
        raise ValueError(f"Lop: {len(fs)} expressions but {len(points)} evaluation points")
    seeds: dict[Variable, Variable] = {}
    for expression, point in zip(fs, points):
        point = as_tensor(point)
        if point.ndim != expression.ndim:
            raise TypeError(
                f"Lop: evaluation point {point.type} does not match expression "
                f"{_label(expression)} ({expression.type})"
            )
        point = _seed(expression, point, "Lop")
        seeds[expression] = point if expression not in seeds else seeds[expression] + point
    # Unlike known_grads, the seeds add up with what flows back into them: for f = [y, 2y]
    # the product is u0 J_y + u1 J_2y, whichever expression depends on the other.
    return _backpropagate(seeds, set(), wrt, consider_constant, disconnected_inputs, "zero")


def Rop(f, wrt, eval_points, disconnected_outputs: str = "raise"):
    """Jacobian-vector product: how ``f`` changes when ``wrt`` moves along
    ``eval_points``.  ``wrt`` and ``eval_points`` are one variable each or matching lists;
    the result is one variable or a list, like ``f``.

    A forward sweep from ``wrt`` to ``f``: each node turns its inputs' tangents into its
    outputs' with its op's ``jvp`` hook, or, for an op without one, by differentiating its
    gradient (see :func:`_jvp_from_grad`). An ``f`` that does not depend on ``wrt`` raises
    (``disconnected_outputs='raise'``) or gets zeros ('warn' warns first, 'ignore' not).
    """
    if disconnected_outputs not in ("raise", "warn", "ignore"):
        raise ValueError("disconnected_outputs must be 'raise', 'warn' or 'ignore'")
    fs = [f] if isinstance(f, Variable) else list(f)
    wrts = [wrt] if isinstance(wrt, Variable) else list(wrt)
    points = [eval_points] if isinstance(wrt, Variable) else list(eval_points)
    if len(points) != len(wrts):
        raise ValueError(f"Rop: {len(wrts)} variables but {len(points)} evaluation points")
    tangents: dict[Variable, Variable] = {}
    for variable, point in zip(wrts, points):
        point = as_tensor(point)
        if point.ndim != variable.ndim:
            raise TypeError(
                f"Rop: evaluation point {point.type} does not match {_label(variable)} "
                f"({variable.type})"
            )
        if variable.type.numpy_dtype.kind in "fc" and point.dtype != variable.dtype:
            point = math.cast(point, variable.dtype)
        tangents[variable] = point if variable not in tangents else tangents[variable] + point
    fixed = set(tangents)
    for node in toposort(fs):
        moving = [tangents.get(v) for v in node.inputs]
        if all(t is None for t in moving):
            continue
        out_tangents = node.op.jvp(node, moving)
        if out_tangents is None:
            out_tangents = _jvp_from_grad(node, moving)
        if len(out_tangents) != len(node.outputs):
            raise ValueError(
                f"{node.op}.jvp returned {len(out_tangents)} tangents for "
                f"{len(node.outputs)} outputs"
            )
        for output, tangent in zip(node.outputs, out_tangents):
            if tangent is None or output in fixed:
                continue
            tangent = as_tensor(tangent)
            if tangent.ndim != output.ndim:
                raise ValueError(
                    f"{node.op}.jvp returned a {tangent.ndim}-d tangent for a "
                    f"{output.ndim}-d output"
                )
            tangents[output] = tangent
    results = [_output_tangent(e, tangents, disconnected_outputs) for e in fs]
    return results[0] if isinstance(f, Variable) else results


def _output_tangent(expression: Variable, tangents: dict, disconnected_outputs: str):
    tangent = tangents.get(expression)
    if tangent is not None:
        return tangent
    message = (
        f"Rop: {_label(expression)} does not depend on the variables it is differentiated "
        "with respect to; pass disconnected_outputs='ignore' or 'warn' to get zeros"
    )
    if disconnected_outputs == "raise":
        raise DisconnectedInputError(message)
    if disconnected_outputs == "warn":
        warnings.warn(message, stacklevel=user_stacklevel())
    return math.zeros_like(expression)


def _jvp_from_grad(node: Apply, tangents: Sequence[Variable | None]) -> list:
    """The tangents of ``node``'s outputs for an op without a ``jvp``, from its gradient.

    The vector-Jacobian product ``u @ J`` is linear in a stand-in ``u``; the gradient of
    ``<u @ J, v>`` with respect to ``u`` is ``J @ v`` whatever ``u`` is. The node is rebuilt
    on stand-ins for its symbolic inputs, so that differentiating it walks this one node,
    not the graph above it.
    """
    fresh = [v if isinstance(v, Constant) else v.type() for v in node.inputs]
    local = node.clone_with_new_inputs(fresh, strict=False)
    moving = [(x, t) for x, t in zip(fresh, tangents) if t is not None]
    differentiable = [o for o in local.outputs if o.type.numpy_dtype.kind in "fc"]
    if not differentiable:
        return [None] * len(node.outputs)
    stand_ins = [o.type() for o in differentiable]
    vjps = Lop(differentiable, [x for x, _ in moving], stand_ins, disconnected_inputs="ignore")
    inner = None
    for vjp, (_, tangent) in zip(vjps, moving):
        term = math.sum(math.mul(vjp, tangent))
        inner = term if inner is None else math.add(inner, term)
    jvps = grad(inner, stand_ins, disconnected_inputs="ignore")
    # Any value of the stand-ins gives the same result; zeros let them drop out.
    replace: dict[Variable, Variable] = {
        u: math.zeros_like(node.outputs[o.index]) for u, o in zip(stand_ins, differentiable)
    }
    replace.update(zip(fresh, node.inputs))
    replace.update(zip(local.outputs, node.outputs))
    by_output = dict(zip(differentiable, clone_replace(jvps, replace)))
    return [by_output.get(o) for o in local.outputs]
