"""``theano.gradient``: ``grad`` with Theano's signature, ``verify_grad`` and friends."""

from __future__ import annotations

from symgraph.compile.verify import numeric_grad, verify_grad
from symgraph.grad import (
    DisconnectedInputError,
    GradientError,
    Lop,
    Rop,
    disconnected_grad,
    grad_clip,
    grad_scale,
    hessian,
    jacobian,
    zero_grad,
)
from symgraph.grad import grad as _grad

__all__ = [
    "DisconnectedInputError",
    "GradientError",
    "Lop",
    "Rop",
    "consider_constant",
    "disconnected_grad",
    "grad",
    "grad_clip",
    "grad_scale",
    "hessian",
    "jacobian",
    "numeric_grad",
    "verify_grad",
    "zero_grad",
]

# Theano's older name: the gradient through it is zero.
consider_constant = zero_grad


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
    """Theano's ``grad`` (``add_names`` has no effect: gradients are not named)."""
    return _grad(
        cost,
        wrt,
        consider_constant=consider_constant,
        disconnected_inputs=disconnected_inputs,
        known_grads=known_grads,
        return_disconnected=return_disconnected,
        null_gradients=null_gradients,
    )
