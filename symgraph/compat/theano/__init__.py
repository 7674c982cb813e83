"""A package shaped like ``theano``, running Theano code on symgraph.

Run a Theano script unmodified::

    python -m symgraph.compat.theano script.py [args...]

or, in a notebook, ``symgraph.compat.theano.install()`` and then ``import theano``. Either
way ``import theano``, ``from theano import tensor as T`` and ``from theano.tensor.signal
import pool`` give the modules of this package. ``THEANO_FLAGS=floatX=float32`` is honoured
(read at import). Deprecated Theano spellings (``outdim=``, ``ds=``, ``st=``,
``image_shape=``) warn as Theano did and work.
"""

from __future__ import annotations

import warnings

from symgraph.compat.theano._util import TheanoDeprecationWarning

# Theano's deprecation warnings were ordinary warnings, shown once per line; keep them
# visible although they are DeprecationWarnings too (hidden by default outside __main__).
warnings.filterwarnings("default", category=TheanoDeprecationWarning)

from symgraph.compat.theano import (  # noqa: E402
    compat,
    configparser,
    gof,
    gpuarray,
    gradient,
    printing,
    sandbox,
    scalar,
    scan_module,
    tensor,
)
from symgraph.compat.theano._importer import install, installed, uninstall  # noqa: E402
from symgraph.compat.theano.compile import (  # noqa: E402
    In,
    Mode,
    Out,
    Param,
    SharedVariable,
    function,
    shared,
)
from symgraph.compat.theano.configparser import change_flags, config  # noqa: E402
from symgraph.compat.theano.gof import Apply, Op  # noqa: E402
from symgraph.compat.theano.gradient import grad  # noqa: E402
from symgraph.compat.theano.printing import pp  # noqa: E402
from symgraph.compat.theano.scan_module import (  # noqa: E402
    clone,
    foldl,
    foldr,
    map,
    reduce,
    scan,
)
from symgraph.graph.basic import Constant, Variable  # noqa: E402
from symgraph.tensor.ops.blas import dot  # noqa: E402

__version__ = "1.0.5+symgraph"


__all__ = [
    "Apply",
    "Constant",
    "In",
    "Mode",
    "Op",
    "Out",
    "Param",
    "SharedVariable",
    "Variable",
    "change_flags",
    "clone",
    "compat",
    "config",
    "configparser",
    "dot",
    "foldl",
    "foldr",
    "function",
    "gof",
    "gpuarray",
    "grad",
    "gradient",
    "install",
    "installed",
    "map",
    "pp",
    "printing",
    "reduce",
    "sandbox",
    "scalar",
    "scan",
    "scan_module",
    "shared",
    "tensor",
    "uninstall",
]
