"""``theano.ifelse``: choose between two values on a scalar condition.

Theano evaluated only the branch taken; here both branches are computed and ``switch``
picks one, which gives the same values (and gradients) at the cost of the unused branch.
"""

from __future__ import annotations

from symgraph.tensor.ops import math as _math
from symgraph.tensor.variable import as_tensor as _as_tensor

__all__ = ["ifelse"]


def ifelse(condition, then_branch, else_branch, name=None):
    """``then_branch`` if the scalar ``condition`` is nonzero, else ``else_branch``
    (each may be a list of variables, matched pairwise)."""
    condition = _as_tensor(condition)
    if condition.ndim != 0:
        raise TypeError(f"ifelse: the condition must be a scalar, got {condition.type}")
    single = not isinstance(then_branch, (list, tuple))
    thens = [then_branch] if single else list(then_branch)
    elses = [else_branch] if single else list(else_branch)
    if len(thens) != len(elses):
        raise ValueError(
            f"ifelse: {len(thens)} values for the then branch but {len(elses)} for the else branch"
        )
    results = []
    for then_value, else_value in zip(thens, elses):
        then_value, else_value = _as_tensor(then_value), _as_tensor(else_value)
        if then_value.ndim != else_value.ndim:
            raise TypeError(
                f"ifelse: the branches differ in rank: {then_value.type} and {else_value.type}"
            )
        result = _math.switch(condition, then_value, else_value)
        result.name = name
        results.append(result)
    return results[0] if single else results
