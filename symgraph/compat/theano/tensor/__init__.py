"""``theano.tensor``: symgraph's tensor namespace with Theano's spellings and signatures.

Everything in ``symgraph.tensor`` is here (the same functions and classes); the wrappers
below take Theano's argument order, accept Theano's deprecated keywords with Theano's
warnings, and add Theano-only names (``abs_``, ``sgn``, ``shape_padleft``...).
"""

from __future__ import annotations

import types as _types

import symgraph.tensor as _sg

# theano.tensor.var is a module (the tensor classes) and, as an attribute of the package, the
# variance function: the module is imported first so that the function assigned below wins.
from symgraph.compat.theano.tensor.var import (  # noqa: E402
    TensorConstant,
    TensorVariable,
    _tensor_py_operators,
)

# symgraph's public functions, classes and constructors (not its submodules: ``nnet`` and
# ``signal`` here are the Theano-shaped ones).
globals().update(
    {
        _name: _value
        for _name, _value in vars(_sg).items()
        if not _name.startswith("_")
        and not isinstance(_value, _types.ModuleType)
        and _name not in ("TensorVariable", "TensorConstant")
    }
)

# theano.tensor.sort is a module whose functions the package exports under its own name,
# as Theano did: importing the module first keeps the attribute the function.
import symgraph.compat.theano.tensor.sort as _sort_module  # noqa: E402
from symgraph.compat.theano._util import deprecated as _deprecated  # noqa: E402
from symgraph.compat.theano.configparser import config as _config  # noqa: E402
from symgraph.compat.theano.gradient import (  # noqa: E402, F401
    Lop,
    Rop,
    consider_constant,
    grad,
    hessian,
    jacobian,
    numeric_grad,
    verify_grad,
)
from symgraph.compat.theano.tensor import (  # noqa: E402, F401
    basic,
    elemwise,
    extra_ops,
    nlinalg,
    nnet,
    shared_randomstreams,
    sharedvar,
    signal,
    slinalg,
    subtensor,
    xlogx,
)
from symgraph.compat.theano.tensor import basic as _basic  # noqa: E402
from symgraph.compat.theano.tensor.basic import (  # noqa: E402, F401
    NotScalarConstantError,
    TensorType,
    _allclose,
    get_scalar_constant_value,
)
from symgraph.compat.theano.tensor.elemwise import DimShuffle, Elemwise  # noqa: E402, F401
from symgraph.compat.theano.tensor.sharedvar import TensorSharedVariable  # noqa: E402, F401
from symgraph.graph.basic import Variable  # noqa: E402, F401 - Theano's tensor.Variable
from symgraph.tensor import constructors as _constructors  # noqa: E402
from symgraph.tensor.ops import math as _math  # noqa: E402
from symgraph.tensor.ops.dimshuffle import dimshuffle as _dimshuffle  # noqa: E402
from symgraph.tensor.ops.shape import flatten as _flatten  # noqa: E402
from symgraph.tensor.ops.shape import stack as _stack  # noqa: E402
from symgraph.tensor.ops.sort import NonZero as _NonZero  # noqa: E402
from symgraph.tensor.ops.sort import nonzero as _nonzero  # noqa: E402
from symgraph.tensor.variable import as_tensor as _as_tensor  # noqa: E402

# Theano's element-wise ops are op objects (``str(T.add)`` is ``Elemwise{add,no_inplace}``)
# and its typed constructors TensorType instances (``x.type == T.dmatrix``).
globals().update(_basic.ELEMWISE_OPS)
globals().update(_basic.TYPED_TENSOR_TYPES)
floor_div = int_div  # noqa: F821 - set just above
fill = second  # noqa: F821
sort = _sort_module.sort
argsort = _sort_module.argsort
conv2d = nnet.conv2d  # with Theano's old keywords (image_shape=...), like T.nnet.conv2d


def flatten(x, ndim=1, outdim=None):
    """Keep the first ``ndim - 1`` axes and merge the rest (``outdim`` is deprecated)."""
    if outdim is not None:
        _deprecated("flatten outdim parameter is deprecated, use ndim instead.")
        ndim = outdim
    return _flatten(x, ndim)


def nonzero(a, return_matrix=False):
    """Theano's ``nonzero``: one index vector per axis, or (``return_matrix``) the int64
    matrix of them, one row per axis."""
    if return_matrix:
        return _NonZero()(a)
    return _nonzero(a)


def cast(x, dtype):
    """``x`` as ``dtype`` (``'floatX'`` means ``config.floatX``, as in Theano)."""
    if dtype == "floatX":
        dtype = _config.floatX
    return _math.cast(x, dtype)


def sum(input, axis=None, dtype=None, keepdims=False, acc_dtype=None):  # noqa: A001
    """Theano's ``sum`` (``dtype`` third; ``acc_dtype`` has no effect)."""
    return _math.sum(input, axis=axis, keepdims=keepdims, dtype=dtype)


