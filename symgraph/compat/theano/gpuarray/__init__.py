"""``theano.gpuarray``: present so that code probing for a GPU imports it, and reporting
that none is in use (symgraph computes with NumPy): ``pygpu_activated`` is False."""

from __future__ import annotations

from symgraph.compat.theano.gpuarray import dnn

pygpu_activated = False

__all__ = ["dnn", "pygpu_activated"]
