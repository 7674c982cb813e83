"""Ops written in Python (``perform`` only): symgraph's own way to define an op, and the
guard every such op runs behind (read-only inputs, unaliased outputs, checked values)."""

import pathlib

import numpy as np
import pytest
from helpers import SETTINGS
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symgraph
import symgraph.tensor as T
from symgraph.graph import Apply, Op
from symgraph.graph.perform import PerformOutputError, run_perform
from symgraph.tensor.variable import as_tensor, constant

MODES = ("FAST_RUN", "FAST_COMPILE")


class ScaledSquare(Op):
    """``scale * x**2``, written in Python: the example of CONTRIBUTING.md."""

    __props__ = ("scale",)

    def __init__(self, scale: float) -> None:
        self.scale = float(scale)

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        (x,) = inputs
        return [(self.scale * x * x).astype(x.dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, node, output_grads):
        (x,), (g,) = node.inputs, output_grads
        return [g * (2 * self.scale) * x]


class CountingSquare(ScaledSquare):
    """ScaledSquare counting how often it runs (to see what shape inference spares)."""

    calls = 0

    def perform(self, node, inputs):
        CountingSquare.calls += 1
        return super().perform(node, inputs)


class Python(Op):
    """An op computing ``function(*inputs)`` in Python with the given ``view_map`` and
    ``destroy_map``; its output has the type ``output_type`` or the first input's."""

    def __init__(self, function, view_map=None, destroy_map=None, output_type=None):
        self.function = function
        self.view_map = view_map or {}
        self.destroy_map = destroy_map or {}
        self.output_type = output_type

    def make_node(self, *inputs) -> Apply:
        inputs = [as_tensor(x) for x in inputs]
        return Apply(self, inputs, [self.output_type or inputs[0].type])

    def perform(self, node, inputs):
        return [self.function(*inputs)]


arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    elements=st.floats(-10, 10),
)


@SETTINGS
@given(arrays, st.floats(-3, 3))
def test_python_op_computes_in_every_mode(value, scale):
    x = T.tensor("float64", shape=(None,) * value.ndim, name="x")
    y = ScaledSquare(scale)(x)
    for mode in MODES:
        (result,) = symgraph.function([x], [y], mode=mode)(value)
        np.testing.assert_allclose(result, scale * value**2, rtol=1e-12)


def test_the_generated_source_calls_the_op_by_name():
    x = T.vector("x")
    f = symgraph.function([x], ScaledSquare(3.0)(x))
    (line,) = [line for line in f.source.splitlines() if "ScaledSquare" in line]
    assert "= k" in line and "_perform_ScaledSquare((a0,))" in line
    assert "test_perform.py" in line  # the user's line that applied the op


def test_python_op_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    symgraph.verify_grad(lambda x: ScaledSquare(1.5)(x).sum(), [rng.normal(size=(3, 4))])


def test_shape_of_a_python_op_is_inferred_without_running_it():
    x = T.matrix("x")
    y = CountingSquare(2.0)(x)
    f = symgraph.function([x], y.shape[1])
    CountingSquare.calls = 0
    assert f(np.zeros((2, 5))) == 5
    assert CountingSquare.calls == 0


def test_props_give_equality_hashing_and_printing():
    assert ScaledSquare(2) == ScaledSquare(2.0) and ScaledSquare(2) != ScaledSquare(3)
    assert hash(ScaledSquare(2)) == hash(ScaledSquare(2.0))
    assert str(ScaledSquare(2)) == "ScaledSquare{scale=2.0}"
    x = T.vector("x")
    assert str(ScaledSquare(2)(x)) == "ScaledSquare{scale=2.0}"
    assert "ScaledSquare{scale=2.0}" in symgraph.debugprint(ScaledSquare(2)(x), file="str")


def test_writing_into_an_undeclared_input_is_refused_and_named():
    def increments(x):
        x += 1
        return x

    x = T.vector("x")
    f = symgraph.function([x], Python(increments)(x * 2) + 1, mode="FAST_COMPILE")
    value = np.arange(3.0)
    with pytest.raises(ValueError, match="read-only") as error:
        f(value)
    notes = "\n".join(error.value.__notes__)
    assert "Python.perform wrote into an input it does not declare in destroy_map" in notes
    assert "test_perform.py" in notes and "Python(increments)" in notes
    np.testing.assert_array_equal(value, np.arange(3.0))


@pytest.mark.parametrize("mode", MODES)
def test_an_output_aliasing_an_undeclared_input_is_copied(mode):
    # The identity hands back its input; without the copy, the in-place pass would make
    # ``y * 2 + 1`` write into that buffer: the caller's array.
    x = T.vector("x")
    y = Python(lambda v: v)(x)
    f = symgraph.function([x], [y * 2 + 1, x.sum()], mode=mode)
    value = np.arange(4.0)
    doubled, total = f(value)
    np.testing.assert_array_equal(value, np.arange(4.0))
    np.testing.assert_array_equal(doubled, np.arange(4.0) * 2 + 1)
    assert total == 6.0


