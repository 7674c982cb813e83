"""``theano.gradient``: ``grad`` with Theano's signature, ``verify_grad`` and friends."""

from __future__ import annotations

from symgraph.compat.theano._util import ignore_arguments
from symgraph.compile.verify import numeric_grad
from symgraph.compile.verify import verify_grad as _verify_grad
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
    """Theano's ``grad``.

    ``add_names`` has no effect (gradients are not named). ``null_gradients`` has none
    either: symgraph has no null (undefined) gradient, an op without a gradient leaves its
    inputs disconnected. ``return_disconnected='Disconnected'`` gives None, as 'None' does
    (there is no disconnected type to return).
    """
    if null_gradients != "raise":
        ignore_arguments("grad", ["null_gradients"])
    if return_disconnected == "Disconnected":
        return_disconnected = "None"
    return _grad(
        cost,
        wrt,
        consider_constant=consider_constant,
        disconnected_inputs=disconnected_inputs,
        known_grads=known_grads,
        return_disconnected=return_disconnected,
    )


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
