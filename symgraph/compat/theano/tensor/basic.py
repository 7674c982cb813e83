"""``theano.tensor.basic``: Theano's op objects (``T.add``, ``T.exp``...), its
``TensorType`` with the typed instances (``T.dmatrix``, ``T.lscalar``, ``T.ctensor3``...)
and the helpers Theano code imports from here (``_allclose``,
``get_scalar_constant_value``).

In Theano ``T.add`` is an ``Elemwise`` op object, not a function: its ``str`` is
``Elemwise{add,no_inplace}``, it compares equal to the op of a node it built, and tests
read ``T.add.scalar_op``. Here each is a named view of the core's ``Elemwise`` op: calling
it builds the very node the core would (so graphs hold only core ops), and it compares
equal to that node's op.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from symgraph.compat.theano._util import CoversCoreClass
from symgraph.compat.theano.configparser import config
from symgraph.graph.basic import Constant, Variable
from symgraph.graph.traversal import ancestors
from symgraph.graph.type import TensorType as _CoreTensorType
from symgraph.tensor.ops.elemwise import Elemwise
from symgraph.tensor.ops.math import SCALAR_OPS
from symgraph.tensor.ops.shape import static_value

# Theano's name of each element-wise op -> the core's scalar op name.
THEANO_SCALAR_NAMES = {
    "add": "add",
    "sub": "sub",
    "mul": "mul",
    "true_div": "true_div",
    "int_div": "int_div",
    "mod": "mod",
    "pow": "pow",
    "neg": "neg",
    "abs_": "abs",
    "sgn": "sign",
    "floor": "floor",
    "ceil": "ceil",
    "round_half_to_even": "round",
    "maximum": "maximum",
    "minimum": "minimum",
    "clip": "clip",
    "inv": "inv",
    "exp": "exp",
    "exp2": "exp2",
    "log": "log",
    "log2": "log2",
    "log10": "log10",
    "log1p": "log1p",
    "expm1": "expm1",
    "sqrt": "sqrt",
    "sqr": "sqr",
    "tanh": "tanh",
    "sin": "sin",
    "cos": "cos",
    "eq": "eq",
    "neq": "neq",
    "lt": "lt",
    "gt": "gt",
    "le": "le",
    "ge": "ge",
    "and_": "and_",
    "or_": "or_",
    "xor": "xor",
    "invert": "invert",
    "isnan": "isnan",
    "isinf": "isinf",
    "switch": "switch",
    "second": "second",
}
# Theano's add and mul took any number of inputs.
_VARIADIC = frozenset({"add", "mul"})


class _ElemwiseOpObject(Elemwise):
    """One of Theano's element-wise op objects (``T.add``): equal to the core's
    ``Elemwise`` of the same scalar op, and building exactly the core's nodes.

    It subclasses ``Elemwise`` only so that ``isinstance(T.add, T.Elemwise)`` holds; no
    node ever carries it (``make_node`` gives the core op's node), so it has no kernel of
    its own and stays out of the op tables (hence the private name).
    """

    def __init__(self, theano_name: str) -> None:
        super().__init__(SCALAR_OPS[THEANO_SCALAR_NAMES[theano_name]])
        self.theano_name = theano_name
        self.name = f"Elemwise{{{theano_name},no_inplace}}"
        self.inplace_pattern: dict[int, int] = {}
        self.nin = -1 if theano_name in _VARIADIC else self.scalar_op.nin
        self.nout = 1

    def __str__(self) -> str:
        return self.name

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Elemwise) and self._props() == other._props()

    def __hash__(self) -> int:
        return hash((Elemwise, self._props()))

    def __reduce__(self):
        return (elemwise_op, (self.theano_name,))

    def make_node(self, *inputs):
        core = Elemwise(self.scalar_op)
        if self.nin == -1:
            if not inputs:
                raise TypeError(f"{self.theano_name} needs at least one input")
            if len(inputs) == 1:  # x + 0, x * 1: still a node of this op
                return core.make_node(inputs[0], 0 if self.theano_name == "add" else 1)
            result = functools.reduce(core, inputs[:-1])
            return core.make_node(result, inputs[-1])
        return core.make_node(*inputs)


@functools.cache
def elemwise_op(theano_name: str) -> _ElemwiseOpObject:
    """Theano's op object called ``theano_name`` (``'add'``, ``'abs_'``...)."""
    return _ElemwiseOpObject(theano_name)


ELEMWISE_OPS = {name: elemwise_op(name) for name in THEANO_SCALAR_NAMES}


# --------------------------------------------------------------------------------------
# TensorType and its typed instances


class TensorType(_CoreTensorType, metaclass=CoversCoreClass):
    """Theano's ``TensorType(dtype, broadcastable, name=None)``: callable to make a
    variable (``T.dmatrix('x')``), equal to the core type of the same dtype and shape
    (``x.type == T.dmatrix``). ``dtype='floatX'`` means ``config.floatX``. Variables it
    makes carry the plain core type."""

    # every core tensor type is one of Theano's: isinstance(x.type, T.TensorType) holds for
    # the core's variables too
    core_class = _CoreTensorType

    def __init__(self, dtype, broadcastable=None, name=None, sparse_grad=False, shape=None):
        if dtype == "floatX":
            dtype = config.floatX
        if broadcastable is None and shape is None:
            raise TypeError("TensorType needs broadcastable (a tuple of bools, one per axis)")
        if broadcastable is not None:
            broadcastable = tuple(bool(b) for b in broadcastable)
        super().__init__(dtype, shape=shape, broadcastable=broadcastable)
        self.name = name
        self.sparse_grad = sparse_grad

    def core_type(self) -> _CoreTensorType:
        """The same type as the core writes it."""
        return _CoreTensorType(self.dtype, self.shape)

    def make_variable(self, name=None) -> Variable:
        return self.core_type().make_variable(name)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _CoreTensorType)
            and self.dtype == other.dtype
            and self.shape == other.shape
        )

    def __hash__(self) -> int:
        return hash(self.core_type())

    def __reduce__(self):
        return (TensorType, (self.dtype, None, self.name, self.sparse_grad, self.shape))

    def __str__(self) -> str:
        if self.name:
            return self.name
        pattern = self.broadcastable
        named = {(): "scalar", (False,): "vector", (False, False): "matrix"}
        named.update({(True, False): "row", (False, True): "col"})
        described = named.get(pattern, str(pattern) if any(pattern) else f"{len(pattern)}D")
        return f"TensorType({self.dtype}, {described})"

    __repr__ = __str__


