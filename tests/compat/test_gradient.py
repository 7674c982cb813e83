"""``theano.gradient``: Theano 1.0's names and results for undefined, disconnected and
integer gradients, ``GradClip`` / ``GradScale``, ``subgraph_grad`` and gradient names."""

import warnings

import numpy as np
import pytest

import symgraph
import symgraph.compat.theano as compat
from symgraph.compat.theano import gradient as G
from symgraph.compat.theano.compile import function
from symgraph.graph.basic import Apply, Op
from symgraph.graph.type import _SHORT_DTYPES
from symgraph.tensor import constructors as T
from symgraph.tensor.ops import math
from symgraph.tensor.variable import as_tensor, constant


class Floor(Op):
    """A user-style op whose gradient is declared undefined (or not implemented)."""

    __props__ = ("implemented",)

    def __init__(self, implemented=False):
        self.implemented = implemented

    def make_node(self, x):
        x = as_tensor(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [np.floor(inputs[0])]

    def grad(self, node, output_grads):
        (x,) = node.inputs
        if self.implemented:
            return [G.grad_undefined(self, 0, x, "floor is a step function")]
        return [G.grad_not_implemented(self, 0, x)]


def test_discrete_dtypes():
    # Theano's list: every integer and boolean dtype a tensor may have, none other.
    expected = {d for d in _SHORT_DTYPES if np.dtype(d).kind in "biu"}
    assert set(G.discrete_dtypes) == expected
    assert len(G.discrete_dtypes) == len(expected) == 9


def test_gradients_are_named_as_theano_named_them():
    x = T.dvector("x")
    w = T.dvector("w")
    cost = math.sum(x * w)
    cost.name = "cost"
    gx, gw = G.grad(cost, [x, w])
    assert gx.name == "(dcost/dx)" and gw.name == "(dcost/dw)"
    assert G.grad(cost, x, add_names=False).name is None
    unnamed = math.sum(x * w)
    assert G.grad(unnamed, x).name is None  # Theano named only when the cost had a name
    # a known gradient keeps its own name
    g = T.dvector("g_given")
    assert G.grad(None, x, known_grads={x * w: g}, disconnected_inputs="ignore") is not g
    assert g.name == "g_given"


def test_grad_with_respect_to_integer_inputs_is_float_zeros():
    i = T.ivector("i")
    x = T.dvector("x")
    cost = math.sum(x * i)
    with compat.change_flags(floatX="float32"):
        gi = G.grad(cost, i)
    assert gi.dtype == "float32"  # Theano: zeros of floatX for a discrete wrt
    gi64 = G.grad(cost, i)
    assert gi64.dtype == "float64"
    values = function([i], gi64)(np.arange(3, dtype="int32"))
    np.testing.assert_array_equal(values, [0, 0, 0])


def test_grad_with_respect_to_constants_and_disconnected_inputs():
    x = T.dvector("x")
    c = constant(np.array([1.0, 2.0, 3.0]))
    cost = math.sum(x * c)
    gc = G.grad(cost, c)  # a constant the cost uses: its ordinary gradient
    np.testing.assert_allclose(function([x], gc)(np.array([4.0, 5.0, 6.0])), [4, 5, 6])
    unused = constant(np.array([7, 8], dtype="int64"))
    with pytest.raises(G.DisconnectedInputError):
        G.grad(cost, unused)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zeros = G.grad(cost, unused, disconnected_inputs="ignore")
    assert zeros.dtype == compat.config.floatX
    np.testing.assert_array_equal(zeros.eval(), [0, 0])
    with pytest.warns(UserWarning, match="not part of the computational graph of the cost"):
        G.grad(cost, unused, disconnected_inputs="warn")
    assert G.grad(cost, unused, disconnected_inputs="ignore", return_disconnected="None") is None
    marker = G.grad(cost, unused, disconnected_inputs="ignore", return_disconnected="Disconnected")
    assert isinstance(marker.type, G.DisconnectedType)
    assert G.disconnected_type == G.DisconnectedType()


@pytest.mark.parametrize(
    "implemented, words", [(True, "mathematically undefined"), (False, "not implemented")]
)
def test_undefined_gradients_raise_only_when_used(implemented, words):
    x = T.dvector("x")
    y = T.dvector("y")
    cost = math.sum(Floor(implemented)(x) * 2 + y**2)
    with pytest.raises(G.NullTypeGradError, match=f"tensor.grad encountered a NaN.*{words}"):
        G.grad(cost, x)
    # the gradient of y does not use x's: no error, and the right value
    gy = G.grad(cost, y)
    gy_value = function([x, y], gy)(np.zeros(2), np.array([1.0, -2.0]))
    np.testing.assert_allclose(gy_value, [2, -4])
    returned = G.grad(cost, x, null_gradients="return")
    assert returned.owner is not None
    with pytest.raises(G.NullTypeGradError, match=words):
        function([x], returned, on_unused_input="ignore")(np.zeros(2))


def test_grad_undefined_carries_theanos_null_type():
    x = T.dvector("x")
    null = G.grad_undefined("MyOp", 1, x, "because")
    assert isinstance(null.tag.null_type, G.NullType)
    assert null.tag.null_type.why_null == (
        f"This variable is Null because the grad method for input 1 ({x}) of the MyOp op "
        "is mathematically undefined. because"
    )
    assert null.type.shape == x.type.shape
    with pytest.raises(G.NullTypeGradError):
        G.grad(math.sum(G.undefined_grad(x) ** 2), x)
    np.testing.assert_allclose(G.undefined_grad(x).eval({x: np.array([1.5])}), [1.5])


def test_grad_clip_and_grad_scale_classes():
    x = T.dscalar("x")
    clip = G.GradClip(-1.0, 1.5)
    assert (clip.clip_lower_bound, clip.clip_upper_bound) == (-1.0, 1.5)
    gx = G.grad(clip(x) ** 3, x)  # 3x^2 clipped
    f = function([x], gx)
    assert f(0.5) == pytest.approx(0.75) and f(2.0) == pytest.approx(1.5)
    scale = G.GradScale(-0.5)
    assert scale.multiplier == -0.5
    gs = function([x], G.grad(scale(x) ** 2, x))
    assert gs(3.0) == pytest.approx(-3.0)
    # the same node the function forms build, so the rewrite removing it applies
    assert clip(x).owner.op == G.grad_clip(x, -1.0, 1.5).owner.op
    assert clip == G.GradClip(-1, 1.5) and scale != G.GradScale(2.0)
    assert function([x], scale(x) * 2)(3.0) == pytest.approx(6.0)


def test_grad_clip_and_scale_verify_grad_inside_their_range():
    rng = np.random.default_rng(0)
    symgraph.verify_grad(lambda v: G.GradScale(1.0)(v) ** 2, [rng.normal(size=3)], rng=rng)
    symgraph.verify_grad(
        lambda v: math.sum(G.GradClip(-100.0, 100.0)(v) * v), [rng.normal(size=3)], rng=rng
    )


def test_subgraph_grad_matches_the_whole_gradient():
    x = T.dvector("x")
    w1 = symgraph.shared(np.array([[0.5, -1.0], [2.0, 0.25]]), name="w1")
    w2 = symgraph.shared(np.array([1.5, -0.5]), name="w2")
    h = math.tanh(symgraph.tensor.dot(x, w1))
    cost = math.sum(symgraph.tensor.dot(h, w2) ** 2)
    whole = G.grad(cost, [w1, w2])
    # top block: the cost to w2 and h; then h's gradient carried into the bottom block
    (g_w2,), (g_h,) = G.subgraph_grad([w2], [h], cost=cost)
    (g_w1,), (g_x,) = G.subgraph_grad([w1], [x], start={h: g_h})
    wrt_grads, end_grads, start_grads, cost_grads = G.subgraph_grad(
        [w2], [h], cost=cost, details=True
    )
    assert start_grads is None and len(cost_grads) == 2
    value = np.array([0.3, -0.7])
    reference = function([x], whole)(value)
    ours = function([x], [g_w1, g_w2])(value)
    for a, b in zip(reference, ours):
        np.testing.assert_allclose(a, b)
    # by hand: d/dw2 = 2 * (h.w2) * h
    hv = np.tanh(value @ w1.get_value())
    np.testing.assert_allclose(ours[1], 2 * (hv @ w2.get_value()) * hv)
    with pytest.raises(ValueError):
        G.subgraph_grad([w1], [x])


def test_theano_names_resolve(theano_installed):
    import theano.gradient as tg

    assert tg.grad_undefined is G.grad_undefined and tg.DisconnectedType is G.DisconnectedType
    assert compat.grad is G.grad


@pytest.fixture
def theano_installed():
    already = compat.installed()
    compat.install()
    yield
    if not already:
        compat.uninstall()


def test_consider_constant_blocks_below_but_the_variable_keeps_its_gradient():
    x = T.dvector("x")
    h = math.exp(x)
    cost = math.sum(h**2)
    g_h, g_x = G.grad(cost, [h, x], consider_constant=[h], disconnected_inputs="ignore")
    value = np.array([0.1, -0.4])
    np.testing.assert_allclose(function([x], g_h)(value), 2 * np.exp(value))  # Theano's
    np.testing.assert_array_equal(function([x], g_x)(value), [0, 0])  # blocked below h


def test_jacobian_and_hessian_of_unknown_length_under_theanos_names():
    # Theano's tutorial: the Jacobian of x ** 2 and the Hessian of sum(x ** 2) for a
    # vector whose length the graph does not know.
    tensor = compat.tensor
    assert G.jacobian is tensor.jacobian is symgraph.jacobian
    assert G.hessian is tensor.hessian is symgraph.hessian
    x = tensor.dvector("x")
    f = function([x], [G.jacobian(x**2, x), G.hessian((x**2).sum(), x)])
    for xv in (np.array([4.0, 4.0]), np.array([1.0, -2.0, 3.0, 0.5])):
        jacobian, hessian = f(xv)
        np.testing.assert_allclose(jacobian, np.diag(2 * xv))
        np.testing.assert_allclose(hessian, 2 * np.eye(len(xv)))
