"""symgraph: a Theano-style symbolic autodiff engine with first-class convolution.

    import symgraph
    import symgraph.tensor as T

    x = T.matrix("x")
    W = symgraph.shared(np.zeros((784, 10)), name="W")
    cost = T.nnet.softmax(T.dot(x, W)).mean()
    f = symgraph.function([x], cost, updates=[(W, W - 0.1 * symgraph.grad(cost, W))])

Pipeline, each part importing only those before it: ``graph`` (the IR) -> ``tensor``
(variables and ops) -> ``grad`` -> ``scan`` (loops) -> ``rewrite`` (passes) -> ``compile``
(generated code) -> ``printing`` -> this facade -> ``compat.theano``.
"""

from symgraph import tensor
from symgraph.compile import Function, In, Mode, Out, SharedVariable, function, shared
from symgraph.compile.verify import verify_grad
from symgraph.config import config
from symgraph.grad import (
    DisconnectedInputError,
    GradientError,
    Lop,
    Rop,
    disconnected_grad,
    grad,
    grad_clip,
    grad_scale,
    zero_grad,
)
from symgraph.printing import debugprint, pprint, to_dot, to_networkx
from symgraph.rewrite import list_passes
from symgraph.scan import foldl, foldr, hessian, jacobian, map, reduce, scan, until

__version__ = "0.1.0"

__all__ = [
    "DisconnectedInputError",
    "Lop",
    "Rop",
    "Function",
    "GradientError",
    "In",
    "Mode",
    "Out",
    "SharedVariable",
    "config",
    "debugprint",
    "foldl",
    "foldr",
    "function",
    "disconnected_grad",
    "grad",
    "grad_clip",
    "grad_scale",
    "hessian",
    "jacobian",
    "list_passes",
    "map",
    "pprint",
    "reduce",
    "scan",
    "shared",
    "tensor",
    "to_dot",
    "to_networkx",
    "until",
    "verify_grad",
    "zero_grad",
]
