"""The operators and methods of tensor variables (``x + y``, ``x[1:]``, ``x.sum()``...).

They build nodes of ops, and ops are defined on top of ``symgraph.tensor.variable``; so they
are written here, where every op exists, and installed on the variable classes once, when
``symgraph.tensor`` is imported. ``as_tensor([x, y])`` gets its stacking the same way.
"""

from __future__ import annotations

import numbers
import warnings

from symgraph.graph.basic import Variable
from symgraph.tensor import variable
from symgraph.tensor.ops import blas, extra, linalg, math, sort, subtensor
from symgraph.tensor.ops import shape as shape_ops
from symgraph.tensor.ops.dimshuffle import DimShuffle, dimshuffle
from symgraph.tensor.params import normalize_axis


class TensorOperators:
    """The methods installed on ``TensorVariable`` and ``TensorConstant``."""

    @property
    def shape(self):
        return shape_ops.shape(self)

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def T(self):  # noqa: N802
        return self.transpose()

    def __add__(self, other):
        return math.add(self, other)

    def __radd__(self, other):
        return math.add(other, self)

    def __sub__(self, other):
        return math.sub(self, other)

    def __rsub__(self, other):
        return math.sub(other, self)

    def __mul__(self, other):
        return math.mul(self, other)

    def __rmul__(self, other):
        return math.mul(other, self)

    def __truediv__(self, other):
        return math.true_div(self, other)

    def __rtruediv__(self, other):
        return math.true_div(other, self)

    def __floordiv__(self, other):
        return math.int_div(self, other)

    def __rfloordiv__(self, other):
        return math.int_div(other, self)

    def __mod__(self, other):
        return math.mod(self, other)

    def __rmod__(self, other):
        return math.mod(other, self)

    def __pow__(self, other):
        return math.pow(self, other)

    def __rpow__(self, other):
        return math.pow(other, self)

    def __neg__(self):
        return math.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return math.abs(self)

    def __matmul__(self, other):
        return blas.dot(self, other)

    def __rmatmul__(self, other):
        return blas.dot(other, self)

    def __lt__(self, other):
        return math.lt(self, other)

    def __le__(self, other):
        return math.le(self, other)

    def __gt__(self, other):
        return math.gt(self, other)

    def __ge__(self, other):
        return math.ge(self, other)

    def __and__(self, other):
        return math.and_(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return math.or_(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return math.xor(self, other)

    __rxor__ = __xor__

    def __invert__(self):
        return math.invert(self)

    def __getitem__(self, index):
        return subtensor.getitem(self, index)

    def dimshuffle(self, *pattern):
        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = tuple(pattern[0])
        return dimshuffle(self, pattern)

    def reshape(self, *shape, ndim=None):
        if len(shape) == 1 and (
            not isinstance(shape[0], (numbers.Integral, Variable))
            or getattr(shape[0], "ndim", 0) == 1  # a shape vector, not one scalar length
        ):
            shape = shape[0]
        return shape_ops.reshape(self, shape, ndim=ndim)

    def flatten(self, ndim=1, outdim=None):
        if outdim is not None:  # warned here so the warning points at the user's line
            warnings.warn(
                "flatten(outdim=) is deprecated; use ndim=", DeprecationWarning, stacklevel=2
            )
            ndim = outdim
        return shape_ops.flatten(self, ndim=ndim)

    def astype(self, dtype):
        return math.cast(self, dtype)

    def sum(self, axis=None, keepdims=False, dtype=None):
        return math.sum(self, axis=axis, keepdims=keepdims, dtype=dtype)

    def mean(self, axis=None, keepdims=False, dtype=None):
        return math.mean(self, axis=axis, keepdims=keepdims, dtype=dtype)

    def prod(self, axis=None, keepdims=False, dtype=None):
        return math.prod(self, axis=axis, keepdims=keepdims, dtype=dtype)

    def max(self, axis=None, keepdims=False):
        return math.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return math.min(self, axis=axis, keepdims=keepdims)

    def cumsum(self, axis=None):
        return math.cumsum(self, axis=axis)

    def cumprod(self, axis=None):
        return math.cumprod(self, axis=axis)

    def argmax(self, axis=None, keepdims=False):
        return math.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return math.argmin(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        return math.var(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        return math.std(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def dot(self, other):
        return blas.dot(self, other)

    def clip(self, low, high):
        return math.clip(self, low, high)

    def nonzero(self):
        return sort.nonzero(self)

    def sort(self, axis=-1, kind="quicksort"):
        return sort.sort(self, axis, kind)

    def argsort(self, axis=-1, kind="quicksort"):
        return sort.argsort(self, axis, kind)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return linalg.extract_diag(self, offset, axis1, axis2)

    def trace(self):
        return linalg.trace(self)

    def transpose(self, *axes):
        """Axes reversed, or permuted as given (``x.transpose(1, 0)`` or ``((1, 0))``)."""
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
        return extra.swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None):
        return extra.squeeze(self, axis)

    def repeat(self, repeats, axis=None):
        return sort.repeat(self, repeats, axis)

    def norm(self, L=2, axis=None, keepdims: bool = False):
        return extra.norm(self, L, axis, keepdims)

    def any(self, axis=None, keepdims: bool = False):
        return extra.any(self, axis, keepdims)

    def all(self, axis=None, keepdims: bool = False):
        return extra.all(self, axis, keepdims)

    def round(self):
        return math.round(self)

    def copy(self, name=None):
        """A new variable with the same value (to name it apart). Compiling removes the
        identity node: a compiled function's results never alias its inputs anyway."""
        result = DimShuffle(self.ndim, tuple(range(self.ndim)))(self)
        result.name = name
        return result

    def zeros_like(self, dtype=None):
        return math.zeros_like(self, dtype)

    def ones_like(self, dtype=None):
        return math.ones_like(self, dtype)

    def take(self, indices, axis=None):
        return subtensor.take(self, indices, axis)


class _Empty:
    pass


# What Python puts in every class body (__module__, __dict__...): not methods to install.
_CLASS_PLUMBING = frozenset(vars(_Empty))


def _install() -> None:
    for name, member in vars(TensorOperators).items():
        if name not in _CLASS_PLUMBING:
            setattr(variable._TensorMethods, name, member)
    variable.stack_variables = shape_ops.stack


_install()
