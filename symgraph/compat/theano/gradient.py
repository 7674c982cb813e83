"""``theano.gradient``: ``grad`` with Theano's signature and results, ``verify_grad``,
undefined and disconnected gradients, ``GradClip`` / ``GradScale`` and ``subgraph_grad``.

What ``grad`` returns follows Theano 1.0's ``grad``:

* a requested gradient is named ``(dcost/dx)`` when the cost and ``x`` have names and
  ``add_names`` is true (a gradient that already has a name, a ``known_grads`` value for
  instance, keeps it);
* the gradient with respect to an integer (or boolean) variable is zeros of
  ``config.floatX``, connected or not (Theano's ``_float_zeros_like``); a disconnected
  ``wrt`` (a constant the cost does not use, say) is reported as ``disconnected_inputs``
  says and then gives zeros, None or a ``DisconnectedType`` variable
  (``return_disconnected`` 'zero', 'None' or 'Disconnected');
* an op's gradient marked undefined (``grad_undefined``) or not implemented
  (``grad_not_implemented``) raises ``NullTypeGradError`` only when a requested gradient
  depends on it (``null_gradients='return'`` returns it instead; running it raises).
"""

from __future__ import annotations

from symgraph.compat.theano._util import ignore_arguments, warn
from symgraph.compat.theano.configparser import config
from symgraph.compile.verify import numeric_grad
from symgraph.compile.verify import verify_grad as _verify_grad
from symgraph.grad import (
    DisconnectedInputError,
    GradientError,
    GradientOverride,
    Lop,
    Rop,
    disconnected_grad,
    grad_clip,
    grad_scale,
    zero_grad,
)
from symgraph.grad import grad as _grad
from symgraph.graph.basic import Apply, Op, Type, Variable
from symgraph.graph.traversal import ancestors, toposort
from symgraph.graph.type import TensorType
from symgraph.scan import hessian, jacobian
from symgraph.tensor.ops import math
from symgraph.tensor.variable import as_tensor

__all__ = [
    "DisconnectedInputError",
    "DisconnectedType",
    "GradClip",
    "GradScale",
    "GradientError",
    "Lop",
    "NullType",
    "NullTypeGradError",
    "Rop",
    "UndefinedGrad",
    "consider_constant",
    "disconnected_grad",
    "disconnected_type",
    "discrete_dtypes",
    "grad",
    "grad_clip",
    "grad_not_implemented",
    "grad_scale",
    "grad_undefined",
    "hessian",
    "jacobian",
    "numeric_grad",
    "subgraph_grad",
    "undefined_grad",
    "verify_grad",
    "zero_grad",
]

# Theano's name for the integer and boolean dtypes: their gradients are always zero.
discrete_dtypes = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
)

# Theano's older name: the gradient through it is zero.
consider_constant = zero_grad


class NullTypeGradError(TypeError):
    """A requested gradient depends on one an op declared undefined or not implemented."""


class NullType(Type):
    """The type Theano gave an undefined gradient; ``why_null`` says why."""

    def __init__(self, why_null: str = "(no explanation given)") -> None:
        self.why_null = why_null

    def __eq__(self, other: object) -> bool:
        return type(other) is NullType and other.why_null == self.why_null

    def __hash__(self) -> int:
        return hash((NullType, self.why_null))

    def __str__(self) -> str:
        return "NullType"


class DisconnectedType(Type):
    """The type of Theano's marker for "no gradient flows here"
    (``return_disconnected='Disconnected'`` returns a variable of it)."""

    def __eq__(self, other: object) -> bool:
        return type(other) is DisconnectedType

    def __hash__(self) -> int:
        return hash(DisconnectedType)

    def __str__(self) -> str:
        return "DisconnectedType"


disconnected_type = DisconnectedType()


class _NullGradient(Op):
    """Stands for an undefined gradient of ``x``: shaped like it, so it can flow through
    the other ops' gradients; ``grad`` refuses results that depend on it, and running it
    raises. ``null_type`` is Theano's ``NullType`` with the reason."""

    __props__ = ("why_null",)

    def __init__(self, why_null: str) -> None:
        self.why_null = why_null

    @property
    def null_type(self) -> NullType:
        return NullType(self.why_null)

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        dtype = x.dtype if x.type.numpy_dtype.kind in "fc" else config.floatX
        return Apply(self, [x], [TensorType(dtype, shape=x.type.shape)])

    def perform(self, node, inputs):
        raise NullTypeGradError(f"tensor.grad encountered a NaN. {self.why_null}")

    def grad(self, node, output_grads):
        return [None]


