"""``verify_grad``: symbolic gradients checked against central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from symgraph.compile.function import function
from symgraph.grad import GradientError, grad
from symgraph.graph.type import TensorType
from symgraph.tensor.ops import math
from symgraph.tensor.variable import TensorConstant, as_tensor

_EPS = {"float64": 1e-6, "float32": 1e-3}
_TOL = {"float64": 1e-4, "float32": 1e-2}


def numeric_grad(f: Callable, point: Sequence[np.ndarray], eps: float) -> list[np.ndarray]:
    """Central finite differences of the scalar function ``f`` at ``point``."""
    grads = []
    values = [np.array(p, copy=True) for p in point]
    for array in values:
        g = np.zeros(array.shape, dtype=np.float64)
        flat = array.reshape(-1)
        g_flat = g.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = float(f(*values))
            flat[i] = original - eps
            minus = float(f(*values))
            flat[i] = original
            g_flat[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def verify_grad(
    fun: Callable,
    pt: Sequence,
    n_tests: int = 2,
    rng: np.random.Generator | np.random.RandomState | None = None,
    eps: float | None = None,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
    mode=None,
) -> None:
    """Check ``grad`` of ``fun`` against finite differences at the point ``pt``.

    ``fun`` takes symbolic tensors (made from ``pt``'s arrays: same dtype and rank) and
    returns a tensor. Its output is projected on a random direction to get a scalar cost,
    whose symbolic gradient is compared with central differences. The step and tolerances
    follow the least precise float dtype involved. Raises ``GradientError`` naming the
    worst input and its absolute and relative errors.
    """
    if rng is None:
        rng = np.random.default_rng(0)
    uniform = rng.uniform if hasattr(rng, "uniform") else rng.random
    point = [np.asarray(p) for p in pt]
    for i, p in enumerate(point):
        if p.dtype.kind not in "fc":
            raise TypeError(f"verify_grad: point {i} must be float, got {p.dtype}")
    # An axis of length 1 is declared broadcastable (as a constant of that value would be),
    # so ``fun`` may broadcast it against the other inputs; other lengths stay unknown.
    inputs = [
        TensorType(p.dtype, tuple(1 if n == 1 else None for n in p.shape))(f"input_{i}")
        for i, p in enumerate(point)
    ]
    output = as_tensor(fun(*inputs))
    dtypes = [p.dtype.name for p in point] + [output.dtype]
    least = "float32" if "float32" in dtypes else "float64"
    eps = eps or _EPS[least]
    abs_tol = abs_tol if abs_tol is not None else _TOL[least]
    rel_tol = rel_tol if rel_tol is not None else _TOL[least]
    evaluate = function(inputs, output, mode=mode, on_unused_input="ignore")
    out_shape = np.shape(evaluate(*point))
    for _ in range(n_tests):
        projection = np.asarray(
            uniform(-1.0, 1.0, size=out_shape) if out_shape else uniform(-1.0, 1.0),
            dtype=output.dtype,
        )
        cost = math.sum(output * TensorConstant(TensorType(output.dtype, out_shape), projection))
        symbolic = grad(cost, inputs, disconnected_inputs="ignore")
        cost_fn = function(inputs, cost, mode=mode, on_unused_input="ignore")
        grad_fn = function(inputs, symbolic, mode=mode, on_unused_input="ignore")
        analytic = grad_fn(*point)
        numeric = numeric_grad(cost_fn, point, eps)
        worst = None
        for i, (a, n) in enumerate(zip(analytic, numeric)):
            a = np.asarray(a, dtype=np.float64)
            if a.shape != n.shape:  # comparing would broadcast and could hide the error
                raise GradientError(
                    f"verify_grad: the gradient of input {i} has shape {a.shape} but the "
                    f"input has shape {n.shape}",
                    float("inf"),
                    float("inf"),
                )
            abs_err = np.abs(a - n)
            rel_err = abs_err / np.maximum(np.abs(a) + np.abs(n), 1e-8)
            bad = (abs_err > abs_tol) & (rel_err > rel_tol)
            if bad.any():
                k = int(np.argmax(np.where(bad, abs_err, -1)))
                entry = (float(abs_err.flat[k]), float(rel_err.flat[k]), i, k, a.flat[k], n.flat[k])
                if worst is None or entry[0] > worst[0]:
                    worst = entry
        if worst is not None:
            abs_err, rel_err, i, k, a_val, n_val = worst
            index = np.unravel_index(k, point[i].shape) if point[i].ndim else ()
            raise GradientError(
                f"verify_grad: gradient of input {i} at index {tuple(int(j) for j in index)} "
                f"is {a_val:.6g} symbolically but {n_val:.6g} by finite differences "
                f"(abs error {abs_err:.3g} > {abs_tol:g}, rel error {rel_err:.3g} > {rel_tol:g})",
                abs_err,
                rel_err,
            )
