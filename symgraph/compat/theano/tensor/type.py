"""``theano.tensor.type``: ``TensorType`` (see ``theano.tensor.basic``)."""

from __future__ import annotations

from symgraph.compat.theano.tensor.basic import TensorType

__all__ = ["TensorType"]