# Theano's dtype prefixes, complex ones included.
TYPE_PREFIXES = {
    "b": "int8",
    "w": "int16",
    "i": "int32",
    "l": "int64",
    "f": "float32",
    "d": "float64",
    "c": "complex64",
    "z": "complex128",
}
_RANK_PATTERNS = {
    "scalar": (),
    "vector": (False,),
    "matrix": (False, False),
    "row": (True, False),
    "col": (False, True),
    "tensor3": (False,) * 3,
    "tensor4": (False,) * 4,
    "tensor5": (False,) * 5,
}
# ``T.lscalar``, ``T.fmatrix``, ``T.ctensor3``...: TensorType instances, as in Theano.
TYPED_TENSOR_TYPES = {
    prefix + rank: TensorType(dtype, pattern)
    for prefix, dtype in TYPE_PREFIXES.items()
    for rank, pattern in _RANK_PATTERNS.items()
}


def typed_tensor_type(name: str) -> TensorType:
    """The TensorType called ``name`` in Theano (``'dmatrix'``); pickles name them."""
    return TYPED_TENSOR_TYPES[name]


# --------------------------------------------------------------------------------------
# helpers Theano code imports from theano.tensor.basic


def _allclose(a, b, rtol=None, atol=None) -> bool:
    """Whether ``a`` and ``b`` are close, with tolerances that follow the coarser of the
    two dtypes (float16, float32 or float64), as Theano's tests compared results."""
    a, b = np.asarray(a), np.asarray(b)
    narrowest = min(
        (np.dtype(d).itemsize for d in (a.dtype, b.dtype) if np.dtype(d).kind in "fc"),
        default=8,
    )
    default_atol, default_rtol = {2: (1e-3, 1e-3), 4: (1e-5, 1e-5)}.get(narrowest, (1e-8, 1e-5))
    return bool(
        np.allclose(
            a,
            b,
            atol=default_atol if atol is None else atol,
            rtol=default_rtol if rtol is None else rtol,
        )
    )


class NotScalarConstantError(Exception):
    """Raised by ``get_scalar_constant_value`` when the value is not a known constant."""


class EmptyConstantError(NotScalarConstantError):
    """Raised by ``get_scalar_constant_value`` for a constant with no elements."""


def get_scalar_constant_value(orig_v, elemwise=True, only_process_constants=False, max_recur=10):
    """The scalar a variable is known to hold when the graph is built, as a 0-d ndarray.

    Numbers and arrays whose elements are all equal give that element; so do constants.
    A variable computed only from constants (``T.constant(2) * 3``, ``x.shape[0]`` for a
    static size) is evaluated, unless ``only_process_constants``. Anything else raises
    ``NotScalarConstantError``. ``elemwise`` and ``max_recur`` have no effect here.
    """
    del elemwise, max_recur
    if isinstance(orig_v, (numbers.Number, np.number, np.bool_, np.ndarray)):
        return _unique_value(np.asarray(orig_v), orig_v)
    if not isinstance(orig_v, Variable):
        raise NotScalarConstantError(f"{orig_v!r} is not a constant")
    if isinstance(orig_v, Constant):
        return _unique_value(np.asarray(orig_v.data), orig_v)
    if only_process_constants:
        raise NotScalarConstantError(f"{orig_v} is not a constant")
    static = static_value(orig_v) if orig_v.ndim == 0 else None
    if static is not None:  # the static size of an axis (x.shape[i])
        return np.asarray(static, dtype=orig_v.dtype)
    free = [v for v in ancestors([orig_v]) if v.owner is None and not isinstance(v, Constant)]
    if free:
        raise NotScalarConstantError(f"{orig_v} depends on {free[0]}, which is not a constant")
    return _unique_value(np.asarray(orig_v.eval()), orig_v)


def _unique_value(data: np.ndarray, given) -> np.ndarray:
    if data.size == 0:
        raise EmptyConstantError(f"{given!r} has no elements")
    first = data.flat[0]
    if data.ndim and not np.all(data == first):
        raise NotScalarConstantError(f"{given!r} holds different values")
    return np.asarray(first)
