"""Ops written for Theano (``theano.gof.Op``): compiled, run, differentiated, shape-
inferred, printed, pickled and kept safe from in-place rewrites, as Theano documents."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from helpers import SETTINGS
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symgraph
import symgraph.compat.theano as theano
from symgraph.compat.theano import gof
from symgraph.compat.theano import tensor as T
from symgraph.compat.theano.gradient import DisconnectedType, NullTypeGradError, grad_undefined
from symgraph.graph.perform import PerformOutputError

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")
MODES = ("FAST_RUN", "FAST_COMPILE")


class DoubleOp(gof.Op):
    """The tutorial's op, written the way Theano users write it."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return gof.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2

    def infer_shape(self, node, i0_shapes):
        return i0_shapes

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 2]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return eval_points
        return self.grad(inputs, eval_points)


class Counting(gof.Op):
    """x + 1 counting its runs, with the later ``infer_shape(fgraph, node, shapes)``."""

    __props__ = ()
    runs = 0

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return gof.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        Counting.runs += 1
        output_storage[0][0] = inputs[0] + 1

    def infer_shape(self, fgraph, node, shapes):
        assert fgraph is None
        return [shapes[0]]


class Scale(gof.Op):
    """``factor * x`` with a parameter, ``itypes``/``otypes`` and ``L_op``."""

    __props__ = ("factor",)
    itypes = [T.dvector]
    otypes = [T.dvector]

    def __init__(self, factor):
        self.factor = factor

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.factor * inputs[0]

    def L_op(self, inputs, outputs, output_grads):
        assert outputs[0].owner.op is self
        return [output_grads[0] * self.factor]


class NoProps(gof.Op):
    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return gof.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0].copy()


class SplitSign(gof.Op):
    """Two outputs (positive and negative parts) and an integer count; the gradient of a
    part nothing flows into arrives as zeros, of the count as Theano's disconnected
    marker; ``default_output`` makes a call return the positive part."""

    __props__ = ()
    default_output = 0

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return gof.Apply(self, [x], [x.type(), x.type(), T.lscalar()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = np.maximum(x, 0)
        output_storage[1][0] = np.minimum(x, 0)
        output_storage[2][0] = np.asarray((x > 0).sum(), dtype="int64")

    def grad(self, inputs, output_grads):
        (x,) = inputs
        gpos, gneg, gcount = output_grads
        assert isinstance(gcount.type, DisconnectedType)
        return [T.switch(T.gt(x, 0), gpos, gneg)]


class WithIndex(gof.Op):
    """``x[i]``: no gradient for the integer index, by connection_pattern and by the
    returned marker; ``grad_undefined`` for a second, float input."""

    __props__ = ()

    def make_node(self, x, i, y):
        x, i, y = (T.as_tensor_variable(v) for v in (x, i, y))
        return gof.Apply(self, [x, i, y], [T.dscalar()])

    def perform(self, node, inputs, output_storage):
        x, i, y = inputs
        output_storage[0][0] = np.asarray(x[i] + 0 * y, dtype="float64")

    def connection_pattern(self, node):
        return [[True], [False], [True]]

    def grad(self, inputs, output_grads):
        x, i, y = inputs
        onehot = T.eq(T.arange(x.shape[0]), i) * output_grads[0]
        return [onehot, DisconnectedType()(), grad_undefined(self, 2, y)]


class BadDtype(gof.Op):
    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return gof.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0].astype("float32")


class Forgets(gof.Op):
    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return gof.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        pass


class Overwrites(gof.Op):
    """Writes into its input: ``destroy_map`` is given to the constructor, so the same op
    can be written with and without declaring it."""

    def __init__(self, declare):
        self.destroy_map = {0: [0]} if declare else {}

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return gof.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        x *= 3
        output_storage[0][0] = x


class Passes(gof.Op):
    """Returns its input as its output without declaring a view."""

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return gof.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0]


arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4),
    elements=st.floats(-100, 100),
)


@SETTINGS
@given(arrays)
def test_double_op_computes_in_every_mode(value):
    x = T.tensor("float64", shape=(None,) * value.ndim, name="x")
    for mode in MODES:
        f = theano.function([x], DoubleOp()(x), mode=mode)
        np.testing.assert_array_equal(f(value), value * 2)


def test_the_generated_source_calls_the_op():
    x = T.matrix("x")
    f = theano.function([x], DoubleOp()(x))
    (line,) = [line for line in f.source.splitlines() if "DoubleOp" in line]
    assert "_perform_DoubleOp((a0,))" in line and "test_gof_op.py" in line


