"""``theano.scalar``: scalar types, scalar ops and ``upcast`` (see ``basic``)."""

from symgraph.compat.theano.scalar import basic
from symgraph.compat.theano.scalar.basic import *  # noqa: F403
from symgraph.compat.theano.scalar.basic import __all__ as _basic_all

__all__ = ["basic", *_basic_all]
