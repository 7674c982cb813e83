"""``Fused`` ops compare by their inner graph's structure, types and constant values."""

import pickle

import numpy as np

import symgraph.tensor as T
from symgraph.rewrite.fused import Fused


def fused(build, dtype="float64", constant=None):
    """A Fused op over two fresh inner inputs, ``build(a, b)`` computing its output."""
    a, b = T.vector("a", dtype=dtype), T.vector("b", dtype=dtype)
    out = build(a, b) if constant is None else build(a, b, T.constant(constant))
    return Fused([a, b], [out])


def test_equal_structure_is_equal_op():
    first = fused(lambda a, b: T.tanh(a * b + 1.0))
    second = fused(lambda a, b: T.tanh(a * b + 1.0))
    assert first == second and hash(first) == hash(second)
    assert first.with_inplace(0) != second and first.with_inplace(0) == second.with_inplace(0)


def test_structure_types_and_constants_tell_ops_apart():
    base = fused(lambda a, b: T.tanh(a * b + 1.0))
    assert base != fused(lambda a, b: T.tanh(b * a + 1.0))  # which input goes where
    assert base != fused(lambda a, b: T.tanh(a * b + 2.0))
    assert base != fused(lambda a, b: T.tanh(a * b + 1.0), dtype="float32")
    assert base != fused(lambda a, b: T.tanh(a * b) + 1.0)


def test_large_constants_compare_by_value_not_by_shape():
    # The text form shows a large constant only by its shape; equality must not.
    first = fused(lambda a, b, c: a * c + b, constant=np.arange(100.0))
    second = fused(lambda a, b, c: a * c + b, constant=np.arange(100.0) + 1)
    assert first != second
    assert first == fused(lambda a, b, c: a * c + b, constant=np.arange(100.0))


def test_signature_survives_pickling():
    op = fused(lambda a, b: T.exp(a) - b * 3.0)
    assert pickle.loads(pickle.dumps(op)) == op