def test_gradient_from_grad_and_from_l_op_match_finite_differences():
    rng = np.random.default_rng(0)
    theano.gradient.verify_grad(lambda a: DoubleOp()(a).sum(), [rng.normal(size=(3, 2))], rng=rng)
    theano.gradient.verify_grad(lambda a: (Scale(1.5)(a) ** 2).sum(), [rng.normal(size=4)])
    x = T.dvector("x")
    g = theano.function([x], T.grad(Scale(-2.0)(x).sum(), x))
    np.testing.assert_array_equal(g(np.zeros(3)), [-2.0, -2.0, -2.0])


def test_theano_style_calls_of_the_methods_still_work():
    x = T.dvector("x")
    op = DoubleOp()
    node = op.make_node(x)
    storage = [[None]]
    op.perform(node, [np.arange(2.0)], storage)
    np.testing.assert_array_equal(storage[0][0], [0.0, 2.0])
    (g,) = op.grad([x], [x])
    np.testing.assert_array_equal(g.eval({x: np.ones(2)}), [2.0, 2.0])


def test_shapes_are_inferred_without_running_the_op():
    x = T.matrix("x")
    f = theano.function([x], Counting()(x).shape)
    Counting.runs = 0
    assert tuple(f(np.zeros((3, 7), dtype=x.dtype))) == (3, 7)
    assert Counting.runs == 0


def test_r_op_is_what_rop_uses():
    class OnlyROp(DoubleOp):
        def grad(self, inputs, output_grads):
            raise AssertionError("Rop must use R_op, not the gradient")

        def R_op(self, inputs, eval_points):
            return [eval_points[0] * 2]

    x, v = T.dvector("x"), T.dvector("v")
    y = T.exp(OnlyROp()(x))
    f = theano.function([x, v], T.Rop(y, x, v))
    xv, vv = np.array([0.1, -0.3]), np.array([1.0, 2.0])
    np.testing.assert_allclose(f(xv, vv), np.exp(2 * xv) * 2 * vv)


def test_props_equality_hashing_and_printing():
    assert DoubleOp() == DoubleOp() and hash(DoubleOp()) == hash(DoubleOp())
    assert Scale(2.0) == Scale(2.0) != Scale(3.0)
    assert str(Scale(2.0)) == "Scale{factor=2.0}" and str(DoubleOp()) == "DoubleOp"
    op = NoProps()
    assert op != NoProps() and op == op and hash(op) != hash(NoProps())
    x = T.dvector("x")
    text = theano.printing.debugprint(Scale(2.0)(DoubleOp()(x)), file="str")
    assert "Scale{factor=2.0}" in text and "DoubleOp" in text
    assert str(DoubleOp()(x)) == "DoubleOp"


def test_equal_ops_are_merged_and_unequal_ones_are_not():
    x = T.dvector("x")
    f = theano.function([x], [DoubleOp()(x) + DoubleOp()(x), NoProps()(x) + NoProps()(x)])
    names = [type(node.op).__name__ for node in f.maker.fgraph.toposort()]
    assert names.count("DoubleOp") == 1 and names.count("NoProps") == 2
    a, b = f(np.arange(3.0))
    np.testing.assert_array_equal(a, np.arange(3.0) * 4)
    np.testing.assert_array_equal(b, np.arange(3.0) * 2)


def test_itypes_refuse_a_wrong_input_naming_it():
    x = T.fvector("x")
    with pytest.raises(TypeError, match=r"Scale\{factor=2\}: input 0 'x' is float32 vector, "):
        Scale(2)(x)
    with pytest.raises(ValueError, match="expected 1 inputs, got 2"):
        Scale(2)(T.dvector(), T.dvector())


def test_several_outputs_default_output_and_disconnected_gradients():
    x = T.dvector("x")
    op = SplitSign()
    positive = op(x)
    node = positive.owner
    assert positive is node.outputs[0]
    f = theano.function([x], [node.outputs[0], node.outputs[1], node.outputs[2]])
    pos, neg, count = f(np.array([-1.0, 2.0, 3.0]))
    assert pos.tolist() == [0.0, 2.0, 3.0] and neg.tolist() == [-1.0, 0.0, 0.0] and count == 2
    theano.gradient.verify_grad(lambda a: SplitSign()(a).sum() * 3, [np.array([0.5, -1.5])])


def test_connection_pattern_disconnected_and_undefined_gradients():
    x, i, y = T.dvector("x"), T.lscalar("i"), T.dscalar("y")
    out = WithIndex()(x, i, y)
    g = theano.function([x, i, y], T.grad(out, x))
    assert g(np.zeros(3), 1, 0.0).tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(NullTypeGradError, match="mathematically undefined"):
        T.grad(out, y)


