"""Tensor variables and constants, and ``as_tensor`` to make one of any value."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from symgraph.graph.basic import Constant, Variable
from symgraph.graph.type import TensorType


class _TensorMethods:
    """What tensor variables and tensor constants share.

    Only static facts are defined here. The operators (``x + y``, ``x[1:]``) and methods
    (``x.sum()``, ``x.reshape(...)``) build nodes of ops, which are defined on top of this
    module: ``symgraph.tensor.operators`` installs them once every op exists.
    """

    type: TensorType

    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return self.type.broadcastable

    def __len__(self) -> int:
        raise TypeError("symbolic tensors have no len(); use x.shape[0]")

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("cannot iterate over a 0-d tensor")
        length = self.type.shape[0]
        if length is None:
            raise TypeError("cannot iterate over a tensor whose first axis has unknown length")
        for i in range(length):
            yield self[i]

    def __bool__(self) -> bool:
        # As in Theano and PyTensor: a variable is "set" (``if not W:`` tests for None),
        # but a comparison (a bool tensor) has no truth value before it is computed;
        # ``a < b < c`` would otherwise silently keep only ``b < c``.
        if self.dtype == "bool":
            raise TypeError(
                f"the comparison {self} has no truth value until it is computed; use "
                "symgraph.tensor.switch for conditions and & | ~ for logic"
            )
        return True

    # A NumPy array (or scalar) on the left of an operator, ``array + x`` or ``array < x``:
    # NumPy's ufuncs decline to handle a variable, so Python calls the variable's reflected
    # operator and the result is symbolic, not an object array of nodes.
    __array_ufunc__ = None
    __array_priority__ = 1000

    # Variables are graph nodes: == and hash are identity (as in Theano); use eq()/neq().
    __eq__ = object.__eq__
    __hash__ = object.__hash__


class TensorVariable(_TensorMethods, Variable):
    """A symbolic n-dimensional array."""


class TensorConstant(_TensorMethods, Constant):
    """A constant n-dimensional array; ``weak`` ones come from Python scalars.

    A weak constant takes the dtype of the tensors it meets, as NumPy does with Python
    scalars (``float32_vector * 2.0`` stays float32).
    """

    def __init__(self, type, data, name=None, weak: bool = False) -> None:
        super().__init__(type, data, name=name)
        self.weak = weak
        self.data.setflags(write=False)

    def clone(self):
        return TensorConstant(self.type, self.data, name=self.name, weak=self.weak)

    def signature(self) -> tuple:
        return (*super().signature(), self.weak)


TensorType.variable_class = TensorVariable


def _python_scalar_dtype(value: Any, float_dtype: str) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int64" if -(2**63) <= value < 2**63 else "float64"
    if isinstance(value, numbers.Real):
        return float_dtype
    raise TypeError(f"cannot make a tensor constant of {type(value).__name__} {value!r}")


def constant(value: Any, name: str | None = None, dtype: str | None = None) -> TensorConstant:
    """A tensor constant. Python scalars become weakly typed constants unless ``dtype``
    is given (float ones are float64 until they meet a typed tensor)."""
    weak = (
        dtype is None
        and isinstance(value, (numbers.Number, np.bool_))
        and not isinstance(value, np.generic)
    )
    if dtype is None:
        if weak:
            dtype = _python_scalar_dtype(value, "float64")
        else:
            array = np.asarray(value)
            if array.dtype == object:
                raise TypeError(f"cannot make a tensor constant of {type(value).__name__}")
            dtype = array.dtype.name
    array = np.array(value, dtype=dtype)
    ttype = TensorType(dtype, shape=array.shape)
    return TensorConstant(ttype, array, name=name, weak=weak)


def stack_variables(tensors: list) -> Variable:
    """``as_tensor([x, y])`` stacks the variables with the ``stack`` op, which is defined on
    top of this module: ``symgraph.tensor.operators`` replaces this once every op exists."""
    raise RuntimeError("symgraph.tensor is only partly imported; import symgraph.tensor")


def as_tensor(value: Any, name: str | None = None, ndim: int | None = None, dtype=None):
    """Return ``value`` as a tensor variable: variables unchanged, data as constants."""
    if isinstance(value, Variable):
        if not isinstance(value.type, TensorType):
            raise TypeError(f"{value} is a {value.type}, not a tensor")
        result = value
    elif isinstance(value, (list, tuple)) and any(isinstance(v, Variable) for v in value):
        result = stack_variables([as_tensor(v) for v in value])
    else:
        result = constant(value, name=name, dtype=dtype)
    if ndim is not None and result.ndim != ndim:
        raise TypeError(f"expected a {ndim}-d tensor, got {result.type.describe()}")
    return result


as_tensor_variable = as_tensor