@pytest.mark.parametrize("mode", MODES)
def test_a_declared_view_stays_a_view(mode):
    x = T.vector("x")
    reversed_view = Python(lambda v: v[::-1], view_map={0: [0]})
    node = reversed_view.make_node(x)
    value = np.arange(3.0)
    (out,) = run_perform(node, [value])
    assert np.shares_memory(out, value) and out.flags.writeable
    (result,) = symgraph.function([x], [reversed_view(x) + 1], mode=mode)(value)
    np.testing.assert_array_equal(result, [3.0, 2.0, 1.0])
    np.testing.assert_array_equal(value, np.arange(3.0))


def _add_one_in_place(v):
    v += 1
    return v


@pytest.mark.parametrize("mode", MODES)
def test_a_declared_overwrite_of_a_function_input_gets_a_copy(mode):
    x = T.vector("x")
    bump = Python(_add_one_in_place, destroy_map={0: [0]})
    f = symgraph.function([x], bump(x), mode=mode)
    value = np.arange(3.0)
    np.testing.assert_array_equal(f(value), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(value, np.arange(3.0))  # the caller's array is intact
    assert ".copy()" in f.source


@pytest.mark.parametrize("mode", MODES)
def test_a_declared_overwrite_of_a_value_read_later_gets_a_copy(mode):
    x = T.vector("x")
    t = x * 2
    bump = Python(_add_one_in_place, destroy_map={0: [0]})
    f = symgraph.function([x], [bump(t), t + 0.5], mode=mode)
    bumped, later = f(np.arange(3.0))
    np.testing.assert_array_equal(bumped, np.arange(3.0) * 2 + 1)
    np.testing.assert_array_equal(later, np.arange(3.0) * 2 + 0.5)


def test_a_declared_overwrite_of_a_dead_temporary_happens_in_place():
    x = T.vector("x")
    bump = Python(_add_one_in_place, destroy_map={0: [0]})
    f = symgraph.function([x], bump(T.exp(x)), mode="FAST_COMPILE")
    assert ".copy()" not in f.source
    np.testing.assert_allclose(f(np.zeros(2)), [2.0, 2.0])


def test_constant_folding_never_writes_into_a_constant():
    data = np.arange(3.0)
    c = constant(data)
    bump = Python(_add_one_in_place, destroy_map={0: [0]})
    x = T.vector("x")
    f = symgraph.function([x], [bump(c) + x, c + x])
    bumped, plain = f(np.zeros(3))
    np.testing.assert_array_equal(bumped, np.arange(3.0) + 1)
    np.testing.assert_array_equal(plain, np.arange(3.0))
    np.testing.assert_array_equal(c.data, np.arange(3.0))


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (lambda v: v.astype("float32"), r"is a float32 array with 1 dimensions"),
        (lambda v: v[None], r"is a float64 array with 2 dimensions"),
        (lambda v: list(v), r"is a list, not a numpy.ndarray"),
        (lambda v: None, r"was not computed"),
    ],
)
def test_a_wrong_output_value_is_refused_naming_the_op(function, message):
    x = T.vector("x")
    f = symgraph.function([x], Python(function)(x), mode="FAST_COMPILE")
    prefix = r"Python.perform: output 0 \(float64 vector\) "
    with pytest.raises(PerformOutputError, match=prefix + message):
        f(np.arange(3.0))


def test_a_wrong_static_size_is_refused():
    x = T.tensor("float64", shape=(3,), name="x")
    node = Python(lambda v: np.zeros(4)).make_node(x)
    with pytest.raises(PerformOutputError, match=r"has shape \(4,\)"):
        run_perform(node, [np.zeros(3)])


def test_a_0d_output_may_be_a_numpy_scalar():
    x = T.vector("x")
    total = Python(np.sum, output_type=T.scalar().type)
    (result,) = symgraph.function([x], [total(x)], mode="FAST_COMPILE")(np.arange(4.0))
    assert result == 6.0 and isinstance(result, np.ndarray)


def test_an_error_inside_perform_names_the_op_and_the_users_line():
    def fails(v):
        raise ZeroDivisionError("no")

    x = T.vector("x")
    f = symgraph.function([x], Python(fails)(x) * 2)
    with pytest.raises(ZeroDivisionError) as error:
        f(np.arange(2.0))
    notes = "\n".join(error.value.__notes__)
    assert "computing Python on (x: float64[2])" in notes
    assert 'test_perform.py", line' in notes and "Python(fails)(x) * 2" in notes


def test_the_example_in_contributing_runs():
    path = pathlib.Path(__file__).resolve().parents[2] / "CONTRIBUTING.md"
    section = path.read_text().split("## An op written in Python", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, str(path), "exec"), namespace)
    op = namespace["ScaledSquare"](2)
    assert str(op) == "ScaledSquare{scale=2.0}" and op == namespace["ScaledSquare"](2.0)
    x = T.matrix("x")
    f = symgraph.function([x], [op(x), op(x).shape])
    assert "_perform_ScaledSquare((a0,))" in f.source
    value = np.random.default_rng(4).normal(size=(2, 3))
    squared, shape = f(value)
    np.testing.assert_allclose(squared, 2 * value**2, rtol=1e-12)
    assert tuple(shape) == (2, 3)
    symgraph.verify_grad(lambda a: op(a).sum(), [value])