def _null(why: str, x) -> Variable:
    variable = _NullGradient(why)(x)
    variable.tag.null_type = NullType(why)
    return variable


def grad_not_implemented(op, x_pos: int, x, comment: str = "") -> Variable:
    """What an op's ``grad`` returns for input ``x_pos`` (``x``) whose gradient nobody
    wrote: using it in a requested gradient raises ``NullTypeGradError``."""
    return _null(
        f"This variable is Null because the grad method for input {x_pos} ({x}) of the "
        f"{op} op is not implemented. {comment}",
        x,
    )


def grad_undefined(op, x_pos: int, x, comment: str = "") -> Variable:
    """What an op's ``grad`` returns for input ``x_pos`` (``x``) whose gradient does not
    exist mathematically: using it in a requested gradient raises ``NullTypeGradError``."""
    return _null(
        f"This variable is Null because the grad method for input {x_pos} ({x}) of the "
        f"{op} op is mathematically undefined. {comment}",
        x,
    )


class UndefinedGrad(Op):
    """Identity whose gradient is undefined (``undefined_grad(x)``)."""

    view_map = {0: [0]}

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [inputs[0]]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, node, output_grads):
        (x,) = node.inputs
        return [grad_undefined(self, 0, x)]


def undefined_grad(x) -> Variable:
    """``x`` in the forward pass; any gradient through it is undefined."""
    return UndefinedGrad()(x)


class _GradientOverrideCall:
    """A Theano class whose call on ``x`` is the very node the core's override builds (so
    the rewrite that drops it before code generation applies); equal when the ops are."""

    op: GradientOverride

    def __call__(self, x) -> Variable:
        return self.op(x)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.op == self.op

    def __hash__(self) -> int:
        return hash(self.op)


class GradClip(_GradientOverrideCall):
    """Theano's ``GradClip(clip_lower_bound, clip_upper_bound)``: the identity whose
    gradient is clipped, as ``grad_clip`` builds it."""

    def __init__(self, clip_lower_bound: float, clip_upper_bound: float) -> None:
        self.op = GradientOverride("clip", clip_lower_bound, clip_upper_bound)
        self.clip_lower_bound, self.clip_upper_bound = self.op.lower, self.op.upper


class GradScale(_GradientOverrideCall):
    """Theano's ``GradScale(multiplier)``: the identity whose gradient is multiplied, as
    ``grad_scale`` builds it."""

    def __init__(self, multiplier: float) -> None:
        self.op = GradientOverride("scale", multiplier)
        self.multiplier = self.op.lower


def _null_reason(variable: Variable) -> str | None:
    for node in toposort([variable]):
        if isinstance(node.op, _NullGradient):
            return node.op.why_null
    return None


def _float_zeros_like(variable: Variable) -> Variable:
    kind = variable.type.numpy_dtype.kind
    return math.zeros_like(variable, dtype=variable.dtype if kind in "fc" else config.floatX)


def grad(
    cost,
    wrt,
    consider_constant=None,
    disconnected_inputs="raise",
    add_names=True,
    known_grads=None,
    return_disconnected="zero",
    null_gradients="raise",
):
    """Theano's ``grad`` (see the module docstring for what it returns)."""
    if return_disconnected not in ("zero", "None", "Disconnected"):
        raise ValueError("return_disconnected must be 'zero', 'None' or 'Disconnected'")
    if null_gradients not in ("raise", "return"):
        raise ValueError("null_gradients must be 'raise' or 'return'")
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError("disconnected_inputs must be 'raise', 'warn' or 'ignore'")
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    constants = list(consider_constant or ())
    # An integer cost is piecewise constant: Theano seeded it with float ones and every
    # gradient through it came out zero (only known_grads can contribute).
    integer_cost = cost is not None and _is_integer_scalar(cost)
    swept_cost = None if integer_cost else cost

    def sweep(targets, blockers):
        if swept_cost is None and not known_grads:
            return [None] * len(targets)
        return _grad(
            swept_cost,
            targets,
            consider_constant=blockers,
            disconnected_inputs="ignore",
            known_grads=known_grads,
            return_disconnected="None",
        )

    results = sweep(wrt_list, constants)
    # Theano stopped the gradient below a consider_constant variable, but the variable
    # itself still received its gradient; symgraph's sweep gives it none, so each one
    # asked for is swept again without itself among the blockers.
    for position, variable in enumerate(wrt_list):
        if any(variable is c for c in constants):
            (results[position],) = sweep([variable], [c for c in constants if c is not variable])
    # Theano's ops gave integer inputs zero gradients, so an integer variable the cost
    # is built from counts as connected; symgraph's give them none.
    roots = [v for v in [cost, *(known_grads or {})] if isinstance(v, Variable)]
    used = set(ancestors(roots, blockers=constants))
    cost_name = getattr(cost, "name", None) if add_names else None
    final = []
    for variable, g in zip(wrt_list, results):
        discrete = variable.type.numpy_dtype.kind not in "fc"
        if variable in used and (discrete or (integer_cost and g is None)):
            g = _float_zeros_like(variable)
        elif g is None:
            _report_disconnected(variable, disconnected_inputs)
            g = {
                "zero": _float_zeros_like(variable),
                "None": None,
                "Disconnected": disconnected_type(),
            }[return_disconnected]
            final.append(g)
            continue
        why = _null_reason(g)
        if why is not None and null_gradients == "raise":
            raise NullTypeGradError(f"tensor.grad encountered a NaN. {why}")
        if cost_name and variable.name and g.name is None:
            g.name = f"(d{cost_name}/d{variable.name})"
        final.append(g)
    return final[0] if single else final


