"""Symbolic tensors and their operations; import as ``import symgraph.tensor as T``."""

from symgraph.tensor import nnet
from symgraph.tensor.basic import PLURAL_CONSTRUCTORS as _PLURAL_CONSTRUCTORS
from symgraph.tensor.basic import (
    bcol,
    bmatrix,
    brow,
    bscalar,
    btensor3,
    btensor4,
    bvector,
    col,
    dcol,
    dmatrix,
    drow,
    dscalar,
    dtensor3,
    dtensor4,
    dvector,
    fcol,
    fmatrix,
    frow,
    fscalar,
    ftensor3,
    ftensor4,
    fvector,
    icol,
    imatrix,
    irow,
    iscalar,
    itensor3,
    itensor4,
    ivector,
    lcol,
    lmatrix,
    lrow,
    lscalar,
    ltensor3,
    ltensor4,
    lvector,
    matrix,
    row,
    scalar,
    tensor,
    tensor3,
    tensor4,
    tensor5,
    vector,
    wcol,
    wmatrix,
    wrow,
    wscalar,
    wtensor3,
    wtensor4,
    wvector,
)
from symgraph.tensor.blas import dot, outer, tensordot
from symgraph.tensor.conv import (
    conv2d,
    conv2d_grad_wrt_inputs,
    conv2d_grad_wrt_weights,
    conv2d_transpose,
)
from symgraph.tensor.elemwise import dimshuffle
from symgraph.tensor.extra import (
    Rebroadcast,
    addbroadcast,
    all,
    any,
    eye,
    norm,
    patternbroadcast,
    repeat,
    squeeze,
    swapaxes,
    tile,
    to_one_hot,
    unbroadcast,
)
from symgraph.tensor.math import *  # noqa: F403 - the element-wise table and reductions
from symgraph.tensor.nnet import (
    binary_crossentropy,
    categorical_crossentropy,
    log_softmax,
    logsoftmax,
    sigmoid_binary_crossentropy,
    softmax,
)
from symgraph.tensor.pool import max_pool_2d, max_pool_2d_same_size, pool_2d
from symgraph.tensor.shape import (
    alloc,
    arange,
    concatenate,
    flatten,
    make_vector,
    ones,
    reshape,
    shape,
    shape_i,
    stack,
    zeros,
)
from symgraph.tensor.subtensor import inc_subtensor, set_subtensor, take
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import (
    TensorConstant,
    TensorVariable,
    as_tensor,
    as_tensor_variable,
    constant,
)


def grad(cost, wrt, **kwargs):
    """``T.grad``: the same as ``symgraph.grad``."""
    from symgraph.grad import grad as _grad

    return _grad(cost, wrt, **kwargs)


def __getattr__(name: str):
    # T.random is imported on first use: it builds on shared variables (symgraph.compile),
    # which themselves import this package.
    if name == "random":
        import importlib

        return importlib.import_module("symgraph.tensor.random")
    raise AttributeError(f"module 'symgraph.tensor' has no attribute {name!r}")


globals().update(_PLURAL_CONSTRUCTORS)  # scalars, fmatrices, itensor4s...
