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
