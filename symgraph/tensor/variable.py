"""Tensor variables and constants: the operators and methods users call on them."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from symgraph.graph.basic import Constant, Variable
from symgraph.graph.type import TensorType


class _TensorMethods:
    """Operators and methods shared by tensor variables and tensor constants.

    Every method builds graph nodes through the functions of ``symgraph.tensor``; imports
    are local because those modules import this one.
    """

    type: TensorType

    # --- static facts -------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return self.type.broadcastable

    @property
    def shape(self):
        from symgraph.tensor.shape import shape

        return shape(self)

    @property
    def size(self):
        from symgraph.tensor import math

        return math.prod(self.shape)

    @property
    def T(self):  # noqa: N802
        return self.transpose()

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

    # --- arithmetic ----------------------------------------------------------------------
    def __add__(self, other):
        from symgraph.tensor import math

        return math.add(self, other)

    def __radd__(self, other):
        from symgraph.tensor import math

        return math.add(other, self)

    def __sub__(self, other):
        from symgraph.tensor import math

        return math.sub(self, other)

    def __rsub__(self, other):
        from symgraph.tensor import math

        return math.sub(other, self)

    def __mul__(self, other):
        from symgraph.tensor import math

        return math.mul(self, other)

    def __rmul__(self, other):
        from symgraph.tensor import math

        return math.mul(other, self)

    def __truediv__(self, other):
        from symgraph.tensor import math

        return math.true_div(self, other)

    def __rtruediv__(self, other):
        from symgraph.tensor import math

        return math.true_div(other, self)

    def __floordiv__(self, other):
        from symgraph.tensor import math

        return math.int_div(self, other)

    def __rfloordiv__(self, other):
        from symgraph.tensor import math

        return math.int_div(other, self)

    def __mod__(self, other):
        from symgraph.tensor import math

        return math.mod(self, other)

    def __rmod__(self, other):
        from symgraph.tensor import math

        return math.mod(other, self)

    def __pow__(self, other):
        from symgraph.tensor import math

        return math.pow(self, other)

    def __rpow__(self, other):
        from symgraph.tensor import math

        return math.pow(other, self)

    def __neg__(self):
        from symgraph.tensor import math

        return math.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        from symgraph.tensor import math

        return math.abs(self)

    def __matmul__(self, other):
        from symgraph.tensor.blas import dot

        return dot(self, other)

    def __rmatmul__(self, other):
        from symgraph.tensor.blas import dot

        return dot(other, self)

    # --- comparisons and logic (elementwise, like NumPy) ----------------------------------
    def __lt__(self, other):
        from symgraph.tensor import math

        return math.lt(self, other)

    def __le__(self, other):
        from symgraph.tensor import math

        return math.le(self, other)

    def __gt__(self, other):
        from symgraph.tensor import math

        return math.gt(self, other)

    def __ge__(self, other):
        from symgraph.tensor import math

        return math.ge(self, other)

    def __and__(self, other):
        from symgraph.tensor import math

        return math.and_(self, other)

    __rand__ = __and__

    def __or__(self, other):
        from symgraph.tensor import math

        return math.or_(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        from symgraph.tensor import math

        return math.xor(self, other)

    __rxor__ = __xor__

    def __invert__(self):
        from symgraph.tensor import math

        return math.invert(self)

    # Variables are graph nodes: == and hash are identity (as in Theano); use eq()/neq().
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    # --- indexing ------------------------------------------------------------------------
    def __getitem__(self, index):
        from symgraph.tensor.subtensor import getitem

        return getitem(self, index)

    # --- methods -------------------------------------------------------------------------
    def dimshuffle(self, *pattern):
        from symgraph.tensor.elemwise import dimshuffle

        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = tuple(pattern[0])
        return dimshuffle(self, pattern)

    def reshape(self, *shape, ndim=None):
        from symgraph.tensor.shape import reshape

        if len(shape) == 1 and (
            not isinstance(shape[0], (numbers.Integral, Variable))
            or getattr(shape[0], "ndim", 0) == 1  # a shape vector, not one scalar length
        ):
            shape = shape[0]
        return reshape(self, shape, ndim=ndim)

    def flatten(self, ndim=1, outdim=None):
        from symgraph.tensor.shape import flatten

        if outdim is not None:  # warned here so the warning points at the user's line
            import warnings

            warnings.warn(
                "flatten(outdim=) is deprecated; use ndim=", DeprecationWarning, stacklevel=2
            )
            ndim = outdim
        return flatten(self, ndim=ndim)

    def astype(self, dtype):
        from symgraph.tensor.math import cast

        return cast(self, dtype)

    def sum(self, axis=None, keepdims=False, dtype=None):
        from symgraph.tensor import math

        return math.sum(self, axis=axis, keepdims=keepdims, dtype=dtype)

    def mean(self, axis=None, keepdims=False):
        from symgraph.tensor import math

        return math.mean(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        from symgraph.tensor import math

        return math.prod(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        from symgraph.tensor import math

        return math.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        from symgraph.tensor import math

        return math.min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        from symgraph.tensor import math

        return math.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        from symgraph.tensor import math

        return math.argmin(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        from symgraph.tensor import math

        return math.var(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        from symgraph.tensor import math

        return math.std(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def dot(self, other):
        from symgraph.tensor.blas import dot

        return dot(self, other)

    def clip(self, low, high):
        from symgraph.tensor import math

        return math.clip(self, low, high)

    def nonzero(self):
        raise NotImplementedError("nonzero has a data-dependent shape and is not supported yet")

    def transpose(self, *axes):
        """Axes reversed, or permuted as given (``x.transpose(1, 0)`` or ``((1, 0))``)."""
        from symgraph.tensor.elemwise import dimshuffle
        from symgraph.tensor.params import normalize_axis

        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = tuple(axes[0])
        if not axes:
            return dimshuffle(self, tuple(reversed(range(self.ndim))))
        order = tuple(normalize_axis(a, self, "transpose") for a in axes)
        if sorted(order) != list(range(self.ndim)):
            raise ValueError(
                f"transpose: axes {tuple(axes)} are not a permutation of the {self.ndim} axes "
                f"of {self}"
            )
        return dimshuffle(self, order)

    def swapaxes(self, axis1: int, axis2: int):
        from symgraph.tensor.extra import swapaxes

        return swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None):
        from symgraph.tensor.extra import squeeze

        return squeeze(self, axis)

    def repeat(self, repeats: int, axis=None):
        from symgraph.tensor.extra import repeat

        return repeat(self, repeats, axis)

    def norm(self, L=2, axis=None, keepdims: bool = False):
        from symgraph.tensor.extra import norm

        return norm(self, L, axis, keepdims)

    def any(self, axis=None, keepdims: bool = False):
        from symgraph.tensor.extra import any

        return any(self, axis, keepdims)

    def all(self, axis=None, keepdims: bool = False):
        from symgraph.tensor.extra import all

        return all(self, axis, keepdims)

    def round(self):
        from symgraph.tensor import math

        return math.round(self)

    def copy(self, name=None):
        """A new variable with the same value (to name it apart). Compiling removes the
        identity node: a compiled function's results never alias its inputs anyway."""
        from symgraph.tensor.elemwise import DimShuffle

        result = DimShuffle(self.ndim, tuple(range(self.ndim)))(self)
        result.name = name
        return result

    def zeros_like(self, dtype=None):
        from symgraph.tensor import math

        return math.zeros_like(self, dtype)

    def ones_like(self, dtype=None):
        from symgraph.tensor import math

        return math.ones_like(self, dtype)

    def take(self, indices, axis=None):
        from symgraph.tensor.subtensor import take

        return take(self, indices, axis)


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
TensorType.constant_class = TensorConstant


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


def as_tensor(value: Any, name: str | None = None, ndim: int | None = None, dtype=None):
    """Return ``value`` as a tensor variable: variables unchanged, data as constants."""
    if isinstance(value, Variable):
        if not isinstance(value.type, TensorType):
            raise TypeError(f"{value} is a {value.type}, not a tensor")
        result = value
    elif isinstance(value, (list, tuple)) and any(isinstance(v, Variable) for v in value):
        from symgraph.tensor.shape import stack

        result = stack([as_tensor(v) for v in value])
    else:
        result = constant(value, name=name, dtype=dtype)
    if ndim is not None and result.ndim != ndim:
        raise TypeError(f"expected a {ndim}-d tensor, got {result.type.describe()}")
    return result


as_tensor_variable = as_tensor
