"""Constructors of symbolic tensor variables: ``matrix``, ``ftensor4``, ``tensor``..."""

from __future__ import annotations

from collections.abc import Sequence

from symgraph.config import config
from symgraph.graph.type import TensorType
from symgraph.tensor.variable import TensorVariable

_RANK_SHAPES = {
    "scalar": (),
    "vector": (None,),
    "matrix": (None, None),
    "row": (1, None),
    "col": (None, 1),
    "tensor3": (None, None, None),
    "tensor4": (None, None, None, None),
    "tensor5": (None, None, None, None, None),
}
_PREFIX_DTYPES = {
    "b": "int8",
    "w": "int16",
    "i": "int32",
    "l": "int64",
    "f": "float32",
    "d": "float64",
}


def tensor(
    dtype: str | None = None,
    shape: Sequence[int | None] | None = None,
    name: str | None = None,
    broadcastable: Sequence[bool] | None = None,
) -> TensorVariable:
    """A symbolic tensor of ``dtype`` (default ``config.floatX``) and static ``shape``
    (None entries are unknown sizes; Theano's ``broadcastable`` flags are accepted too)."""
    if shape is None and broadcastable is None:
        raise TypeError("tensor() needs shape= (or broadcastable=) to know its rank")
    return TensorType(dtype or config.floatX, shape=shape, broadcastable=broadcastable)(name)


def _make_constructor(rank_name: str, fixed_dtype: str | None):
    base_shape = _RANK_SHAPES[rank_name]

    def constructor(name=None, dtype=None, shape=None) -> TensorVariable:
        if fixed_dtype is not None and dtype is not None and dtype != fixed_dtype:
            raise TypeError(f"{prefix}{rank_name} is always {fixed_dtype}, got dtype={dtype}")
        if shape is None:
            shape = base_shape
        elif len(shape) != len(base_shape):
            raise ValueError(f"a {rank_name} has {len(base_shape)} axes, got shape={shape}")
        return TensorType(fixed_dtype or dtype or config.floatX, shape)(name)

    prefix = {v: k for k, v in _PREFIX_DTYPES.items()}.get(fixed_dtype, "")
    constructor.__name__ = prefix + rank_name
    constructor.__qualname__ = constructor.__name__
    dtype_text = fixed_dtype or "``config.floatX`` unless ``dtype`` is given"
    constructor.__doc__ = f"A symbolic {rank_name} of {dtype_text}."
    return constructor


scalar = _make_constructor("scalar", None)
vector = _make_constructor("vector", None)
matrix = _make_constructor("matrix", None)
row = _make_constructor("row", None)
col = _make_constructor("col", None)
tensor3 = _make_constructor("tensor3", None)
tensor4 = _make_constructor("tensor4", None)
tensor5 = _make_constructor("tensor5", None)

bscalar, wscalar, iscalar, lscalar, fscalar, dscalar = (
    _make_constructor("scalar", d) for d in _PREFIX_DTYPES.values()
)
bvector, wvector, ivector, lvector, fvector, dvector = (
    _make_constructor("vector", d) for d in _PREFIX_DTYPES.values()
)
bmatrix, wmatrix, imatrix, lmatrix, fmatrix, dmatrix = (
    _make_constructor("matrix", d) for d in _PREFIX_DTYPES.values()
)
brow, wrow, irow, lrow, frow, drow = (_make_constructor("row", d) for d in _PREFIX_DTYPES.values())
bcol, wcol, icol, lcol, fcol, dcol = (_make_constructor("col", d) for d in _PREFIX_DTYPES.values())
btensor3, wtensor3, itensor3, ltensor3, ftensor3, dtensor3 = (
    _make_constructor("tensor3", d) for d in _PREFIX_DTYPES.values()
)
btensor4, wtensor4, itensor4, ltensor4, ftensor4, dtensor4 = (
    _make_constructor("tensor4", d) for d in _PREFIX_DTYPES.values()
)
btensor5, wtensor5, itensor5, ltensor5, ftensor5, dtensor5 = (
    _make_constructor("tensor5", d) for d in _PREFIX_DTYPES.values()
)


def _make_plural(single):
    name = single.__name__
    name = name.replace("matrix", "matrices") if name.endswith("matrix") else name + "s"

    def plural(*names, dtype=None) -> list[TensorVariable]:
        if len(names) == 1 and isinstance(names[0], int):
            return [single(dtype=dtype) for _ in range(names[0])]
        split = [n for entry in names for n in str(entry).replace(",", " ").split()]
        return [single(n, dtype=dtype) for n in split]

    plural.__name__ = plural.__qualname__ = name
    plural.single = single  # what it makes several of
    plural.__doc__ = (
        f"Several {single.__name__} variables at once: ``a, b = {name}('a', 'b')`` or "
        f"``{name}('a b')``; an int ``n`` gives ``n`` unnamed ones."
    )
    return plural


# Theano's plural constructors (``scalars``, ``fmatrices``, ``itensor4s``...), one for
# each constructor above; ``symgraph.tensor`` exports them all.
PLURAL_CONSTRUCTORS = {
    plural.__name__: plural
    for plural in map(
        _make_plural,
        [scalar, vector, matrix, row, col, tensor3, tensor4, tensor5]
        + [
            globals()[prefix + rank]
            for rank in (
                "scalar",
                "vector",
                "matrix",
                "row",
                "col",
                "tensor3",
                "tensor4",
                "tensor5",
            )
            for prefix in _PREFIX_DTYPES
        ],
    )
}
globals().update(PLURAL_CONSTRUCTORS)
