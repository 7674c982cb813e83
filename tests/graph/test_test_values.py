"""``config.compute_test_value``: building a node computes its outputs' test values from
its inputs' with the op's own implementation, so a shape error is raised where the
mis-shaped node is built."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T
from symgraph.config import ConfigError, config


@pytest.fixture
def raising():
    with config.change_flags(compute_test_value="raise"):
        yield


@settings(deadline=None, max_examples=20)
@given(rows=st.integers(1, 4), inner=st.integers(1, 4), cols=st.integers(1, 4))
def test_values_follow_the_graph_as_numpy_computes_it(rows, inner, cols):
    rng = np.random.default_rng(rows * 100 + inner * 10 + cols)
    xv, wv, bv = (
        rng.normal(size=(rows, inner)),
        rng.normal(size=(inner, cols)),
        rng.normal(size=cols),
    )
    with config.change_flags(compute_test_value="raise"):
        x = T.matrix("x", dtype="float64")
        x.tag.test_value = xv
        W = symgraph.shared(wv, name="W")
        b = T.constant(bv)
        h = T.tanh(T.dot(x, W) + b)
        cost = (h**2).sum()
    np.testing.assert_allclose(h.tag.test_value, np.tanh(xv @ wv + bv))
    np.testing.assert_allclose(cost.tag.test_value, (np.tanh(xv @ wv + bv) ** 2).sum())
    assert h.tag.test_value.dtype == h.dtype


def test_a_shape_error_is_raised_at_the_line_that_builds_the_node(raising):
    x = T.matrix("x", dtype="float64")
    x.tag.test_value = np.ones((5, 10))
    W = symgraph.shared(np.ones((3, 4)), name="W")
    with pytest.raises(ValueError, match="not aligned") as info:
        T.dot(x, W)
    assert any("(5, 10), (3, 4)" in note for note in info.value.__notes__)
    assert (
        info.traceback[0].frame.code.name
        == "test_a_shape_error_is_raised_at_the_line_that_builds_the_node"
    )


def test_a_broadcast_mismatch_is_raised_while_building(raising):
    a, b = T.vector("a", dtype="float64"), T.vector("b", dtype="float64")
    a.tag.test_value, b.tag.test_value = np.ones(3), np.ones(4)
    with pytest.raises(ValueError):
        a + b


def test_missing_test_values_by_mode():
    z = T.matrix("z", dtype="float64")
    with config.change_flags(compute_test_value="raise"):
        with pytest.raises(ValueError, match="input 0 \\('z'\\) has none"):
            z * 2
    with config.change_flags(compute_test_value="warn"):
        with pytest.warns(UserWarning, match="'z'"):
            y = z * 2
    assert "test_value" not in y.tag
    with config.change_flags(compute_test_value="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = z * 2
    assert "test_value" not in y.tag


def test_off_computes_nothing():
    x = T.vector("x", dtype="float64")
    x.tag.test_value = np.ones(3)
    assert config.compute_test_value == "off"
    assert "test_value" not in (x * 2).tag


def test_a_mistyped_test_value_names_the_variable(raising):
    x = T.matrix("x", dtype="float64")
    x.tag.test_value = np.ones(3)
    with pytest.raises(TypeError, match="test value of 'x'.*2 dimension"):
        x * 2


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_compiling_needs_no_test_values(raising, mode):
    """The graph copies and rewritten nodes made while compiling have no test values."""
    x = T.vector("x", dtype="float64")
    x.tag.test_value = np.array([1.0, 2.0])
    y = T.vector("y", dtype="float64")
    y.tag.test_value = np.array([0.5, 0.25])
    z = T.vector("z", dtype="float64")
    z.tag.test_value = np.array([1.0, 1.0])
    cost = (T.exp(x) * 3 + T.log(y) * 2).sum()
    g = symgraph.grad(cost, x)
    f = symgraph.function([x, z], [T.exp(x) * 3, g], givens={y: z * 2}, mode=mode)
    xv, zv = np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0])
    out, grad = f(xv, zv)
    np.testing.assert_allclose(out, np.exp(xv) * 3)
    np.testing.assert_allclose(grad, np.exp(xv) * 3)
    np.testing.assert_array_equal(x.tag.test_value, [1.0, 2.0])


def test_the_option_is_checked():
    with pytest.raises(ConfigError, match="compute_test_value"):
        config.compute_test_value = "sometimes"
