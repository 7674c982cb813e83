"""``verify_grad``: a right gradient passes; a wrong one fails naming the input, the worst
entry and its error; a gradient of the wrong shape and integer points are refused."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import MODES

import symgraph
import symgraph.tensor as T
from symgraph.graph.basic import Apply, Op


class _SquareOp(Op):
    """x**2 with a gradient that is right, or wrong by a chosen factor at one position."""

    __props__ = ("wrong_factor",)

    def __init__(self, wrong_factor: float = 1.0) -> None:
        self.wrong_factor = wrong_factor

    def make_node(self, x):
        x = T.as_tensor(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [inputs[0] ** 2]

    def grad(self, node, output_grads):
        (x,) = node.inputs
        (gz,) = output_grads
        right = 2 * x * gz
        if self.wrong_factor == 1.0:
            return [right]
        # wrong only at the last position of the first axis
        return [T.inc_subtensor(right[-1], right[-1] * (self.wrong_factor - 1.0))]


def test_verify_grad_accepts_a_right_gradient():
    point = [np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -0.1]])]
    for mode in MODES:
        symgraph.verify_grad(_SquareOp(), point, mode=mode)
        symgraph.verify_grad(lambda x: _SquareOp()(x).sum(), point, mode=mode)
    symgraph.verify_grad(_SquareOp(), [point[0].astype(np.float32)])


def test_verify_grad_raises_on_a_wrong_gradient_naming_the_worst_error():
    point = [np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -4.0]])]
    with pytest.raises(symgraph.GradientError) as info:
        symgraph.verify_grad(_SquareOp(1.5), point, rng=np.random.default_rng(0))
    error = info.value
    assert isinstance(error, AssertionError)
    message = str(error)
    # the worst wrong entry is the largest |x| in the last row: index (1, 2)
    assert "input 0" in message and "(1, 2)" in message
    assert error.abs_err > 0.1 and error.rel_err > 0.1
    assert f"{error.abs_err:.3g}" in message
    with pytest.raises(symgraph.GradientError):
        symgraph.verify_grad(lambda x: _SquareOp(3.0)(x) * 2.0, [point[0].astype(np.float32)])


def test_verify_grad_reports_the_input_with_the_wrong_gradient():
    a = np.array([0.5, 1.5])
    b = np.array([2.0, -1.0, 3.0])
    with pytest.raises(symgraph.GradientError, match="input 1"):
        symgraph.verify_grad(lambda x, y: x.sum() * _SquareOp(2.0)(y), [a, b])


class _WrongShapeGradOp(Op):
    """Sum of x, with a gradient of the wrong shape (a common bug in a new op)."""

    def make_node(self, x):
        x = T.as_tensor(x)
        return Apply(self, [x], [T.TensorType(x.dtype, ())])

    def perform(self, node, inputs):
        return [np.asarray(inputs[0].sum())]

    def grad(self, node, output_grads):
        (x,) = node.inputs
        return [T.alloc(output_grads[0], 1, x.shape[1])]  # (1, n) instead of x's (m, n)


def test_verify_grad_rejects_a_gradient_of_the_wrong_shape():
    with pytest.raises(symgraph.GradientError, match="shape"):
        symgraph.verify_grad(_WrongShapeGradOp(), [np.ones((3, 2))])


def test_verify_grad_argument_errors():
    with pytest.raises(TypeError, match="float"):
        symgraph.verify_grad(lambda x: x * 2, [np.array([1, 2])])


def test_verify_grad_inputs_of_length_one_broadcast():
    """A point with an axis of length 1 (batch statistics of shape (1, n)) becomes an input
    broadcastable along it, as Theano's verify_grad made it, so ``fun`` may broadcast it."""
    rng = np.random.default_rng(3)
    x, mean = rng.random((5, 4)), rng.random((1, 4))
    symgraph.verify_grad(lambda a, m: ((a - m) ** 2).sum(), [x, mean], rng=rng)
    seen = []
    symgraph.verify_grad(lambda a, m: seen.append(m.broadcastable) or a - m, [x, mean], rng=rng)
    assert seen[0] == (True, False)
    # a wrong gradient is still caught through the broadcast axis
    with pytest.raises(symgraph.GradientError):
        symgraph.verify_grad(lambda a, m: (a - symgraph.zero_grad(m)) ** 2, [x, mean])
