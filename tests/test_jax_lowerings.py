"""Every op's JAX lowering computes what its NumPy code computes: the rows of
``tests/test_op_kernels.py`` (the same drawn nodes and inputs) run through the NumPy
backend (FAST_COMPILE: the op's own code) and the JAX backend with no pass (the op's own
lowering), outputs and gradients compared; a new op without a lowering fails here unless
it is listed in ``NO_LOWERING`` and refused with an error naming it."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="the JAX backend's tests need the 'jax' extra")

from helpers import SETTINGS  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_op_kernels import ROWS, _assert_same, _compiled, _op_classes, _outcome  # noqa: E402

import symgraph  # noqa: E402
from symgraph.compile.jax_backend import has_lowering  # noqa: E402
from symgraph.graph.basic import Constant  # noqa: E402
from symgraph.tensor.ops.pool import _PoolOp  # noqa: E402

# Ops that run on the NumPy backend only, each refused by the JAX backend with an error
# naming it: Theano's MRG generator, printing and assertions (Python side effects inside a
# traced function), user ops written in Python, and ops whose output shape depends on
# input values (XLA compiles for fixed shapes): nonzero, and lstsq (its residuals are one
# per column of b, or none when a's rank is short, which only the values tell).
NO_LOWERING = {
    "NonZero",
    "Lstsq",
    "ChoiceFromUniform",
    "MRGUniform",
    "MultinomialFromUniform",
    "Print",
    "Assert",
    "FromFunctionOp",
    "UndefinedGrad",
    "RandomFunction",
}
# Rows whose node the JAX backend refuses with an error naming the op: a loop with a
# stopping condition (its number of steps is known only while it runs).
REFUSED_ROWS = {"scan_until_updates": "until"}
JAX_MODE = symgraph.Mode("JAX", passes=())
TOLERANCE = {"float64": {"rtol": 1e-9, "atol": 1e-10}, "float32": {"rtol": 2e-4, "atol": 2e-5}}
EXAMPLES = 6  # each example jit-compiles two small functions


def test_every_op_has_a_lowering_or_is_refused_by_name():
    missing = [
        f"{c.__module__}.{c.__name__}"
        for c in _op_classes()
        if c.__name__ not in NO_LOWERING and not has_lowering(c.__new__(c))
    ]
    assert not missing, f"op classes without a JAX lowering (Op.jax): {', '.join(missing)}"


@pytest.mark.parametrize("row", ROWS, ids=str)
@settings(SETTINGS, max_examples=EXAMPLES, deadline=None)
@given(data=st.data())
def test_jax_lowering_agrees_with_numpy(row, data):
    case = row.build(data)
    node = case.node
    values = [
        v.data if isinstance(v, Constant) else value for v, value in zip(node.inputs, case.values)
    ]
    with np.errstate(all="ignore"):
        fn, arguments = _compiled(node, values, "FAST_COMPILE")
        expected, error = _outcome(lambda: fn(*arguments))
    symbolic_window = isinstance(node.op, _PoolOp) and not all(
        isinstance(v, Constant) for v in node.inputs[-3:]
    )
    if type(node.op).__name__ in NO_LOWERING or row.name in REFUSED_ROWS or symbolic_window:
        # a pooling window known only at run time: XLA compiles for fixed windows
        match = "as constants" if symbolic_window else type(node.op).__name__
        match = REFUSED_ROWS.get(row.name, match)
        with pytest.raises(NotImplementedError, match=match):
            jfn, arguments = _compiled(node, values, JAX_MODE)
            jfn(*arguments)
        return
    jfn, arguments = _compiled(node, values, JAX_MODE)
    before = [np.copy(a) for a in arguments]
    actual, jax_error = _outcome(lambda: jfn(*arguments))
    for given_value, kept in zip(arguments, before):
        np.testing.assert_array_equal(
            given_value, kept, err_msg="the JAX function changed an input"
        )
    if error is not None:
        # XLA has no run-time errors: an index out of range is clamped and a singular
        # matrix gives non-finite values (documented), the shape errors are raised while
        # tracing
        if isinstance(error, (IndexError, np.linalg.LinAlgError)):
            return
        assert jax_error is not None, f"{node.op}: NumPy raised {error!r}, JAX did not"
        return
    if isinstance(jax_error, ValueError) and "while tracing" in str(jax_error):
        # a size taken from an input's value (a reshape's target, repeat's counts,
        # neibs2images's shape): refused clearly (XLA's fixed shapes)
        return
    assert jax_error is None, f"{node.op}: JAX raised {jax_error!r}"
    if getattr(node.op, "nondeterministic", False):
        for variable, value in zip(node.outputs, actual):
            assert np.asarray(value).dtype == variable.type.numpy_dtype
        return
    for index, variable in enumerate(node.outputs):
        _assert_same(
            variable, expected[index], actual[index], f"{node.op} output {index}", TOLERANCE
        )
    _check_gradient(node, values)


def _check_gradient(node, values):
    """The gradient graph of a weighted sum of the float outputs, run on both backends."""
    floats = [o for o in node.outputs if o.type.numpy_dtype.kind == "f"]
    wrt = [
        v
        for v in dict.fromkeys(node.inputs)
        if not isinstance(v, Constant) and v.type.numpy_dtype.kind == "f"
    ]
    if not floats or not wrt or node.op.destroy_map:
        return
    cost = sum(((o * np.float32(0.5 + k)).sum() for k, o in enumerate(floats)), start=0)
    try:
        grads = symgraph.grad(cost, wrt, disconnected_inputs="ignore")
    except (NotImplementedError, TypeError, ValueError):
        return  # not differentiable (the NumPy backend cannot either)
    inputs = [v for v in dict.fromkeys(node.inputs) if not isinstance(v, Constant)]
    arguments = [values[node.inputs.index(v)] for v in inputs]
    with np.errstate(all="ignore"):
        expected, error = _outcome(
            lambda: symgraph.function(inputs, grads, on_unused_input="ignore")(*arguments)
        )
    if isinstance(error, np.linalg.LinAlgError):
        return  # a singular matrix: XLA gives non-finite values instead of raising
    assert error is None, f"gradient through {node.op}: NumPy raised {error!r}"
    actual = symgraph.function(inputs, grads, mode=JAX_MODE, on_unused_input="ignore")(*arguments)
    for variable, e, a in zip(grads, expected, actual):
        _assert_same(variable, e, a, f"gradient through {node.op}", TOLERANCE)