def prod(input, axis=None, dtype=None, keepdims=False, acc_dtype=None, no_zeros_in_input=False):
    """Theano's ``prod`` (``dtype`` third)."""
    return _math.prod(input, axis=axis, keepdims=keepdims, dtype=dtype)


def mean(input, axis=None, dtype=None, op=False, keepdims=False, acc_dtype=None):
    """Theano's ``mean`` (``dtype`` third)."""
    return _math.mean(input, axis=axis, keepdims=keepdims, dtype=dtype)


def var(input, axis=None, ddof=0, keepdims=False, corrected=False):
    """Theano's ``var`` (``ddof`` third)."""
    return _math.var(input, axis=axis, keepdims=keepdims, ddof=ddof)


def std(input, axis=None, ddof=0, keepdims=False, corrected=False):
    """Theano's ``std`` (``ddof`` third)."""
    return _math.std(input, axis=axis, keepdims=keepdims, ddof=ddof)


def max_and_argmax(a, axis=None, keepdims=False):
    """The maximum over ``axis`` and its position, as a pair (Theano's)."""
    return [
        _math.max(a, axis=axis, keepdims=keepdims),
        _math.argmax(a, axis=axis, keepdims=keepdims),
    ]


def transpose(x, axes=None):
    """``x`` with its axes reversed, or permuted by ``axes``."""
    x = _as_tensor(x)
    return x.transpose() if axes is None else x.transpose(tuple(axes))


def shape_padleft(t, n_ones=1):
    """``t`` with ``n_ones`` broadcastable axes added on the left."""
    t = _as_tensor(t)
    return _dimshuffle(t, ["x"] * n_ones + list(range(t.ndim)))


def shape_padright(t, n_ones=1):
    """``t`` with ``n_ones`` broadcastable axes added on the right."""
    t = _as_tensor(t)
    return _dimshuffle(t, list(range(t.ndim)) + ["x"] * n_ones)


def shape_padaxis(t, axis):
    """``t`` with a broadcastable axis inserted at ``axis``."""
    t = _as_tensor(t)
    if not -t.ndim - 1 <= axis <= t.ndim:
        raise IndexError(f"axis {axis} is out of bounds for a {t.ndim}-d tensor plus one axis")
    axis = axis % (t.ndim + 1)
    pattern = list(range(t.ndim))
    pattern.insert(axis, "x")
    return _dimshuffle(t, pattern)


def batched_dot(a, b):
    """``dot`` of each pair ``a[i], b[i]`` of 3-d tensors (Theano's ``batched_dot``)."""
    a, b = _as_tensor(a), _as_tensor(b)
    if a.ndim != 3 or b.ndim != 3:
        raise NotImplementedError("batched_dot is implemented for 3-d tensors only")
    products = _dimshuffle(a, (0, 1, 2, "x")) * _dimshuffle(b, (0, "x", 1, 2))
    return _math.sum(products, axis=2)


def stack(*tensors, **kwargs):
    """Theano's ``stack``: ``stack([a, b], axis=0)``, or the old ``stack(a, b, c)``
    (deprecated, scalars only in Theano; any same-shaped tensors here)."""
    axis = kwargs.pop("axis", 0)
    if kwargs:
        raise TypeError(f"stack() got unexpected keyword arguments {sorted(kwargs)}")
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return _stack(tensors[0], axis=axis)
    if len(tensors) == 2 and isinstance(tensors[0], (list, tuple)):
        return _stack(tensors[0], axis=tensors[1])
    _deprecated("stack(*tensors) interface is deprecated, use stack(tensors, axis=0) instead.")
    return _stack(list(tensors), axis=axis)


def _theano_plural(single, name):
    """Theano's plural of the constructor ``single``: ``n`` unnamed variables for an int;
    otherwise one variable per name, where a lone string is a sequence of one-letter names
    (``dmatrices('xy')`` is ``x, y``) and a single name gives the variable itself, not a
    list (``dmatrices('x')``)."""

    def plural(*names):
        if names and isinstance(names[0], int):
            return [single() for _ in range(names[0])]
        if len(names) == 1:
            names = names[0]
        if len(names) == 1:
            return single(names if isinstance(names, str) else names[0])
        return [single(name) for name in names]

    plural.__name__ = plural.__qualname__ = name
    return plural


def _plural_name(single_name: str) -> str:
    if single_name.endswith("matrix"):
        return single_name[: -len("matrix")] + "matrices"
    return single_name + "s"


globals().update(
    {
        name: _theano_plural(core.single, name)
        for name, core in _constructors.PLURAL_CONSTRUCTORS.items()
    }
)
# the typed plurals make variables of Theano's TensorType instances (complex ones too)
globals().update(
    {
        _plural_name(name): _theano_plural(ttype, _plural_name(name))
        for name, ttype in _basic.TYPED_TENSOR_TYPES.items()
    }
)
