"""``theano.scalar.upcast``: NumPy's promotion, kept at floatX where integers widened it."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import symgraph.compat.theano as compat

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "float16", "float32", "float64"]


@pytest.mark.parametrize(
    "dtypes, floatx, expected",
    [
        (("int64", "float32"), "float32", "float32"),  # NumPy says float64
        (("int64", "float32"), "float64", "float64"),
        (("bool", "float32"), "float32", "float32"),  # the HMC tutorial's acceptance mean
        (("int16", "float16"), "float32", "float32"),
        (("int64", "float16"), "float32", "float32"),
        (("float64", "float32"), "float32", "float64"),  # asked for explicitly
        (("int32", "int8"), "float32", "int32"),
        (("float32",), "float32", "float32"),
    ],
)
def test_upcast_cases(theano, dtypes, floatx, expected):
    with theano.config.change_flags(floatX=floatx):
        assert theano.scalar.upcast(*dtypes) == expected


@given(st.lists(st.sampled_from(DTYPES), min_size=1, max_size=4))
def test_upcast_is_numpys_promotion_under_float64(dtypes):
    with compat.config.change_flags(floatX="float64"):
        assert compat.scalar.upcast(*dtypes) == str(np.result_type(*dtypes))


@given(st.lists(st.sampled_from(DTYPES), min_size=1, max_size=4))
def test_upcast_under_float32_never_widens_past_the_widest_float_given(dtypes):
    numpy_result = np.result_type(*dtypes)
    with compat.config.change_flags(floatX="float32"):
        result = np.dtype(compat.scalar.upcast(*dtypes))
    widest = max((np.dtype(d).itemsize for d in dtypes if np.dtype(d).kind == "f"), default=0)
    if numpy_result.kind != "f" or numpy_result.itemsize <= max(widest, 4):
        assert result == numpy_result
    else:
        assert result == np.float32


def test_scalar_types_and_groups(theano):
    from theano.scalar import basic

    assert basic.int32.dtype == "int32" and str(basic.int32) == "int32"
    assert basic.int32 == theano.scalar.get_scalar_type("int32") != basic.int64
    assert basic.int32 in basic.int_types and basic.float32 in basic.float_types
    assert {t.dtype for t in basic.all_types} == {
        "bool",
        *(f"int{b}" for b in (8, 16, 32, 64)),
        *(f"uint{b}" for b in (8, 16, 32, 64)),
        "float16",
        "float32",
        "float64",
        "complex64",
        "complex128",
    }
    assert set(basic.discrete_types) | set(basic.continuous_types) == set(basic.all_types)
    assert not set(basic.discrete_types) & set(basic.continuous_types)
    i = basic.int32("i")
    assert i.name == "i" and i.ndim == 0 and i.dtype == "int32"


def test_scalar_ops_are_the_ones_tensor_nodes_hold(theano):
    x = theano.tensor.dvector()
    assert (x + x).owner.op.scalar_op == theano.scalar.add
    assert abs(x).owner.op.scalar_op == theano.scalar.abs_
    assert theano.tensor.sgn(x).owner.op.scalar_op == theano.scalar.sgn
    assert theano.scalar.add != theano.scalar.mul and str(theano.scalar.add) == "add"
