"""Symbolic tensors and their operations; import as ``import symgraph.tensor as T``.

``variable`` defines tensor variables; ``ops/`` the ops, one family per module, each
module importing only the ones above it in ``ops/__init__``'s list; ``operators``
gives variables their operators and methods once every op exists.
"""

from symgraph.graph.type import TensorType
from symgraph.tensor import nnet, random
from symgraph.tensor import operators as _operators  # noqa: F401 - installs x + y, x.sum()...
from symgraph.tensor.constructors import PLURAL_CONSTRUCTORS as _PLURAL_CONSTRUCTORS
from symgraph.tensor.constructors import (
    bcol,
    bmatrix,
    brow,
    bscalar,
    btensor3,
    btensor4,
    btensor5,
    bvector,
    col,
    dcol,
    dmatrix,
    drow,
    dscalar,
    dtensor3,
    dtensor4,
    dtensor5,
    dvector,
    fcol,
    fmatrix,
    frow,
    fscalar,
    ftensor3,
    ftensor4,
    ftensor5,
    fvector,
    icol,
    imatrix,
    irow,
    iscalar,
    itensor3,
    itensor4,
    itensor5,
    ivector,
    lcol,
    lmatrix,
    lrow,
    lscalar,
    ltensor3,
    ltensor4,
    ltensor5,
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
    wtensor5,
    wvector,
)
from symgraph.tensor.ops.blas import dot, outer, tensordot
from symgraph.tensor.ops.conv import (
    conv2d,
    conv2d_grad_wrt_inputs,
    conv2d_grad_wrt_weights,
    conv2d_transpose,
    conv3d,
    conv3d_grad_wrt_inputs,
    conv3d_grad_wrt_weights,
)
from symgraph.tensor.ops.dimshuffle import dimshuffle
from symgraph.tensor.ops.extra import (
    all,
    any,
    eye,
    norm,
    squeeze,
    swapaxes,
    tile,
    to_one_hot,
)
from symgraph.tensor.ops.linalg import (
    alloc_diag,
    cholesky,
    det,
    diag,
    eig,
    eigh,
    eigvalsh,
    expm,
    extract_diag,
    linalg_norm,
    lstsq,
    matrix_dot,
    matrix_inverse,
    pinv,
    qr,
    solve,
    solve_triangular,
    svd,
    trace,
)
from symgraph.tensor.ops.math import *  # noqa: F403 - the element-wise table and reductions
from symgraph.tensor.ops.neighbours import images2neibs, neibs2images
from symgraph.tensor.ops.nnet import (
    binary_crossentropy,
    categorical_crossentropy,
    log_softmax,
    logsoftmax,
    sigmoid_binary_crossentropy,
    softmax,
)
from symgraph.tensor.ops.pool import max_pool_2d_same_size, pool, pool_2d, pool_3d
from symgraph.tensor.ops.shape import (
    Rebroadcast,
    addbroadcast,
    alloc,
    arange,
    concatenate,
    flatten,
    make_vector,
    ones,
    patternbroadcast,
    reshape,
    shape,
    shape_i,
    stack,
    unbroadcast,
    zeros,
)
from symgraph.tensor.ops.sort import (
    argsort,
    flatnonzero,
    nonzero,
    nonzero_values,
    repeat,
    sort,
)
from symgraph.tensor.ops.subtensor import inc_subtensor, set_subtensor, take
from symgraph.tensor.variable import (
    TensorConstant,
    TensorVariable,
    as_tensor,
    as_tensor_variable,
    constant,
)

globals().update(_PLURAL_CONSTRUCTORS)  # scalars, fmatrices, itensor4s...