def test_wrong_or_missing_outputs_are_refused_naming_the_op():
    x = T.dvector("x")
    f = theano.function([x], BadDtype()(x))
    with pytest.raises(PerformOutputError, match=r"BadDtype.perform: output 0 .* float32"):
        f(np.zeros(2))
    f = theano.function([x], Forgets()(x))
    with pytest.raises(TypeError, match=r"Forgets.perform did not set output_storage\[0\]\[0\]"):
        f(np.zeros(2))


def test_an_error_in_perform_names_the_op_and_the_users_line():
    class Fails(DoubleOp):
        def perform(self, node, inputs, output_storage):
            raise RuntimeError("broken kernel")

    x = T.dvector("x")
    f = theano.function([x], Fails()(x) + 1)
    with pytest.raises(RuntimeError, match="broken kernel") as error:
        f(np.zeros(2))
    notes = "\n".join(error.value.__notes__)
    assert "computing Fails on (x: float64[2])" in notes
    assert "test_gof_op.py" in notes and "Fails()(x) + 1" in notes


@pytest.mark.parametrize("mode", MODES)
def test_an_op_overwriting_its_input_undeclared_is_stopped(mode):
    x = T.dvector("x")
    f = theano.function([x], Overwrites(declare=False)(x * 2), mode=mode)
    value = np.arange(3.0)
    with pytest.raises(ValueError, match="read-only") as error:
        f(value)
    assert any("does not declare in destroy_map" in note for note in error.value.__notes__)


@pytest.mark.parametrize("mode", MODES)
def test_an_op_declaring_destroy_map_never_corrupts_a_value(mode):
    x = T.dvector("x")
    t = x * 2
    f = theano.function([x], [Overwrites(declare=True)(x), Overwrites(declare=True)(t), t + 1])
    value = np.arange(3.0)
    tripled, tripled_double, double_plus_one = f(value)
    np.testing.assert_array_equal(value, np.arange(3.0))
    np.testing.assert_array_equal(tripled, value * 3)
    np.testing.assert_array_equal(tripled_double, value * 6)
    np.testing.assert_array_equal(double_plus_one, value * 2 + 1)


@pytest.mark.parametrize("mode", MODES)
def test_an_output_that_is_an_undeclared_view_is_not_overwritten_in_place(mode):
    # Without a declared view, in-place rewriting of ``y * 2 + 1`` would write into y's
    # buffer, which is the caller's array.
    x = T.dvector("x")
    y = Passes()(x)
    f = theano.function([x], [y * 2 + 1, T.exp(y)], mode=mode)
    value = np.arange(3.0)
    a, b = f(value)
    np.testing.assert_array_equal(value, np.arange(3.0))
    np.testing.assert_array_equal(a, value * 2 + 1)
    np.testing.assert_allclose(b, np.exp(value))


def test_functions_with_user_ops_pickle():
    x = T.dvector("x")
    f = theano.function([x], [Scale(3.0)(DoubleOp()(x)), T.grad(Scale(3.0)(x).sum(), x)])
    g = pickle.loads(pickle.dumps(f))
    for a, b in zip(f(np.arange(3.0)), g(np.arange(3.0))):
        np.testing.assert_array_equal(a, b)
    assert pickle.loads(pickle.dumps(Scale(3.0))) == Scale(3.0)


def test_the_tutorial_script_runs_through_the_runner():
    result = subprocess.run(
        [sys.executable, "-m", "symgraph.compat.theano", os.path.join(SCRIPTS, "double_op.py")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for line in ("DoubleOp doubles (5, 4)", "infer_shape gives (5, 4)", "grad is 2"):
        assert line in result.stdout
    for line in ("verify_grad passed", "R_op gives 2 v", "as_op numpy_dot (3, 2)"):
        assert line in result.stdout


def test_theano_names(theano):
    import theano.tensor

    assert theano.Op is gof.Op is gof.PureOp and theano.gof.Apply is gof.Apply
    assert theano.tensor.Variable is symgraph.graph.Variable is gof.Variable
    assert issubclass(gof.Op, symgraph.graph.Op) and issubclass(gof.Apply, symgraph.graph.Apply)


def test_a_user_op_inside_a_scan_step_runs_and_differentiates():
    x = T.dmatrix("x")
    rows, _ = theano.scan(lambda row: DoubleOp()(row).sum(), sequences=x)
    f = theano.function([x], [rows, T.grad(rows.sum(), x)])
    value = np.arange(6.0).reshape(3, 2)
    sums, g = f(value)
    np.testing.assert_array_equal(sums, 2 * value.sum(axis=1))
    np.testing.assert_array_equal(g, np.full((3, 2), 2.0))
