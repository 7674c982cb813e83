"""``theano.scalar.basic``: the dtype rule ``upcast``, the scalar types (``int32``,
``float64``... and the groups ``all_types``, ``float_types``...) and the scalar ops by
Theano's names (``add``, ``abs_``...: the core's ``ScalarOp`` objects, so
``node.op.scalar_op == theano.scalar.add`` holds for a node ``T.add`` built)."""

from __future__ import annotations

import numpy as np

from symgraph.compat.theano.configparser import config
from symgraph.compat.theano.tensor.basic import THEANO_SCALAR_NAMES
from symgraph.graph.type import TensorType
from symgraph.tensor.ops.math import SCALAR_OPS


def upcast(dtype, *dtypes) -> str:
    """The dtype of a combination of values of these dtypes (NumPy's promotion), except
    that a float wider than ``floatX`` that only mixing integers in produced is narrowed
    to ``floatX`` (int64 with float32 is float32 under floatX=float32), as in Theano. A
    float as wide as the result among the dtypes keeps it."""
    given = [np.dtype(d) for d in (dtype, *dtypes)]
    result = np.result_type(*given)
    floatx = np.dtype(config.floatX)
    widest_float = max((d.itemsize for d in given if d.kind == "f"), default=0)
    if result.kind == "f" and floatx.itemsize < result.itemsize and widest_float <= floatx.itemsize:
        return str(floatx)
    return str(result)


class Scalar:
    """Theano's scalar type of one dtype (``theano.scalar.int32``). Its variables are the
    core's 0-d tensors of that dtype."""

    ndim = 0
    broadcastable = ()

    def __init__(self, dtype: str) -> None:
        self.dtype = np.dtype(dtype).name

    def __eq__(self, other: object) -> bool:
        return type(other) is Scalar and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash((Scalar, self.dtype))

    def __str__(self) -> str:
        return self.dtype

    def __repr__(self) -> str:
        return f"Scalar({self.dtype})"

    def __call__(self, name=None):
        return TensorType(self.dtype, ())(name)

    make_variable = __call__


def get_scalar_type(dtype) -> Scalar:
    """The scalar type of ``dtype``."""
    return Scalar(dtype)


bool = Scalar("bool")  # noqa: A001 - Theano's name
int8, int16, int32, int64 = (Scalar(f"int{b}") for b in (8, 16, 32, 64))
uint8, uint16, uint32, uint64 = (Scalar(f"uint{b}") for b in (8, 16, 32, 64))
float16, float32, float64 = (Scalar(f"float{b}") for b in (16, 32, 64))
complex64, complex128 = Scalar("complex64"), Scalar("complex128")

int_types = int8, int16, int32, int64
uint_types = uint8, uint16, uint32, uint64
float_types = float16, float32, float64
complex_types = complex64, complex128
integer_types = int_types + uint_types
discrete_types = (bool,) + integer_types
continuous_types = float_types + complex_types
all_types = discrete_types + continuous_types

# the scalar ops by Theano's names: theano.scalar.add, theano.scalar.abs_...
globals().update({name: SCALAR_OPS[core] for name, core in THEANO_SCALAR_NAMES.items()})

__all__ = [
    "Scalar",
    "all_types",
    "complex_types",
    "continuous_types",
    "discrete_types",
    "float_types",
    "get_scalar_type",
    "int_types",
    "integer_types",
    "uint_types",
    "upcast",
    *(dtype for dtype in (t.dtype for t in all_types)),
    *THEANO_SCALAR_NAMES,
]
