"""``TensorType``: a dtype plus a static shape whose entries are known ints or None."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from symgraph.graph.basic import Type, Variable

_SHORT_DTYPES = {
    "bool": "bool",
    "int8": "i8",
    "int16": "i16",
    "int32": "i32",
    "int64": "i64",
    "uint8": "u8",
    "uint16": "u16",
    "uint32": "u32",
    "uint64": "u64",
    "float16": "f16",
    "float32": "f32",
    "float64": "f64",
    "complex64": "c64",
    "complex128": "c128",
}
_RANK_NAMES = {0: "scalar", 1: "vector", 2: "matrix", 3: "tensor3", 4: "tensor4"}


def shape_text(shape) -> str:
    """A static shape as Python writes tuples, unknown sizes as '?': ``(?, 784)``, ``(4,)``."""
    sizes = ["?" if s is None else str(s) for s in shape]
    return "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"


class TensorType(Type):
    """Type of n-dimensional arrays of one dtype.

    ``shape`` holds the static size of each axis where it is known, else None. Theano's
    ``broadcastable`` flags are derived from it: an axis is broadcastable when its static
    size is 1.
    """

    variable_class: type | None = None  # set by symgraph.tensor.variable

    def __init__(
        self,
        dtype: str | np.dtype,
        shape: Sequence[int | None] | None = None,
        broadcastable: Sequence[bool] | None = None,
    ) -> None:
        if shape is not None and broadcastable is not None:
            raise ValueError("give TensorType either shape or broadcastable, not both")
        if shape is not None and len(shape) and all(isinstance(s, bool) for s in shape):
            shape, broadcastable = None, shape  # Theano's TensorType(dtype, broadcastable)
        if broadcastable is not None:
            shape = tuple(1 if b else None for b in broadcastable)
        if shape is None:
            raise ValueError("TensorType needs a shape (use () for scalars)")
        self.dtype = np.dtype(dtype).name
        if self.dtype not in _SHORT_DTYPES:
            raise TypeError(f"unsupported dtype {self.dtype!r}")
        self.shape = tuple(None if s is None else int(s) for s in shape)
        if any(s is not None and s < 0 for s in self.shape):
            raise ValueError(f"negative static shape {self.shape}")
        self.numpy_dtype = np.dtype(self.dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return tuple(s == 1 for s in self.shape)

    def clone(self, dtype=None, shape=None) -> TensorType:
        return TensorType(dtype or self.dtype, self.shape if shape is None else shape)

    def __eq__(self, other: object) -> bool:
        return type(other) is TensorType and self.dtype == other.dtype and self.shape == other.shape

    def __hash__(self) -> int:
        return hash((TensorType, self.dtype, self.shape))

    def is_super(self, other: Type) -> bool:
        """True when every value of ``other`` is a valid value of ``self``."""
        return (
            isinstance(other, TensorType)
            and other.dtype == self.dtype
            and other.ndim == self.ndim
            and all(s is None or s == o for s, o in zip(self.shape, other.shape))
        )

    def __str__(self) -> str:
        dims = ",".join("?" if s is None else str(s) for s in self.shape)
        return f"{_SHORT_DTYPES[self.dtype]}[{dims}]"

    def __repr__(self) -> str:
        return f"TensorType({self.dtype}, shape={self.shape})"

    def describe(self) -> str:
        """Words for error messages: 'float64 matrix of shape (?, 784)'."""
        rank = _RANK_NAMES.get(self.ndim, f"{self.ndim}-d tensor")
        if all(s is None for s in self.shape) or self.ndim == 0:
            return f"{self.dtype} {rank}"
        return f"{self.dtype} {rank} of shape {shape_text(self.shape)}"

    def make_variable(self, name: str | None = None) -> Variable:
        return self.variable_class(self, name=name)

    def filter(self, value: Any, strict: bool = False, allow_downcast: bool | None = None):
        """Convert ``value`` to an ndarray of this type with Theano's casting rules.

        An array of another dtype is accepted when the cast is safe (an upcast); a Python
        scalar or list when converting loses nothing; a Python float always (to any float
        dtype) unless ``allow_downcast`` is False rather than None. Anything else needs
        ``allow_downcast=True``. Raises TypeError otherwise.

        The result is always a plain ``ndarray``: a subclass (``np.matrix``, which stays
        2-d through reductions) is viewed as one; a masked array is refused, since
        dropping its mask would silently compute with the masked-out values.
        """
        dtype = self.numpy_dtype
        if isinstance(value, np.ndarray) and type(value) is not np.ndarray:
            if isinstance(value, np.ma.MaskedArray):
                raise TypeError(
                    f"expected {self.describe()}, got a masked array ({_describe_value(value)}"
                    "); its mask would be ignored: pass value.filled(fill_value) or value.data"
                )
            value = value.view(np.ndarray)
        if isinstance(value, np.ndarray) and value.dtype == dtype:
            array = value
        elif strict:
            raise TypeError(f"expected a {self.dtype} ndarray, got {_describe_value(value)}")
        elif isinstance(value, (np.ndarray, np.generic)):
            if allow_downcast or np.can_cast(value.dtype, dtype, "safe"):
                array = np.asarray(value, dtype=dtype)
            else:
                raise TypeError(
                    f"expected {self.dtype}, got {_describe_value(value)}; converting would "
                    "lose precision (cast it yourself, or pass allow_input_downcast=True)"
                )
        else:
            original = np.asarray(value)
            if original.dtype == object:
                raise TypeError(f"expected a {self.dtype} array, got {_describe_value(value)}")
            array = np.asarray(original, dtype=dtype)
            lossless = original.dtype.kind in "biuf" and np.array_equal(
                array, original, equal_nan=original.dtype.kind == "f"
            )
            # a Python float goes to any float dtype, unless downcasting was refused
            # explicitly (allow_downcast=False, Theano's allow_input_downcast=False)
            python_float = isinstance(value, float) and dtype.kind == "f" and allow_downcast is None
            if not (allow_downcast or lossless or python_float):
                raise TypeError(
                    f"expected {self.dtype}, got {_describe_value(value)} which cannot be "
                    "converted exactly (pass allow_input_downcast=True to allow it)"
                )
        if array.ndim != self.ndim:
            raise TypeError(
                f"expected {self.ndim} dimension(s) ({self.describe()}), got "
                f"{_describe_value(value)}"
            )
        for axis, (static, actual) in enumerate(zip(self.shape, array.shape)):
            if static is not None and static != actual:
                raise TypeError(
                    f"expected {self.describe()}, got shape {array.shape} (axis {axis} must "
                    f"have size {static})"
                )
        return array


def _describe_value(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {value.shape}"
    if isinstance(value, np.generic):
        return f"a {value.dtype} scalar"
    return f"{type(value).__name__} {value!r}"[:120]