def _is_integer_scalar(cost) -> bool:
    """Whether ``cost`` is an integer (or bool) scalar; other shapes and kinds are left
    for the core's ``grad`` to refuse with its own message."""
    cost = as_tensor(cost)
    return cost.ndim == 0 and cost.type.numpy_dtype.kind in "biu"


def _report_disconnected(variable: Variable, disconnected_inputs: str) -> None:
    message = (
        "grad method was asked to compute the gradient with respect to a variable that is "
        "not part of the computational graph of the cost, or is used only by a "
        f"non-differentiable operator: {variable}"
    )
    if disconnected_inputs == "raise":
        raise DisconnectedInputError(message)
    if disconnected_inputs == "warn":
        warn(message)


def subgraph_grad(wrt, end, start=None, cost=None, details=False):
    """Theano's ``subgraph_grad``: gradients of ``cost`` and/or of the ``start`` gradients
    (a dict variable -> its known gradient) with respect to ``wrt`` and to the ``end``
    variables, which bound the subgraph (no gradient flows past them). Returns
    ``(wrt_grads, end_grads)``, plus ``start_grads`` and ``cost_grads`` when ``details``;
    chain calls, passing ``end`` and ``end_grads`` as the next ``start``, to
    backpropagate one block at a time."""
    if cost is None and start is None:
        raise ValueError("subgraph_grad needs a cost, a start, or both")
    if not isinstance(end, list) or not isinstance(wrt, list):
        raise TypeError("subgraph_grad: wrt and end must be lists")
    if start is not None and not isinstance(start, dict):
        raise TypeError("subgraph_grad: start must be a dict variable -> gradient")
    params = list(dict.fromkeys([*wrt, *end]))

    def gradients(c, known):
        return list(
            grad(
                c,
                params,
                consider_constant=end,
                known_grads=known,
                disconnected_inputs="ignore",
            )
        )

    start_grads = gradients(None, start) if start is not None else None
    cost_grads = gradients(cost, None) if cost is not None else None
    if start_grads is None:
        grads = cost_grads
    elif cost_grads is None:
        grads = start_grads
    else:
        grads = [a + b for a, b in zip(start_grads, cost_grads)]
    by_param = dict(zip(params, grads))
    wrt_grads = [by_param[v] for v in wrt]
    end_grads = [by_param[v] for v in end]
    if details:
        return wrt_grads, end_grads, start_grads, cost_grads
    return wrt_grads, end_grads


def verify_grad(
    fun,
    pt,
    n_tests=2,
    rng=None,
    eps=None,
    out_type=None,
    abs_tol=None,
    rel_tol=None,
    mode=None,
    cast_to_output_type=False,
    no_debug_ref=True,
):
    """Theano's ``verify_grad``; a failed check raises ``verify_grad.E_grad``.

    The random projection always has the output's dtype, as with Theano's
    ``cast_to_output_type=True``. ``out_type`` (for complex outputs) and ``no_debug_ref``
    (there is no DebugMode to check the reference functions) have no effect.
    """
    ignored = []
    if out_type is not None:
        ignored.append("out_type")
    if not no_debug_ref:
        ignored.append("no_debug_ref")
    ignore_arguments("verify_grad", ignored)
    _verify_grad(
        fun, pt, n_tests=n_tests, rng=rng, eps=eps, abs_tol=abs_tol, rel_tol=rel_tol, mode=mode
    )


# Theano's spelling for catching a failed check: ``except verify_grad.E_grad``.
verify_grad.E_grad = GradientError
