"""``theano.tensor.sharedvar``: the class and constructor of shared tensors."""

from __future__ import annotations

from symgraph.compat.theano.compile import TensorSharedVariable
from symgraph.compat.theano.compile import shared as tensor_constructor

__all__ = ["TensorSharedVariable", "tensor_constructor"]
