"""``jacobian`` and ``hessian``: one gradient per element of an expression.

They live in the scan layer, not in ``grad``, because an expression whose length is only
known when the function runs needs a loop: a ``scan`` over ``arange(len)`` whose step
differentiates element ``i``, as Theano's did. When the length is known and small the
rows are unrolled instead (one gradient graph per element, merged and fused like any
other graph): a little faster to run than the loop, slower to compile (``UNROLL_LIMIT``).
"""

from __future__ import annotations

from collections.abc import Callable

from symgraph.grad import grad
from symgraph.graph.basic import Constant, Variable, variable_label
from symgraph.graph.traversal import clone_replace, toposort
from symgraph.graph.type import TensorType
from symgraph.scan.loop import scan
from symgraph.tensor.ops.shape import arange, stack
from symgraph.tensor.variable import as_tensor

# Longest expression whose rows are unrolled. Measured on the Hessian of
# ``sum(tanh(A x)**2) + sum(exp(x))`` (A 20 x n, float64, 2 cores): unrolled rows run 10-15%
# faster than the loop (n=8: 77 vs 89 us a call, n=32: 271 vs 299 us) but each costs about
# 2 ms of compile time where the loop compiles in 7 ms whatever n (n=8: 40 ms, n=32: 70 ms).
UNROLL_LIMIT = 8


def jacobian(expression: Variable, wrt, consider_constant=None, disconnected_inputs: str = "raise"):
    """Jacobian of a vector (or scalar) ``expression`` with respect to ``wrt``.

    ``wrt`` is one variable or a list; for each, the result has shape
    ``(len(expression), *wrt.shape)`` (a scalar expression gives its gradient,
    ``wrt.shape``). The length need not be known when the graph is built.
    ``consider_constant`` and ``disconnected_inputs`` are ``grad``'s.
    """
    expression = as_tensor(expression)
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    if expression.ndim == 0:
        result = grad(expression, wrt_list, consider_constant, disconnected_inputs)
    elif expression.ndim == 1:
        result = _rows(
            lambda i: grad(expression[i], wrt_list, consider_constant, disconnected_inputs),
            expression,
            [w.shape for w in wrt_list],
        )
    else:
        raise TypeError(
            f"jacobian: the expression must be a scalar or a vector, but "
            f"{variable_label(expression)} is {expression.type.describe()}; flatten it first"
        )
    return result[0] if single else result


def hessian(cost: Variable, wrt, consider_constant=None, disconnected_inputs: str = "raise"):
    """Hessian of the scalar ``cost`` with respect to each vector in ``wrt`` (one variable
    or a list): for each, a square matrix ``(len(wrt), len(wrt))``, whose length need not be
    known when the graph is built."""
    cost = as_tensor(cost)
    if cost.ndim != 0:
        raise TypeError(
            f"hessian: the cost must be a scalar, but {variable_label(cost)} is "
            f"{cost.type.describe()}"
        )
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    result = []
    for variable in wrt_list:
        if variable.ndim != 1:
            raise TypeError(
                f"hessian: wrt must be vectors, but {variable_label(variable)} is "
                f"{variable.type.describe()}; differentiate with respect to a vector and "
                "reshape it where the cost uses it"
            )
        g = grad(cost, variable, consider_constant, disconnected_inputs)
        result.append(jacobian(g, variable, consider_constant, disconnected_inputs))
    return result[0] if single else result


def _rows(
    row: Callable[[object], list[Variable]], expression: Variable, row_shapes: list
) -> list[Variable]:
    """For each variable ``row(i)`` returns (of shape ``row_shapes[j]``), its values for
    every ``i`` in ``range(len(expression))`` stacked along a new first axis.

    Unrolled (``row(k)`` for each constant ``k``) when the length is known and at most
    ``UNROLL_LIMIT``; otherwise ``row`` is called once with a symbolic index and the result
    is looped over by a scan.
    """
    length = expression.type.shape[0]
    if length is not None and 0 < length <= UNROLL_LIMIT:
        per_index = [row(k) for k in range(length)]
        return [stack([values[j] for values in per_index]) for j in range(len(per_index[0]))]
    positions = arange(expression.shape[0])
    index = TensorType(positions.dtype, ()).make_variable("i")
    values = row(index)
    invariant = _loop_invariants(values, index)
    outputs, _ = scan(
        lambda i, *_: clone_replace(values, {index: i}),
        sequences=positions,
        non_sequences=invariant,
        name="jacobian",
        return_list=True,
    )
    # A loop of no steps cannot learn its rows' shape from a step (which would index an
    # empty expression): the reshape gives it, and is a view otherwise.
    return [rows.reshape((positions.shape[0], *shape)) for rows, shape in zip(outputs, row_shapes)]


def _loop_invariants(outputs: list[Variable], index: Variable) -> list[Variable]:
    """The variables the loop body reads that do not depend on ``index``: the inputs of
    nodes that do, and outputs that do not.

    Given to the scan as non-sequences, they are computed once before the loop; otherwise
    the step would recompute the forward pass behind each gradient (a convolution, say)
    on every row.
    """
    varying = {index}
    invariant: dict[Variable, None] = {}
    for node in toposort(outputs, blockers=[index]):
        if not any(v in varying for v in node.inputs):
            continue
        varying.update(node.outputs)
        for v in node.inputs:
            if v not in varying and not isinstance(v, Constant):
                invariant[v] = None
    for v in outputs:
        if v not in varying and not isinstance(v, Constant):
            invariant[v] = None
    return list(invariant)


__all__ = ["UNROLL_LIMIT", "hessian", "jacobian"]
