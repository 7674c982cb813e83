"""``theano.sandbox.cuda``: the old GPU back end, present and reporting no GPU
(``cuda_available`` is False)."""

from __future__ import annotations

from symgraph.compat.theano.sandbox.cuda import dnn

cuda_available = False
cuda_enabled = False

__all__ = ["cuda_available", "cuda_enabled", "dnn"]
